//! The ring side of the driver: queueing SQEs (with a backlog when the SQ is full), every
//! `io_uring_enter`, reaping completions into the op slab, and what happens when the kernel
//! refuses an enter.
//!
//! # Invariants
//!
//! - Nothing here panics. An `io_uring_enter` error is either transient (`EINTR`, `EAGAIN`,
//!   `EBUSY`, `ETIME`: what was queued stays queued) or a fault of the ring.
//! - A slot exists before its SQE is queued, so an SQE never outlives the record of its
//!   owner. An SQE leaves the driver's hands (the kernel consumed it) only through an enter;
//!   `sq_keys` records the `user_data` of each SQE by its position in the SQ, so the SQEs the
//!   kernel has not consumed (the last `sq_len` pushed) can be named at a fault.
//! - Faulted ring (`fault` set): SQEs the kernel provably never consumed (in the SQ of a ring
//!   without SQPOLL, or with a dead SQPOLL thread: `EOWNERDEAD`; and the backlog) complete
//!   with `-errno`, and from then on the ring never submits again if any of them is still in
//!   the SQ (`stale`): the kernel never sees them, so their data may go. New ops complete with
//!   `-errno` at once. Ops the kernel did consume keep their data until their completion
//!   arrives; if it never does, the driver leaks their data when it drops.
//! - `EBADR` (the kernel dropped completions: CQ overflow without `NODROP`) faults the ring
//!   too: which ops lost their completion is unknown, so no data is freed on a guess.

use std::collections::VecDeque;
use std::mem::ManuallyDrop;
use std::task::Waker;
use std::time::Duration;

use io_uring::{opcode, squeue, types, EnterFlags};

use super::backend::Backend;

use super::enter::RegisteredRing;
use super::fallback::Fallback;
use super::lifecycle::{Completion, Orphan};
use super::metrics::Counters;
use super::ops::Ops;

/// `user_data` of the driver's own `ASYNC_CANCEL` SQEs (their completions are ignored).
pub(super) const CANCEL_TOKEN: u64 = u64::MAX;
/// `user_data` of the eventfd read that wakes a parked ring.
pub(super) const WAKE_TOKEN: u64 = u64::MAX - 1;
/// `user_data` of the shutdown's one `ASYNC_CANCEL` with `ALL | ANY`.
pub(super) const CANCEL_ALL_TOKEN: u64 = u64::MAX - 2;

/// How long a faulted ring that cannot wait in the kernel sleeps between looks at its CQ.
const FAULTED_NAP: Duration = Duration::from_millis(1);
/// Longest wait in the kernel of a faulted ring (its wake-up read may be gone).
const FAULTED_WAIT: Duration = Duration::from_millis(10);

pub(super) struct Inner {
    /// Dropped by hand in `Driver::drop`, or leaked when the kernel may still use its data.
    pub(super) ring: ManuallyDrop<Backend>,
    pub(super) sqpoll: bool,
    pub(super) ops: Ops,
    /// SQEs that did not fit in the SQ; they go first at the next submission, in order.
    pub(super) backlog: VecDeque<squeue::Entry>,
    /// `user_data` of the SQEs pushed to the SQ, by position (see [`SqKeys`]).
    sq_keys: SqKeys,
    /// The errno of the enter error that faulted the ring.
    pub(super) fault: Option<i32>,
    /// The SQ holds SQEs whose ops were failed: never submit again.
    stale: bool,
    /// The kernel's count of dropped completions when last seen.
    cq_dropped: u32,
    /// Where the eventfd read lands. Boxed: its address is in an SQE.
    pub(super) wake_buf: Box<u64>,
    pub(super) wake_armed: bool,
    /// Per-key cancels are needed (the kernel refused `ASYNC_CANCEL_ALL`).
    pub(super) cancel_all_refused: bool,
    /// Reused between dispatches.
    pub(super) wakers: Vec<Waker>,
    pub(super) freed: Vec<Box<dyn Orphan>>,
    /// Completions copied out of the CQ, reused between reaps.
    batch: Vec<(u64, Completion)>,
    #[cfg(feature = "fault-injection")]
    pub(super) faults: Option<super::fault::Faults>,
    /// What the driver has done, for `Runtime::metrics`.
    pub(super) counters: Counters,
    /// The ring fd registered in this thread's io_uring context, entered by index; `None`
    /// when not asked for, refused by the kernel, or with SQPOLL.
    pub(super) registered: Option<RegisteredRing>,
    /// Ops whose opcode the kernel lacks, run on the blocking pool.
    pub(super) fallback: Fallback,
}

