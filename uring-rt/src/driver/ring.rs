//! The driver: one ring, its op slab, submission with back-pressure, reaping and parking.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use io_uring::types::{SubmitArgs, Timespec};
use io_uring::{opcode, squeue, types, IoUring, Probe};

use super::bgids::Bgids;
use super::lifecycle::{Completion, Orphan};
use super::mailbox::{Mail, Mailbox};
use super::ops::{Dropped, Ops};
use super::registry;
use super::setup::{self, Config, TaskrunMode};
use super::unpark::Unparker;

/// `user_data` of the driver's own `ASYNC_CANCEL` SQEs (their completions are ignored).
const CANCEL_TOKEN: u64 = u64::MAX;
/// `user_data` of the eventfd read that wakes a parked ring.
const WAKE_TOKEN: u64 = u64::MAX - 1;
/// How long dropping a driver waits for the kernel to finish cancelled operations.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// Slots of the registered-file table (`IORING_REGISTER_FILES`, sparse, Linux 5.19+).
pub(crate) const FILE_TABLE_SIZE: u32 = 1024;

/// Which slots of the registered-file table are free: a slot is in `free` (or at or past
/// `next`) exactly when no fd occupies it.
#[derive(Debug, Default)]
struct FileTable {
    free: Vec<u32>,
    next: u32,
}

/// The io_uring driver of one thread, owned by its runtime's context.
///
/// Ops do not keep the driver alive: they hold its id and their slot key. Data released where
/// the driver is not the entered one goes back through the driver's mailbox (found by id in
/// the registry); a driver that is gone decides by whether it quiesced (see `registry`).
pub(crate) struct Driver {
    /// Unique among all drivers of the process; ops refer to their ring by it.
    id: u64,
    inner: RefCell<Inner>,
    unparker: Unparker,
    mailbox: Arc<Mailbox>,
    /// The registered-file table, registered (sparse) on first use.
    files: RefCell<Option<FileTable>>,
    mode: TaskrunMode,
    probe: Probe,
    /// Buffer-group ids of the provided-buffer rings registered with this ring.
    bgids: Bgids,
}

struct Inner {
    /// Dropped by hand in `Driver::drop`, or leaked when the kernel may still use its data.
    ring: ManuallyDrop<IoUring>,
    ops: Ops,
    /// SQEs that did not fit in the SQ; they go first at the next submission, in order.
    backlog: VecDeque<squeue::Entry>,
    /// Where the eventfd read lands. Boxed: its address is in an SQE.
    wake_buf: Box<u64>,
    wake_armed: bool,
    /// Reused between dispatches.
    wakers: Vec<Waker>,
    freed: Vec<Box<dyn Orphan>>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("mode", &self.mode)
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

impl Driver {
    pub(crate) fn new(config: &Config) -> io::Result<Driver> {
        let (ring, mode) = setup::build(config)?;
        let mut probe = Probe::new();
        // A kernel without the probe opcode (older than 5.6) leaves `probe` empty: every
        // optional opcode then reports unsupported, which is the safe answer.
        let _ = ring.submitter().register_probe(&mut probe);
        let unparker = Unparker::new()?;
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mailbox = Arc::new(Mailbox::new(unparker.clone()));
        registry::add(id, mailbox.clone());
        Ok(Driver {
            id,
            mailbox,
            files: RefCell::new(None),
            inner: RefCell::new(Inner {
                ring: ManuallyDrop::new(ring),
                ops: Ops::new(),
                backlog: VecDeque::new(),
                wake_buf: Box::new(0),
                wake_armed: false,
                wakers: Vec::with_capacity(64),
                freed: Vec::new(),
            }),
            unparker,
            mode,
            probe,
            bgids: Bgids::default(),
        })
    }

    /// This driver's process-unique id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The completion mode the ring was set up with.
    pub(crate) fn mode(&self) -> TaskrunMode {
        self.mode
    }

    /// Whether the kernel supports `opcode` (from the probe taken at setup).
    pub(crate) fn is_supported(&self, opcode: u8) -> bool {
        self.probe.is_supported(opcode)
    }

