//! `Runtime`: one ring, one local scheduler and the timers, driven by the `block_on` loop.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::builder::Builder;
use super::context::{self, Context};
use super::handle::Handle;
use super::timers::Timers;
use crate::driver::{Config, Driver, DriverKind, TaskrunMode, Unparker};
use crate::task::{Local, Unpark};

/// Tasks polled per tick before the ring is checked again (fairness between tasks and I/O).
const BUDGET: usize = 64;

/// A single-threaded runtime: one io_uring, one task queue, its timers.
///
/// It is not `Send`: it runs futures on the thread that created it. Create one per thread
/// (or use [`ThreadPerCore`](crate::runtime::ThreadPerCore)) to use several cores.
///
/// # Examples
///
/// ```
/// let rt = uring_rt::Runtime::new().unwrap();
/// let out = rt.block_on(async {
///     let task = uring_rt::spawn(async { 20 + 1 });
///     task.await.unwrap() * 2
/// });
/// assert_eq!(out, 42);
/// ```
pub struct Runtime {
    /// Boxed so its address (kept in a thread-local while entered) is stable.
    local: Box<Local>,
    /// Driver, timers, handle: what `enter` makes current (and drops the driver last).
    context: Rc<Context>,
    /// How long dropping waits for the blocking closures still running (`None`: until they
    /// return, as tokio's `Drop`).
    blocking_wait: Option<Duration>,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("mode", &self.driver().mode())
            .field("tasks", &self.local.live_tasks())
            .field("in_flight", &self.driver().in_flight())
            .field("timers", &self.context.timers.borrow().len())
            .field("ring_fd_registered", &self.driver().ring_fd_registered())
            .finish()
    }
}

/// Wakes a parked ring: the scheduler's hook into the driver.
struct RingUnpark(Unparker);

impl Unpark for RingUnpark {
    fn unpark(&self) {
        self.0.unpark();
    }
}

/// The waker of the future passed to `block_on`.
struct MainWaker {
    woken: AtomicBool,
    unparker: Unparker,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.unparker.unpark();
    }
}

/// Everything `Runtime::enter` sets, restored on drop (in reverse order).
struct Entered {
    _context: context::ContextGuard,
    local: crate::task::EnterGuard,
}

/// Keeps a runtime entered on this thread until dropped; see [`Runtime::enter`].
///
/// # Panics
///
/// Dropping guards out of the reverse order they were taken in panics, as tokio's.
#[must_use = "the runtime is entered only while the guard lives"]
pub struct EnterGuard<'a> {
    entered: Option<Entered>,
    _runtime: PhantomData<&'a Runtime>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        let Some(Entered { _context, local }) = self.entered.take() else {
            return;
        };
        let in_order = local.leave();
        drop(_context);
        if !in_order && !std::thread::panicking() {
            panic!(
                "uring_rt::runtime::EnterGuard values dropped out of order: guards returned by \
                 Runtime::enter must be dropped in the reverse order they were taken in"
            );
        }
    }
}