/// Whether an enter error leaves the ring usable (what was queued stays queued).
fn is_transient(errno: i32) -> bool {
    matches!(
        errno,
        libc::ETIME | libc::EINTR | libc::EAGAIN | libc::EBUSY
    )
}

impl Inner {
    pub(super) fn new(mut ring: Backend) -> Inner {
        let sqpoll = ring.is_sqpoll();
        let sq_entries = ring.sq_capacity();
        Inner {
            ring: ManuallyDrop::new(ring),
            sqpoll,
            ops: Ops::new(),
            backlog: VecDeque::new(),
            sq_keys: SqKeys::new(sq_entries),
            fault: None,
            stale: false,
            cq_dropped: 0,
            wake_buf: Box::new(0),
            wake_armed: false,
            cancel_all_refused: false,
            wakers: Vec::with_capacity(64),
            freed: Vec::new(),
            batch: Vec::with_capacity(64),
            #[cfg(feature = "fault-injection")]
            faults: None,
            counters: Counters::default(),
            registered: None,
            fallback: Fallback::default(),
        }
    }

    /// Number of SQEs waiting for an enter (in the SQ or the backlog).
    pub(super) fn queued(&mut self) -> usize {
        self.ring.sq_len() + self.backlog.len()
    }

    /// Queues an SQE, submitting to make room when the SQ is full; never drops it. On a
    /// faulted ring the SQE's op completes with the fault's errno instead (it never reaches
    /// the kernel), except the driver's own cancels while the ring can still submit.
    #[inline(always)]
    pub(super) fn push(&mut self, entry: squeue::Entry) {
        #[cfg(feature = "fault-injection")]
        let mut entry = entry;
        #[cfg(feature = "fault-injection")]
        if let Some(f) = self.faults.as_mut() {
            f.shorten(&mut entry);
        }
        let user_data = entry.get_user_data();
        if let Some(errno) = self.fault {
            let is_cancel = user_data == CANCEL_TOKEN || user_data == CANCEL_ALL_TOKEN;
            if self.stale || !is_cancel {
                self.fail_entry(user_data, errno);
                return;
            }
        }
        if self.backlog.is_empty() {
            if self.push_sq(&entry) {
                return;
            }
            // SQ full: hand what is queued to the kernel, then retry once.
            self.make_room();
            if let (Some(errno), true) = (self.fault, self.stale) {
                self.fail_entry(user_data, errno);
                return;
            }
            if self.push_sq(&entry) {
                return;
            }
        }
        self.backlog.push_back(entry);
    }

    #[inline(always)]
    fn push_sq(&mut self, entry: &squeue::Entry) -> bool {
        // SAFETY: the caller of `Driver::submit*` guaranteed the entry's pointers stay valid
        // until its completion, wherever the entry waits before the kernel sees it.
        if unsafe { self.ring.push(entry) } {
            if self.ring.consumes_at_push() {
                // The emulation ran it already: nothing is left in an SQ for an enter.
                self.counters.sqes_submitted += 1;
            } else {
                self.sq_keys.record(entry.get_user_data());
            }
            #[cfg(feature = "fault-injection")]
            if let Some(f) = self.faults.as_mut() {
                f.on_push(entry.get_user_data(), entry.get_opcode() as u8);
            }
            true
        } else {
            false
        }
    }

    /// Queues an `ASYNC_CANCEL` for `user_data`; the backlog guarantees it is never lost.
    pub(super) fn push_cancel(&mut self, user_data: u64) {
        self.counters.ops_cancelled += 1;
        let entry = opcode::AsyncCancel::new(user_data)
            .build()
            .user_data(CANCEL_TOKEN);
        self.push(entry);
    }

    /// Queues one `ASYNC_CANCEL` of every request of the ring (`ALL | ANY`, Linux 5.19+).
    pub(super) fn push_cancel_all(&mut self) {
        let entry = opcode::AsyncCancel2::new(types::CancelBuilder::any())
            .build()
            .user_data(CANCEL_ALL_TOKEN);
        self.push(entry);
    }