    /// Runs `f` with the ring's submitter, for registrations (buffers, files, buffer rings).
    pub(crate) fn with_submitter<R>(&self, f: impl FnOnce(&io_uring::Submitter<'_>) -> R) -> R {
        let inner = self.inner.borrow();
        f(&inner.ring.submitter())
    }

    /// The buffer-group ids of this ring's provided-buffer rings (one each, given back on
    /// unregistration).
    pub(crate) fn bgids(&self) -> &Bgids {
        &self.bgids
    }

    pub(crate) fn unparker(&self) -> &Unparker {
        &self.unparker
    }

    /// Handles mail posted from other threads (or after the runtime stopped); returns whether
    /// there was any. One load when there is none.
    pub(crate) fn drain_mailbox(&self) -> bool {
        if !self.mailbox.has_mail() {
            return false;
        }
        let mail = self.mailbox.take();
        let any = !mail.is_empty();
        for m in mail {
            self.deliver(m);
        }
        any
    }

    fn deliver(&self, mail: Mail) {
        match mail {
            Mail::Op { key, data } => self.drop_op(key, data),
            Mail::Task(task) => task(self),
        }
    }

    /// Puts `fd` in a free slot of the ring's registered-file table (registering the table
    /// on first use); returns the slot.
    ///
    /// # Errors
    ///
    /// `ResourceBusy` when all slots are taken; the kernel's error (with what to do) when the
    /// table cannot be registered or updated.
    pub(crate) fn register_file(&self, fd: i32) -> io::Result<u32> {
        let mut files = self.files.borrow_mut();
        if files.is_none() {
            self.with_submitter(|s| s.register_files_sparse(FILE_TABLE_SIZE))
                .map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "cannot register a file table of {FILE_TABLE_SIZE} slots with the \
                             ring ({e}); sparse tables need Linux 5.19+, and RLIMIT_NOFILE \
                             must allow {FILE_TABLE_SIZE} files"
                        ),
                    )
                })?;
            *files = Some(FileTable::default());
        }
        let table = files.as_mut().expect("registered above");
        let slot = match table.free.pop() {
            Some(slot) => slot,
            None if table.next < FILE_TABLE_SIZE => {
                table.next += 1;
                table.next - 1
            }
            None => {
                // EBUSY's kind (`ResourceBusy`), named through errno for Rust 1.80.
                return Err(io::Error::new(
                    io::Error::from_raw_os_error(libc::EBUSY).kind(),
                    format!(
                        "all {FILE_TABLE_SIZE} registered-file slots of this runtime's ring \
                         are in use; drop registered files first"
                    ),
                ));
            }
        };
        match self.with_submitter(|s| s.register_files_update(slot, &[fd])) {
            Ok(_) => Ok(slot),
            Err(e) => {
                table.free.push(slot);
                Err(e)
            }
        }
    }

    /// Empties `slot` of the registered-file table (the kernel drops its file reference).
    pub(crate) fn unregister_file(&self, slot: u32) {
        if self
            .with_submitter(|s| s.register_files_update(slot, &[-1]))
            .is_ok()
        {
            if let Some(table) = self.files.borrow_mut().as_mut() {
                table.free.push(slot);
            }
        }
    }

    /// Runs `task` with the driver of ring `ring`: now if it is `current`, else on that ring's
    /// thread at its next tick (through its mailbox). A ring that is gone took its
    /// registrations with it, and `task` is dropped.
    pub(crate) fn run_on(
        current: Option<&Driver>,
        ring: u64,
        task: Box<dyn FnOnce(&Driver) + Send>,
    ) {
        if let Some(driver) = current.filter(|d| d.id == ring) {
            task(driver);
            return;
        }
        if let Some(registry::Ring::Live(mailbox)) = registry::lookup(ring) {
            let _ = mailbox.post(Mail::Task(task));
        }
    }

    /// Number of slots in use.
    pub(crate) fn in_flight(&self) -> usize {
        self.inner.borrow().ops.len()
    }

    /// Queues a single-shot SQE; returns its slot key.
    ///
    /// # Safety
    /// Every pointer in `entry` stays valid until the operation's completion arrives: the
    /// caller keeps the data alive in the op future, and moves it into the slot with
    /// [`Driver::drop_op`] if the future is dropped first.
    pub(crate) unsafe fn submit(&self, entry: squeue::Entry) -> usize {
        let mut inner = self.inner.borrow_mut();
        let key = inner.ops.insert();
        inner.push(entry.user_data(key as u64));
        key
    }

    /// Queues a multishot SQE; returns its slot key.
    ///
    /// # Safety
    /// As [`Driver::submit`], until the final completion (one without `F_MORE`).
    pub(crate) unsafe fn submit_multi(&self, entry: squeue::Entry) -> usize {
        let mut inner = self.inner.borrow_mut();
        let key = inner.ops.insert_multi();
        inner.push(entry.user_data(key as u64));
        key
    }

    /// Queues an SQE nobody awaits; `data` keeps its pointers valid and sees its completion.
    ///
    /// # Safety
    /// Every pointer in `entry` points into `data` (or is otherwise valid until completion).
    pub(crate) unsafe fn submit_orphan(&self, entry: squeue::Entry, data: Box<dyn Orphan>) {
        let mut inner = self.inner.borrow_mut();
        let key = inner.ops.insert_orphan(data);
        inner.push(entry.user_data(key as u64));
    }

    pub(crate) fn poll_op(&self, key: usize, cx: &mut Context<'_>) -> Poll<Completion> {
        self.inner.borrow_mut().ops.poll(key, cx)
    }

    pub(crate) fn poll_multi(&self, key: usize, cx: &mut Context<'_>) -> Poll<Option<Completion>> {
        self.inner.borrow_mut().ops.poll_multi(key, cx)
    }

    /// The op future of `key` is dropped: free now if finished, else keep `data` in the slot
    /// and ask the kernel to cancel.
    pub(crate) fn drop_op<D: Orphan>(&self, key: usize, data: D) {
        let dropped = {
            let mut inner = self.inner.borrow_mut();
            let dropped = inner.ops.drop_op(key, data);
            if let Dropped::Cancel = dropped {
                inner.push_cancel(key as u64);
            }
            dropped
        };
        // Data is dropped outside the borrow: its destructor may use the driver.
        drop(dropped);
    }

    /// Submits queued SQEs and collects completions without waiting.
    pub(crate) fn submit_and_reap(&self) -> usize {
        self.drain_mailbox();
        {
            let mut inner = self.inner.borrow_mut();
            let queued = inner.ring.submission().len();
            let pending = queued + inner.backlog.len();
            // With DEFER_TASKRUN the kernel posts completions only when we enter with
            // GETEVENTS, so an in-flight op is a reason to enter even with nothing to submit.
            let needs_enter = pending > 0
                || (self.mode == TaskrunMode::Defer && !inner.ops.is_empty())
                || inner.ring.submission().taskrun();
            if needs_enter {
                inner.flush_backlog();
                inner.enter(0, None);
            }
        }
        self.dispatch()
    }

    /// Hands the queued SQEs to the kernel now, without reaping or waiting.
    ///
    /// For an op that should start before the rest of the tick's batch is built (see
    /// `Op::eager`): the kernel issues the block requests of one `io_uring_enter` under a block
    /// plug and dispatches none of them to the device until the whole batch is issued.
    pub(crate) fn submit_now(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.flush_backlog();
        let result = inner.ring.submit();
        absorb_transient(result);
    }

    /// Blocks until a completion, a wake-up from another thread, or `timeout` (`None`: no
    /// limit), submitting queued SQEs in the same syscall. Then dispatches completions.
    pub(crate) fn park(&self, timeout: Option<Duration>) -> usize {
        // Mail may wake tasks (a released permit): then do not block.
        let want = if self.drain_mailbox() { 0 } else { 1 };
        {
            let mut inner = self.inner.borrow_mut();
            inner.arm_wake(self.unparker.eventfd());
            inner.flush_backlog();
            inner.enter(want, timeout);
        }
        self.dispatch()
    }

    /// Moves every available completion into its slot and wakes the waiting futures.
    pub(crate) fn dispatch(&self) -> usize {
        let (mut wakers, mut freed, count) = {
            let mut inner = self.inner.borrow_mut();
            let count = inner.reap();
            (
                std::mem::take(&mut inner.wakers),
                std::mem::take(&mut inner.freed),
                count,
            )
        };
        // Woken and freed outside the borrow: a waker or a destructor may use the driver.
        for w in wakers.drain(..) {
            w.wake();
        }
        freed.clear();
        let mut inner = self.inner.borrow_mut();
        inner.wakers = wakers;
        inner.freed = freed;
        count
    }
}