impl Runtime {
    /// A runtime with the default configuration.
    ///
    /// # Errors
    ///
    /// When io_uring cannot be set up: the error names the cause (`ENOSYS`: no io_uring in
    /// this kernel; `EPERM`: `kernel.io_uring_disabled` or a seccomp profile; `ENOMEM`: the
    /// memlock limit) and what to do.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new()?;
    /// rt.block_on(async {});
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Runtime::from_config(&Config::default())
    }

    /// A builder to choose ring size and setup flags.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().entries(32).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_config(config: &Config) -> io::Result<Runtime> {
        let driver = Driver::new(config)?;
        let local = Box::new(Local::new(Box::new(RingUnpark(driver.unparker().clone()))));
        let handle = Handle {
            shared: local.shared().clone(),
            blocking: Default::default(),
        };
        let context = Rc::new(Context {
            // The driver's id: unique in the process, and what mail to this runtime uses.
            id: driver.id(),
            driver,
            timers: RefCell::new(Timers::new()),
            handle,
        });
        Ok(Runtime {
            local,
            context,
            blocking_wait: None,
            _not_send: PhantomData,
        })
    }

    fn driver(&self) -> &Driver {
        &self.context.driver
    }

    /// A `Send` handle to spawn onto this runtime from other threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let task = handle.spawn(async { 5 });
    /// assert_eq!(rt.block_on(task).unwrap(), 5);
    /// ```
    pub fn handle(&self) -> Handle {
        self.context.handle.clone()
    }

    /// Which completion mode the kernel granted (see [`Builder::defer_taskrun`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// println!("{:?}", rt.taskrun_mode());
    /// ```
    pub fn taskrun_mode(&self) -> TaskrunMode {
        self.driver().mode()
    }

    /// Which driver runs this runtime's I/O: [`DriverKind::IoUring`] or
    /// [`DriverKind::Epoll`], never `Auto`.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::runtime::DriverKind;
    ///
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// assert!(matches!(rt.driver_kind(), DriverKind::IoUring | DriverKind::Epoll));
    /// ```
    pub fn driver_kind(&self) -> DriverKind {
        self.driver().kind()
    }

    /// Number of operations the kernel has not completed yet, plus completed ones not yet
    /// taken by their futures (the op slab's occupancy).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// rt.block_on(async { uring_rt::io::nop().await.unwrap() });
    /// assert_eq!(rt.in_flight_ops(), 0);
    /// ```
    pub fn in_flight_ops(&self) -> usize {
        self.driver().in_flight()
    }

    /// How many streams hold a slot of the ring's registered-file table now (direct
    /// descriptors, see [`Builder::direct_descriptors`](super::Builder::direct_descriptors));
    /// 0 when the switch is off.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().direct_descriptors(8).build().unwrap();
    /// assert_eq!(rt.direct_descriptors_in_use(), 0);
    /// ```
    pub fn direct_descriptors_in_use(&self) -> usize {
        self.driver().direct_in_use()
    }

    /// A snapshot of this runtime's counters: tasks polled, operations submitted, completed
    /// and cancelled, `io_uring_enter` calls and the SQEs they carried, parks and wake-ups from
    /// other threads. See [`RuntimeMetrics`](crate::runtime::RuntimeMetrics).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// rt.block_on(async { uring_rt::io::nop().await.unwrap() });
    /// let m = rt.metrics();
    /// assert_eq!(m.ops_submitted, 1);
    /// assert_eq!(m.ops_completed, 1);
    /// assert!(m.enters >= 1);
    /// ```
    pub fn metrics(&self) -> crate::runtime::RuntimeMetrics {
        crate::runtime::RuntimeMetrics::new(self.driver().counters(), self.local.counters())
    }

    /// What the fault-injection layer did so far (all zero without one). Cargo feature
    /// `fault-injection`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// assert_eq!(rt.fault_stats().cqes_rewritten, 0);
    /// ```
    #[cfg(feature = "fault-injection")]
    pub fn fault_stats(&self) -> crate::fault::FaultStats {
        self.driver().fault_stats()
    }

    /// Number of spawned tasks that have not finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// rt.block_on(async { uring_rt::spawn(async {}).await.unwrap() });
    /// assert_eq!(rt.live_tasks(), 0);
    /// ```
    pub fn live_tasks(&self) -> usize {
        self.local.live_tasks()
    }

    fn enter_inner(&self) -> Entered {
        let local = self.local.enter();
        let context = context::set(self.context.clone());
        Entered {
            _context: context,
            local,
        }
    }

    /// Enters this runtime's context on this thread until the guard drops, without running
    /// it: [`spawn`](crate::spawn), [`Handle::current`] and operations can be created outside
    /// `block_on`; the tasks run at the next `block_on`, as tokio's `Runtime::enter`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// let task = {
    ///     let _guard = rt.enter();
    ///     uring_rt::spawn(async { 3 })
    /// };
    /// assert_eq!(rt.block_on(task).unwrap(), 3);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            entered: Some(self.enter_inner()),
            _runtime: PhantomData,
        }
    }

    /// Spawns a task on this runtime from outside it, as tokio's `Runtime::spawn`: it runs
    /// when the runtime next runs (in [`block_on`](Runtime::block_on)). Like
    /// [`spawn`](crate::spawn), the future need not be `Send`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// let task = rt.spawn(async { 40 + 2 });
    /// assert_eq!(rt.block_on(task).unwrap(), 42);
    /// ```
    pub fn spawn<F>(&self, future: F) -> crate::JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.local.spawn(future)
    }

    /// Runs a blocking closure on the blocking pool for this runtime, as
    /// [`spawn_blocking`](crate::spawn_blocking) inside it.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// let task = rt.spawn_blocking(|| 7);
    /// assert_eq!(rt.block_on(task).unwrap(), 7);
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> crate::JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.context.handle.spawn_blocking(f)
    }

    /// Shuts the runtime down, waiting at most `timeout` for the blocking closures it started
    /// (dropping it waits for them without limit), as tokio's. Its tasks are dropped first,
    /// as on drop; closures still queued are not run. Closures still running after `timeout`
    /// run on, detached: their handles still get their results.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// let (started_tx, started) = std::sync::mpsc::channel();
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let task = rt.spawn_blocking(move || {
    ///     started_tx.send(()).unwrap();
    ///     rx.recv().is_err()
    /// });
    /// started.recv().unwrap(); // a closure not started by the shutdown would not run
    /// rt.shutdown_timeout(Duration::from_millis(10));
    /// drop(tx); // the closure returns now, after the shutdown
    /// assert!(futures::executor::block_on(task).unwrap());
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.blocking_wait = Some(timeout);
    }

    /// Shuts the runtime down without waiting for its blocking closures, as tokio's:
    /// [`shutdown_timeout`](Runtime::shutdown_timeout) with a zero timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// rt.spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(50)));
    /// rt.shutdown_background();
    /// ```
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    /// Runs `future` to completion on this thread, running spawned tasks and I/O meanwhile.
    ///
    /// # Panics
    ///
    /// When called while a runtime runs on this thread, in a task or in another `block_on`
    /// (a blocking wait inside async code would deadlock it), as tokio's; and propagates a
    /// panic of `future` itself (panics of spawned tasks are caught and reported through
    /// their `JoinHandle`). Inside an [`enter`](Runtime::enter) guard it runs.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(async { 7 }), 7);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let Some(_running) = context::start_running() else {
            panic!(
                "Runtime::block_on called inside a uring-rt runtime: a thread runs one \
                 runtime at a time; spawn the future instead"
            )
        };
        let _entered = self.enter_inner();
        let driver = self.driver();
        // What was released while the runtime was not running goes back to the ring first
        // (a registration dropped after the last `block_on` is undone before new ones).
        driver.drain_mailbox();
        let unparker = driver.unparker().clone();
        let main = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            unparker: unparker.clone(),
        });
        let waker = Waker::from(main.clone());
        let mut cx = TaskContext::from_waker(&waker);
        let mut future = pin!(future);
        let mut wake = Vec::new();
        loop {
            if main.woken.load(Ordering::SeqCst) {
                main.woken.store(false, Ordering::SeqCst);
                // The main future gets a cooperative budget per poll, as a task does.
                let budget = crate::task::coop::budget();
                if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                    return out;
                }
                drop(budget);
            }
            self.local.run(BUDGET);

            // Timers: fire what is due, learn the next deadline.
            let next = {
                let mut timers = self.context.timers.borrow_mut();
                if timers.len() == 0 {
                    None
                } else {
                    timers.fire(Instant::now(), &mut wake);
                    timers.next_deadline()
                }
            };
            let fired = !wake.is_empty();
            for w in wake.drain(..) {
                w.wake();
            }

            if fired
                || self.local.has_ready()
                || self.local.has_deferred()
                || main.woken.load(Ordering::SeqCst)
            {
                driver.submit_and_reap();
                // Tasks that yielded run again only now that the driver was polled.
                self.local.wake_deferred();
                continue;
            }
            // Nothing to run: announce the park, then re-check what other threads may have
            // queued in between (they unpark by syscall only when they see the flag).
            unparker.set_parked(true);
            if self.local.has_ready() || main.woken.load(Ordering::SeqCst) {
                unparker.set_parked(false);
                driver.submit_and_reap();
                continue;
            }
            let timeout = next.map(|d| d.saturating_duration_since(Instant::now()));
            driver.park(timeout);
            unparker.set_parked(false);
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Shut down inside this runtime's context even if another is entered on this thread
        // (a runtime dropped inside a task): futures dropped now must find their own ring.
        let _context = context::set(self.context.clone());
        let _local = self.local.enter();
        // Drops every task's future: their in-flight ops move into the slab and get cancels.
        self.local.shutdown();
        // Timers left belong to futures just dropped; their wakers point at dead tasks.
        let old = std::mem::replace(&mut *self.context.timers.borrow_mut(), Timers::new());
        drop(old);
        // Push the cancels and collect what already completed; `Driver::drop` (when the last
        // handle goes, right after this) waits for the rest.
        self.driver().submit_and_reap();
        // Blocking closures: queued ones will not run; wait for the running ones, as tokio.
        let blocking = &self.context.handle.blocking;
        blocking.close();
        blocking.wait(self.blocking_wait);
        drop((_local, _context));
        context::forget(&self.context);
    }
}
