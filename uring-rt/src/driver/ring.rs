//! The driver: one ring, its op slab, submission with back-pressure, reaping and parking.

use std::cell::RefCell;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use io_uring::squeue;

use super::bgids::Bgids;
use super::enter::RegisteredRing;
use super::fallback::Fallback;
use super::files;
use super::lifecycle::{Completion, Observer, Orphan};
use super::mailbox::{Mail, Mailbox};
use super::metrics::Counters;
use super::ops::Dropped;
use super::registry;
use super::setup::{self, Config, DriverKind, TaskrunMode};
use super::submission::{Inner, WAKE_TOKEN};
use super::unpark::Unparker;

/// How long dropping a driver waits for the kernel to finish cancelled operations.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// The io_uring driver of one thread, owned by its runtime's context.
///
/// Ops do not keep the driver alive: they hold its id and their slot key. Data released where
/// the driver is not the entered one goes back through the driver's mailbox (found by id in
/// the registry); a driver that is gone decides by whether it quiesced (see `registry`).
pub(crate) struct Driver {
    /// Unique among all drivers of the process; ops refer to their ring by it.
    id: u64,
    pub(super) inner: RefCell<Inner>,
    unparker: Unparker,
    mailbox: Arc<Mailbox>,
    /// The registered-file table, registered (sparse) on first use.
    pub(super) files: RefCell<Option<files::FileTable>>,
    /// How many slots of that table stream sockets may hold (`Builder::direct_descriptors`;
    /// 0 on the epoll driver, or once the table could not be registered).
    pub(super) direct_slots: std::cell::Cell<u32>,
    mode: TaskrunMode,
    /// Which opcodes run (the kernel's probe, or what the epoll driver emulates).
    supported: [u64; 4],
    kind: DriverKind,
    /// Buffer-group ids of the provided-buffer rings registered with this ring.
    bgids: Bgids,
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
        let kind = ring.kind();
        let mut supported = [0u64; 4];
        {
            let probe = ring.probe();
            for code in 0..=255u8 {
                let yes = match &probe {
                    Some(probe) => probe.is_supported(code),
                    None => super::epoll::Ring::is_supported(code),
                };
                if yes {
                    supported[usize::from(code / 64)] |= 1 << (code % 64);
                }
            }
        }
        #[cfg(feature = "fault-injection")]
        if let Some(faults) = &config.faults {
            for (word, hidden) in supported.iter_mut().zip(faults.hidden_opcodes) {
                *word &= !hidden;
            }
        }
        let is_supported = |code: u8| supported[usize::from(code / 64)] & (1 << (code % 64)) != 0;
        let fallback = match kind {
            DriverKind::IoUring => Fallback::new(is_supported),
            _ => Fallback::default(),
        };
        let unparker = Unparker::new()?;
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mailbox = Arc::new(Mailbox::new(unparker.clone()));
        registry::add(id, mailbox.clone());
        #[allow(unused_mut)]
        let mut inner = Inner::new(ring);
        inner.fallback = fallback;
        if config.register_ring_fd && !inner.sqpoll {
            // Best effort: an old kernel (before 5.18) or a thread with all 16 slots taken
            // enters through the plain fd.
            inner.registered = inner
                .ring
                .uring_fd()
                .and_then(|fd| RegisteredRing::register(fd).ok());
        }
        #[cfg(feature = "fault-injection")]
        if let Some(faults) = config.faults {
            inner.faults = Some(super::fault::Faults::new(faults));
        }
        Ok(Driver {
            id,
            mailbox,
            files: RefCell::new(None),
            direct_slots: std::cell::Cell::new(match kind {
                DriverKind::Epoll => 0,
                _ => config.direct_descriptors,
            }),
            inner: RefCell::new(inner),
            unparker,
            mode,
            supported,
            kind,
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

    /// Whether the kernel supports `opcode` (from the probe taken at setup), or the epoll
    /// driver emulates it.
    pub(crate) fn is_supported(&self, opcode: u8) -> bool {
        self.supported[usize::from(opcode / 64)] & (1 << (opcode % 64)) != 0
    }

    /// Whether an op with `opcode` runs here: the kernel has it, or the driver runs its
    /// system call on the blocking pool instead (`fallback`).
    pub(crate) fn can_run(&self, opcode: u8) -> bool {
        self.is_supported(opcode) || self.inner.borrow().fallback.runs(opcode)
    }

    /// Which driver runs: never `Auto`.
    pub(crate) fn kind(&self) -> DriverKind {
        self.kind
    }

    /// Registers buffers with the ring (`IORING_REGISTER_BUFFERS`).
    ///
    /// # Safety
    /// The memory stays allocated until [`Driver::unregister_buffers`] succeeds or the ring
    /// is gone.
    pub(crate) unsafe fn register_buffers(&self, iovecs: &[libc::iovec]) -> io::Result<()> {
        // SAFETY: the caller's contract.
        unsafe { self.inner.borrow_mut().ring.register_buffers(iovecs) }
    }

    /// Unregisters the ring's buffers.
    pub(crate) fn unregister_buffers(&self) -> io::Result<()> {
        self.inner.borrow_mut().ring.unregister_buffers()
    }

    /// Registers a provided-buffer ring as group `bgid`, incrementally consumed if asked for
    /// and possible; returns whether it is.
    ///
    /// # Safety
    /// The ring memory at `addr` stays allocated until unregistered or the ring is gone.
    pub(crate) unsafe fn register_buf_ring(
        &self,
        addr: u64,
        entries: u16,
        bgid: u16,
        incremental: bool,
    ) -> io::Result<bool> {
        // SAFETY: the caller's contract.
        unsafe {
            self.inner
                .borrow_mut()
                .ring
                .register_buf_ring(addr, entries, bgid, incremental)
        }
    }

    /// Whether multishot receives can take bundles (Linux 6.10+, io_uring driver).
    pub(crate) fn has_recv_bundle(&self) -> bool {
        self.inner.borrow().ring.has_recv_bundle()
    }

    /// Unregisters buffer group `bgid`.
    pub(crate) fn unregister_buf_ring(&self, bgid: u16) -> io::Result<()> {
        self.inner.borrow_mut().ring.unregister_buf_ring(bgid)
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
            Mail::Reap => self.inner.borrow_mut().reap_fallback(),
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

    /// Whether `io_uring_enter` goes through a registered ring fd.
    pub(crate) fn ring_fd_registered(&self) -> bool {
        self.inner.borrow().registered.is_some()
    }

    /// What this driver has done so far (see `Runtime::metrics`).
    pub(crate) fn counters(&self) -> Counters {
        self.inner.borrow().counters
    }

    /// Number of slots in use.
    pub(crate) fn in_flight(&self) -> usize {
        self.inner.borrow().ops.len()
    }

    /// Queues a single-shot SQE for a future that waits with `waker`; returns its slot key
    /// and whether the op must be polled now. On io_uring nothing completes before the next
    /// enter, so the slot takes the waker at once and the first poll ends here; the epoll
    /// driver may complete the op while it is queued, so its slot is polled as usual.
    ///
    /// # Safety
    /// Every pointer in `entry` stays valid until the operation's completion arrives: the
    /// caller keeps the data alive in the op future, and moves it into the slot with
    /// [`Driver::drop_op`] if the future is dropped first.
    pub(crate) unsafe fn submit_waiting(
        &self,
        entry: squeue::Entry,
        waker: &Waker,
    ) -> (usize, bool) {
        let mut inner = self.inner.borrow_mut();
        let inline = inner.ring.consumes_at_push();
        let key = if inline {
            inner.ops.insert()
        } else {
            inner.ops.insert_waiting(waker.clone())
        };
        // SAFETY: the caller's contract.
        unsafe { self.enqueue(inner, entry.user_data(key as u64)) };
        (key, inline)
    }

    /// Queues a multishot SQE whose completions `observer` sees as they are reaped; returns
    /// its slot key.
    ///
    /// # Safety
    /// As [`Driver::submit_waiting`], until the final completion (one without `F_MORE`).
    pub(crate) unsafe fn submit_multi(
        &self,
        entry: squeue::Entry,
        observer: Option<Rc<dyn Observer>>,
    ) -> usize {
        let mut inner = self.inner.borrow_mut();
        let key = inner.ops.insert_multi_observed(observer);
        // SAFETY: the caller's contract.
        unsafe { self.enqueue(inner, entry.user_data(key as u64)) };
        key
    }

    /// Queues an SQE nobody awaits; `data` keeps its pointers valid and sees its completion.
    ///
    /// # Safety
    /// Every pointer in `entry` points into `data` (or is otherwise valid until completion).
    pub(crate) unsafe fn submit_orphan(&self, entry: squeue::Entry, data: Box<dyn Orphan>) {
        let mut inner = self.inner.borrow_mut();
        let key = inner.ops.insert_orphan(data);
        // SAFETY: the caller's contract.
        unsafe { self.enqueue(inner, entry.user_data(key as u64)) };
    }

    /// The common tail of the `submit*` calls, for the slot `entry` names: counts the op,
    /// queues it, and on the epoll driver (which runs it at once) reaps its completion so the
    /// submitting poll finds it; other futures woken by that reap are woken here.
    ///
    /// # Safety
    /// As [`Driver::submit_waiting`].
    #[inline(always)]
    unsafe fn enqueue(&self, mut inner: std::cell::RefMut<'_, Inner>, entry: squeue::Entry) {
        inner.counters.ops_submitted += 1;
        // SAFETY: the caller's contract.
        unsafe { self.queue(&mut inner, entry) };
        let wake = inner.reap_inline();
        drop(inner);
        if wake {
            self.dispatch();
        }
    }

    /// Queues `entry` for the kernel, or runs it on the blocking pool when the kernel lacks
    /// its opcode (see `fallback`).
    ///
    /// # Safety
    /// As [`Driver::submit_waiting`].
    #[inline(always)]
    unsafe fn queue(&self, inner: &mut Inner, entry: squeue::Entry) {
        if !inner.fallback.any() || !inner.fallback.runs(entry.get_opcode() as u8) {
            inner.push(entry);
            return;
        }
        inner.counters.ops_fallback += 1;
        let file = |slot: u32| self.file_fd(slot);
        // SAFETY: the caller's contract: the op's data lives until its final completion,
        // which is the pool's result delivered by `reap_fallback`.
        if let Err(res) = unsafe { inner.fallback.run(&entry, file, &self.mailbox) } {
            inner.dispatch_one(
                entry.get_user_data(),
                Completion {
                    result: res,
                    flags: 0,
                },
            );
        }
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

    /// What the fault-injection layer did so far.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn fault_stats(&self) -> super::fault::FaultStats {
        self.inner
            .borrow()
            .faults
            .as_ref()
            .map(|f| f.stats())
            .unwrap_or_default()
    }

    /// Submits queued SQEs and collects completions without waiting.
    pub(crate) fn submit_and_reap(&self) -> usize {
        self.drain_mailbox();
        {
            let mut inner = self.inner.borrow_mut();
            // With DEFER_TASKRUN the kernel posts completions only when we enter with
            // GETEVENTS, so an op awaiting the kernel is a reason to enter even with nothing
            // to submit (a completed-but-untaken slot is not).
            if inner.needs_enter(self.mode == TaskrunMode::Defer) {
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
        if inner.ring.consumes_at_push() {
            // The emulation ran the SQE when it was queued.
            return;
        }
        inner.flush_backlog();
        inner.enter(0, None);
    }

    /// Blocks until a completion, a wake-up from another thread, or `timeout` (`None`: no
    /// limit), submitting queued SQEs in the same syscall. Then dispatches completions.
    pub(crate) fn park(&self, timeout: Option<Duration>) -> usize {
        // Mail may wake tasks (a released permit): then do not block.
        let mail = self.drain_mailbox();
        {
            let mut inner = self.inner.borrow_mut();
            inner.counters.parks += 1;
            inner.arm_wake(self.unparker.eventfd());
            inner.flush_backlog();
            // A backlog left (the kernel could take nothing yet) must not wait for an
            // unrelated completion: look again at once.
            let blocked = mail || inner.must_not_block() || !inner.backlog.is_empty();
            inner.enter(if blocked { 0 } else { 1 }, timeout);
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
        if std::thread::panicking() {
            // Unwinding (a runtime dropped by a panic): a destructor that panics now would
            // abort the process.
            for data in freed.drain(..) {
                quietly(move || drop(data));
            }
        } else {
            freed.clear();
        }
        let mut inner = self.inner.borrow_mut();
        inner.wakers = wakers;
        inner.freed = freed;
        count
    }
}

/// Runs `f`, swallowing a panic: the driver's drop must not panic (a second panic while
/// unwinding aborts the process).
fn quietly(f: impl FnOnce()) {
    let _ = panic::catch_unwind(AssertUnwindSafe(f));
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Mail first: released ops become `Ignored` slots that get cancelled below.
        quietly(|| {
            self.drain_mailbox();
        });
        let inner = self.inner.get_mut();
        // Slots left are `Ignored` (their futures were dropped, the data is here), or belong
        // to op futures that outlive the runtime. One `ASYNC_CANCEL` with `ALL | ANY` cancels
        // them all, and the wake read; then wait until the kernel has completed every one.
        let mut per_key_sent = false;
        if inner.ops.has_in_flight() || inner.wake_armed {
            inner.push_cancel_all();
        }
        let deadline = Instant::now() + SHUTDOWN_WAIT;
        while inner.ops.has_in_flight() || inner.wake_armed {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            // Ops on the blocking pool post their results to the mailbox, which is not
            // drained here: reap them directly, and look often while any is running.
            inner.reap_fallback();
            let nap = if inner.fallback.in_pool > 0 {
                Duration::from_millis(1)
            } else {
                Duration::from_millis(100)
            };
            if inner.cancel_all_refused && !per_key_sent {
                // The kernel lacks `ASYNC_CANCEL_ALL` (before 5.19): one cancel per key.
                per_key_sent = true;
                for key in inner.ops.in_flight_keys() {
                    inner.push_cancel(key as u64);
                }
                if inner.wake_armed {
                    inner.push_cancel(WAKE_TOKEN);
                }
            }
            inner.flush_backlog();
            let want = if inner.held_completions() { 0 } else { 1 };
            inner.enter(want, Some((deadline - now).min(nap)));
            inner.reap();
            inner.reap_fallback();
            let wakers = std::mem::take(&mut inner.wakers);
            let freed = std::mem::take(&mut inner.freed);
            quietly(move || drop(wakers));
            for data in freed {
                quietly(move || drop(data));
            }
        }
        let quiesced = !(inner.ops.has_in_flight() || inner.wake_armed);
        // From here on, mail is refused: a late poster learns the ring's fate from the
        // registry. Marked before anything else is freed, so that what is freed below (the
        // buffer ring of an orphaned stream) sees the ring as quiesced.
        registry::remove(self.id, quiesced);
        let late = self.mailbox.close();
        if !quiesced {
            // The kernel still holds pointers into slot data (an uncancellable op): leak the
            // data, the wake buffer and the ring rather than free memory it may write.
            let inner = self.inner.get_mut();
            inner.ops.leak_all();
            inner.fallback.leak();
            let wake_buf = std::mem::replace(&mut inner.wake_buf, Box::new(0));
            std::mem::forget(wake_buf);
            for mail in late {
                match mail {
                    Mail::Op { data, .. } => data.leak(),
                    // Not run: undoing a registration (freeing a buffer ring's memory) is
                    // not safe while the kernel may still use it. What a task owns leaks.
                    Mail::Task(task) => quietly(move || drop(task)),
                    Mail::Reap => {}
                }
            }
            return;
        }
        // Every slot completed: late op data is free to go; tasks still see the ring.
        for mail in late {
            quietly(|| self.deliver(mail));
        }
        let inner = self.inner.get_mut();
        // Slots still held (completed, never taken by a future that outlives us) own nothing
        // the kernel uses; drop them with the slab.
        let freed = std::mem::take(&mut inner.freed);
        for data in freed {
            quietly(move || drop(data));
        }
        // The registration holds a reference on the ring's file: undo it first, or the ring
        // would live until this thread exits.
        if let (Some(registered), Some(fd)) = (inner.registered.take(), inner.ring.uring_fd()) {
            registered.unregister(fd);
        }
        // SAFETY: the ring is dropped exactly once, here, and nothing in flight refers to
        // memory we are about to free (every slot completed).
        unsafe { std::mem::ManuallyDrop::drop(&mut inner.ring) };
    }
}