impl Inner {
    /// Queues an SQE, submitting to make room when the SQ is full; never drops it.
    fn push(&mut self, entry: squeue::Entry) {
        if self.backlog.is_empty() {
            // SAFETY: the caller of `Driver::submit*` guaranteed the entry's pointers stay
            // valid until its completion, wherever the entry waits before the kernel sees it.
            if unsafe { self.ring.submission().push(&entry) }.is_ok() {
                return;
            }
            // SQ full: hand what is queued to the kernel, then retry once.
            self.enter(0, None);
            // SAFETY: as above.
            if unsafe { self.ring.submission().push(&entry) }.is_ok() {
                return;
            }
        }
        self.backlog.push_back(entry);
    }

    /// Queues an `ASYNC_CANCEL` for `user_data`; the backlog guarantees it is never lost.
    fn push_cancel(&mut self, user_data: u64) {
        let entry = opcode::AsyncCancel::new(user_data)
            .build()
            .user_data(CANCEL_TOKEN);
        self.push(entry);
    }

    /// Moves backlogged SQEs into the SQ, submitting when it fills.
    fn flush_backlog(&mut self) {
        while let Some(entry) = self.backlog.front() {
            // SAFETY: backlogged entries carry the same guarantee as in `push`.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                self.backlog.pop_front();
                continue;
            }
            let before = self.ring.submission().len();
            self.enter(0, None);
            if self.ring.submission().len() >= before {
                // The kernel took nothing (EBUSY: the CQ must be reaped first); retry later.
                break;
            }
        }
    }

    /// One `io_uring_enter`: submits the SQ and, with `want > 0`, waits for completions up to
    /// `timeout`. Transient errors are absorbed: the entries stay queued for the next call.
    fn enter(&mut self, want: usize, timeout: Option<Duration>) {
        let to_submit = self.ring.submission().len() as u32;
        let submitter = self.ring.submitter();
        let result = match (want, timeout) {
            (0, _) => {
                // GETEVENTS also runs deferred completions (DEFER_TASKRUN) and flushes an
                // overflowed CQ.
                // SAFETY: no argument pointer is passed; flags are valid for io_uring_enter.
                unsafe {
                    submitter.enter::<libc::sigset_t>(
                        to_submit,
                        0,
                        io_uring::EnterFlags::GETEVENTS.bits(),
                        None,
                    )
                }
            }
            (want, Some(t)) => {
                let ts = Timespec::from(t);
                let args = SubmitArgs::new().timespec(&ts);
                submitter.submit_with_args(want, &args)
            }
            (want, None) => submitter.submit_and_wait(want),
        };
        absorb_transient(result);
    }

    /// Arms the eventfd read that lets other threads wake this ring.
    fn arm_wake(&mut self, eventfd: i32) {
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

    /// Drains the CQ (and the kernel's overflow list) into the slots.
    fn reap(&mut self) -> usize {
        let mut count = 0;
        loop {
            let mut cq = self.ring.completion();
            cq.sync();
            for cqe in &mut cq {
                count += 1;
                let c = Completion {
                    result: cqe.result(),
                    flags: cqe.flags(),
                };
                match cqe.user_data() {
                    CANCEL_TOKEN => {}
                    WAKE_TOKEN => self.wake_armed = false,
                    key => {
                        let reaped = self.ops.complete(key as usize, c);
                        if let Some(w) = reaped.waker {
                            self.wakers.push(w);
                        }
                        if let Some(data) = reaped.freed {
                            self.freed.push(data);
                        }
                    }
                }
            }
            drop(cq);
            // With IORING_FEAT_NODROP, completions that did not fit wait in the kernel's
            // overflow list until an enter with GETEVENTS flushes them.
            if self.ring.submission().cq_overflow() {
                self.enter(0, None);
                continue;
            }
            return count;
        }
    }
}