    /// Moves backlogged SQEs into the SQ, submitting when it fills.
    pub(super) fn flush_backlog(&mut self) {
        while let Some(entry) = self.backlog.front() {
            if let (Some(errno), true) = (self.fault, self.stale) {
                for entry in std::mem::take(&mut self.backlog) {
                    self.fail_entry(entry.get_user_data(), errno);
                }
                return;
            }
            let entry = entry.clone();
            if self.push_sq(&entry) {
                self.backlog.pop_front();
                continue;
            }
            let before = self.ring.sq_len();
            self.make_room();
            if self.fault.is_none() && self.ring.sq_len() >= before {
                // The kernel took nothing (EBUSY: the CQ must be reaped first; or an SQPOLL
                // thread that could not make room yet); retry later.
                break;
            }
        }
    }

    /// Gets the kernel to take SQEs out of a full SQ. Without SQPOLL, an enter submits them.
    /// With SQPOLL the kernel thread takes them on its own time, and an enter only wakes it:
    /// returning at once would leave the backlog waiting for an unrelated completion (the
    /// caller may park next). So wait in the kernel until the SQ has room
    /// (`IORING_ENTER_SQ_WAIT`, Linux 5.10+) unless completions wait in the overflow list:
    /// then an enter flushes them instead (an old kernel's SQ thread stops taking SQEs until
    /// they are flushed).
    fn make_room(&mut self) {
        if !self.sqpoll || self.fault.is_some() || self.ring.cq_overflow() {
            self.enter(0, None);
            return;
        }
        let mut flags = EnterFlags::GETEVENTS | EnterFlags::SQ_WAIT;
        if self.ring.need_wakeup() {
            flags |= EnterFlags::SQ_WAKEUP;
        }
        let to_submit = self.ring.sq_len() as u32;
        let result = self.enter_raw(to_submit, 0, flags, None);
        self.after_enter(result, 0, None);
    }

    /// Whether the tick must enter the kernel: SQEs to submit, or (DEFER_TASKRUN) ops
    /// awaiting completions the kernel posts only when entered, or deferred work flagged.
    pub(super) fn needs_enter(&mut self, defer: bool) -> bool {
        self.queued() > 0
            || (defer && self.ops.awaiting() > 0)
            || self.ring.taskrun()
            || self.must_not_block()
    }

    /// Whether the loop must not block: wake-ups are pending (ops failed outside a
    /// dispatch), or the fault layer holds completions back.
    pub(super) fn must_not_block(&self) -> bool {
        !self.wakers.is_empty() || !self.freed.is_empty() || self.held_completions()
    }

    /// Whether the fault layer holds completions back (then nobody may block waiting).
    pub(super) fn held_completions(&self) -> bool {
        #[cfg(feature = "fault-injection")]
        if let Some(f) = &self.faults {
            return f.holds();
        }
        false
    }

    /// One `io_uring_enter`: submits the SQ and, with `want > 0`, waits for completions up to
    /// `timeout`. Wakes a sleeping SQPOLL thread. Transient errors leave everything queued
    /// for the next call; any other error faults the ring (see the module invariants).
    pub(super) fn enter(&mut self, want: usize, timeout: Option<Duration>) {
        let to_submit = if self.stale {
            0
        } else {
            self.ring.sq_len() as u32
        };
        let overflow = self.ring.cq_overflow();
        let taskrun = self.ring.taskrun();
        // A faulted ring may have no armed wake-up read: never wait long in the kernel.
        let timeout = match (self.fault, timeout) {
            (Some(_), Some(t)) => Some(t.min(FAULTED_WAIT)),
            (Some(_), None) => Some(FAULTED_WAIT),
            (None, t) => t,
        };
        let mut flags = EnterFlags::GETEVENTS;
        if self.sqpoll && !self.stale {
            // The SQ thread may have gone to sleep after its idle time: then only an enter
            // with SQ_WAKEUP gets the queued SQEs submitted. (`need_wakeup` fences first.)
            if self.ring.need_wakeup() {
                flags |= EnterFlags::SQ_WAKEUP;
            } else if want == 0 && !overflow && !taskrun {
                // The thread is awake and polling: nothing for a syscall to do.
                return;
            }
        }
        let result = self.enter_raw(to_submit, want, flags, timeout);
        self.after_enter(result, want, timeout);
    }

    /// Books the outcome of an enter: transient errors leave everything queued; any other
    /// error faults the ring.
    fn after_enter(&mut self, result: Result<usize, i32>, want: usize, timeout: Option<Duration>) {
        self.counters.entered(result.ok());
        match result {
            Ok(_) => {}
            Err(errno) if is_transient(errno) => {}
            Err(errno) => {
                self.set_fault(errno);
                if want > 0 {
                    // The ring cannot wait in the kernel: do not spin either.
                    std::thread::sleep(timeout.map_or(FAULTED_NAP, |t| t.min(FAULTED_NAP)));
                }
            }
        }
    }

    /// The syscall (through the fault layer when one is installed); `Err(errno)` on failure.
    fn enter_raw(
        &mut self,
        to_submit: u32,
        want: usize,
        flags: EnterFlags,
        timeout: Option<Duration>,
    ) -> Result<usize, i32> {
        #[cfg(feature = "fault-injection")]
        let injected = match self.faults.as_mut() {
            Some(f) => f.before_enter(self.sqpoll, to_submit > 0),
            None => super::fault::EnterFault::None,
        };
        #[cfg(feature = "fault-injection")]
        if let super::fault::EnterFault::Instead(errno) = injected {
            return Err(errno);
        }
        let result = match &self.registered {
            Some(registered) => registered.enter(to_submit, want as u32, flags.bits(), timeout),
            None => self.ring.enter_raw(to_submit, want, flags, timeout),
        };
        #[cfg(feature = "fault-injection")]
        if let super::fault::EnterFault::After(errno) = injected {
            return Err(errno);
        }
        result.map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
    }

    /// The ring faulted with `errno`: fail what provably never reached the kernel.
    pub(super) fn set_fault(&mut self, errno: i32) {
        if self.fault.is_some() {
            return;
        }
        self.fault = Some(errno);
        // With a live SQPOLL thread, an SQE in the SQ may be consumed at any moment: it
        // counts as in flight. Without one (or with a dead one), it is never consumed once
        // we stop submitting.
        let provable = !self.sqpoll || errno == libc::EOWNERDEAD;
        let stale: Vec<u64> = if provable {
            let unconsumed = self.ring.sq_len();
            self.sq_keys.last(unconsumed)
        } else {
            Vec::new()
        };
        self.stale = !stale.is_empty();
        for user_data in stale {
            self.fail_entry(user_data, errno);
        }
        for entry in std::mem::take(&mut self.backlog) {
            self.fail_entry(entry.get_user_data(), errno);
        }
    }

    /// Completes the op of an SQE that will never reach the kernel with `-errno`.
    fn fail_entry(&mut self, user_data: u64, errno: i32) {
        let c = Completion {
            result: -errno,
            flags: Completion::NOT_SUBMITTED,
        };
        match user_data {
            CANCEL_TOKEN | CANCEL_ALL_TOKEN => {}
            WAKE_TOKEN => self.wake_armed = false,
            key => self.deliver(key, c),
        }
    }

    fn deliver(&mut self, key: u64, c: Completion) {
        self.counters.ops_completed += 1;
        let reaped = self.ops.complete(key as usize, c);
        if let Some(w) = reaped.waker {
            self.wakers.push(w);
        }
        if let Some(data) = reaped.freed {
            self.freed.push(data);
        }
    }

    /// Arms the eventfd read that lets other threads wake this ring.
    pub(super) fn arm_wake(&mut self, eventfd: i32) {
        if self.wake_armed {
            return;
        }
        let entry = opcode::Read::new(
            types::Fd(eventfd),
            (&mut *self.wake_buf as *mut u64).cast(),
            8,
        )
        .build()
        .user_data(WAKE_TOKEN);
        self.wake_armed = true;
        self.push(entry);
    }

    /// After a push to the epoll emulation, which ran the SQE at once: moves its completion
    /// (and any other one ready) into its slot now, so that the op that submitted it finds it
    /// in the same poll instead of one tick later, as a readiness runtime's `poll_read` does.
    /// Returns whether wakers or freed data wait for [`Driver::dispatch`] (never for the op
    /// just submitted: nobody polled it yet). Does nothing on io_uring.
    ///
    /// [`Driver::dispatch`]: super::Driver::dispatch
    pub(super) fn reap_inline(&mut self) -> bool {
        if self.ring.has_completions() {
            self.reap();
            return !self.wakers.is_empty() || !self.freed.is_empty();
        }
        false
    }

    /// Drains the CQ (and the kernel's overflow list) into the slots.
    pub(super) fn reap(&mut self) -> usize {
        let mut count = 0;
        // Bounded: a faulted ring may keep its overflow flag.
        for _ in 0..16 {
            let mut batch = std::mem::take(&mut self.batch);
            let dropped = self.ring.drain_into(&mut batch);
            if dropped != self.cq_dropped {
                // The kernel lost completions (no room in the CQ nor memory to keep them).
                self.cq_dropped = dropped;
                self.set_fault(libc::EBADR);
            }
            count += batch.len();
            self.process(&mut batch);
            self.batch = batch;
            // With IORING_FEAT_NODROP, completions that did not fit wait in the kernel's
            // overflow list until an enter with GETEVENTS flushes them.
            if self.ring.cq_overflow() {
                self.enter(0, None);
                continue;
            }
            break;
        }
        count += self.release_held();
        count
    }