/// Checks the result of an `io_uring_enter`: transient errors are absorbed (what was queued
/// stays queued for the next call), anything else is a bug or a broken ring.
fn absorb_transient(result: io::Result<usize>) {
    if let Err(e) = result {
        match e.raw_os_error() {
            // Timeout elapsed, interrupted by a signal, kernel short of memory, or the CQ
            // must be drained first: the loop reaps and calls again.
            Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EAGAIN) | Some(libc::EBUSY) => {}
            _ => panic!("uring-rt: io_uring_enter failed unexpectedly: {e}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Mail first: released ops become `Ignored` slots that get cancelled below.
        self.drain_mailbox();
        let inner = self.inner.get_mut();
        // Slots left are `Ignored` (their futures were dropped, the data is here), or belong to
        // op futures that outlive the runtime. Cancel them all, and the wake read, then wait
        // until the kernel has completed every one.
        for key in inner.ops.in_flight_keys() {
            inner.push_cancel(key as u64);
        }
        if inner.wake_armed {
            inner.push_cancel(WAKE_TOKEN);
        }
        let deadline = Instant::now() + SHUTDOWN_WAIT;
        while inner.ops.has_in_flight() || inner.wake_armed {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            inner.flush_backlog();
            inner.enter(1, Some(deadline - now));
            inner.reap();
            inner.wakers.clear();
            inner.freed.clear();
        }
        let quiesced = !(inner.ops.has_in_flight() || inner.wake_armed);
        // From here on, mail is refused: a late poster learns the ring's fate from the registry.
        registry::remove(self.id, quiesced);
        let late = self.mailbox.close();
        let inner = self.inner.get_mut();
        if !quiesced {
            // The kernel still holds pointers into slot data (an uncancellable op): leak the
            // data, the wake buffer and the ring rather than free memory it may write.
            inner.ops.leak_all();
            let wake_buf = std::mem::replace(&mut inner.wake_buf, Box::new(0));
            std::mem::forget(wake_buf);
            for mail in late {
                match mail {
                    Mail::Op { data, .. } => std::mem::forget(data),
                    Mail::Task(task) => task(self),
                }
            }
            return;
        }
        // Every slot completed: late op data is free to go; tasks still see the ring.
        for mail in late {
            self.deliver(mail);
        }
        let inner = self.inner.get_mut();
        // SAFETY: the ring is dropped exactly once, here, and nothing in flight refers to
        // memory we are about to free (every slot completed).
        unsafe { ManuallyDrop::drop(&mut inner.ring) };
    }
}