    fn process(&mut self, batch: &mut Vec<(u64, Completion)>) {
        for (user_data, c) in batch.drain(..) {
            #[cfg(feature = "fault-injection")]
            let Some((user_data, c)) = self.filter_cqe(user_data, c) else {
                continue;
            };
            self.dispatch_one(user_data, c);
        }
    }

    pub(super) fn dispatch_one(&mut self, user_data: u64, c: Completion) {
        match user_data {
            CANCEL_TOKEN => {}
            CANCEL_ALL_TOKEN => {
                if c.result == -libc::EINVAL {
                    // A kernel without ALL | ANY: cancel key by key.
                    self.cancel_all_refused = true;
                }
            }
            WAKE_TOKEN => self.wake_armed = false,
            key => self.deliver(key, c),
        }
    }

    #[cfg(feature = "fault-injection")]
    fn filter_cqe(&mut self, user_data: u64, c: Completion) -> Option<(u64, Completion)> {
        let own = user_data >= CANCEL_ALL_TOKEN;
        let Some(faults) = self.faults.as_mut() else {
            return Some((user_data, c));
        };
        match faults.on_cqe(user_data, c, own) {
            super::fault::CqeFate::Deliver(c) => Some((user_data, c)),
            super::fault::CqeFate::Held => None,
            super::fault::CqeFate::EndMultishot(c) => {
                // Ask the kernel to end the op for real; its final completion then carries
                // the injected error (see `fault::Faults::on_cqe`).
                self.push_cancel(user_data);
                Some((user_data, c))
            }
        }
    }

    /// Delivers the results of ops that ran on the blocking pool, as their completions.
    pub(super) fn reap_fallback(&mut self) {
        let mut done = self.fallback.take_done();
        for (user_data, result) in done.drain(..) {
            self.dispatch_one(user_data, Completion { result, flags: 0 });
        }
        self.fallback.recycle(done);
    }

    fn release_held(&mut self) -> usize {
        #[cfg(feature = "fault-injection")]
        if let Some(f) = self.faults.as_mut() {
            let released = f.release();
            let n = released.len();
            for (user_data, c) in released {
                self.dispatch_one(user_data, c);
            }
            return n;
        }
        0
    }
}

/// The `user_data` of every SQE pushed to the SQ, by its position: slot `n % len` holds the
/// `n`-th push. The SQ never holds more than its capacity, so the SQEs the kernel has not
/// consumed (the last `sq_len` pushed) still have their keys here. One store per push and
/// nothing per enter: the kernel's head says what was consumed when it matters (a fault).
struct SqKeys {
    keys: Box<[u64]>,
    /// Pushes so far (wrapping).
    pushed: usize,
}

impl SqKeys {
    /// For an SQ of `entries` (a power of two; 0 for a ring that consumes at push).
    fn new(entries: usize) -> SqKeys {
        SqKeys {
            keys: vec![0; entries.next_power_of_two()].into_boxed_slice(),
            pushed: 0,
        }
    }

    fn record(&mut self, user_data: u64) {
        let mask = self.keys.len() - 1;
        self.keys[self.pushed & mask] = user_data;
        self.pushed = self.pushed.wrapping_add(1);
    }

    /// The keys of the last `n` pushes (at most the capacity), oldest first.
    fn last(&self, n: usize) -> Vec<u64> {
        let n = n.min(self.keys.len()).min(self.pushed);
        let mask = self.keys.len() - 1;
        (0..n)
            .map(|i| self.keys[self.pushed.wrapping_sub(n - i) & mask])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::SqKeys;

    #[test]
    fn sq_keys_name_the_last_pushes_oldest_first_across_the_wrap() {
        let mut keys = SqKeys::new(4);
        assert!(keys.last(3).is_empty(), "nothing pushed yet");
        for k in 0..10 {
            keys.record(k);
        }
        assert_eq!(keys.last(0), Vec::<u64>::new());
        assert_eq!(keys.last(3), vec![7, 8, 9]);
        assert_eq!(keys.last(4), vec![6, 7, 8, 9]);
        // Never more than the SQ can hold.
        assert_eq!(keys.last(9), vec![6, 7, 8, 9]);
    }
}
