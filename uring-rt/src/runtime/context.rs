//! The one per-thread context: what the runtime entered on this thread offers to the rest of
//! the crate (its driver, its timers, its handle, its id).
//!
//! This is the crate's only runtime thread-local (the task scheduler keeps a raw pointer of its
//! own, because `task` knows nothing of the runtime). It holds one `Rc<Context>`; a lookup is
//! one thread-local access, a `RefCell` borrow flag check and one reference-count increment,
//! and ops do it once per poll. The driver itself never reads it: `op`, `time`, `fs` and `net`
//! find the driver here and pass it down.

use std::cell::RefCell;
use std::io;
use std::ops::Deref;
use std::rc::Rc;

use super::handle::Handle;
use super::timers::Timers;
use crate::driver::Driver;

/// What one runtime shares with the code it runs.
#[derive(Debug)]
pub(crate) struct Context {
    /// Distinguishes runtimes: a timer registered in one is never looked up in another.
    pub(crate) id: u64,
    pub(crate) driver: Driver,
    pub(crate) timers: RefCell<Timers>,
    pub(crate) handle: Handle,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Context>>> = const { RefCell::new(None) };
    /// Set while a `block_on` (of any runtime) runs on this thread: a thread drives one
    /// runtime at a time, and a blocking wait inside its tasks would deadlock it.
    static RUNNING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a `block_on` runs on this thread (so blocking on a future here would deadlock).
pub(crate) fn is_running() -> bool {
    RUNNING.try_with(|r| r.get()).unwrap_or(false)
}

/// Marks this thread as running a `block_on` until the guard drops; `None` if it already is.
pub(crate) fn start_running() -> Option<RunningGuard> {
    let was = RUNNING.try_with(|r| r.replace(true)).unwrap_or(true);
    (!was).then_some(RunningGuard(()))
}

/// Clears the running mark of [`start_running`] on drop.
#[derive(Debug)]
pub(crate) struct RunningGuard(());

impl Drop for RunningGuard {
    fn drop(&mut self) {
        let _ = RUNNING.try_with(|r| r.set(false));
    }
}

/// The context entered on this thread, if any.
pub(crate) fn current() -> Option<Rc<Context>> {
    CURRENT
        .try_with(|c| c.try_borrow().ok().and_then(|c| c.clone()))
        .ok()
        .flatten()
}

/// Runs `f` with the current context, if a runtime is entered on this thread.
pub(crate) fn with<R>(f: impl FnOnce(Option<&Context>) -> R) -> R {
    let ctx = current();
    f(ctx.as_deref())
}

/// Whether a runtime is entered on this thread.
pub(crate) fn is_entered() -> bool {
    CURRENT
        .try_with(|c| c.try_borrow().map(|c| c.is_some()).unwrap_or(true))
        .unwrap_or(false)
}

/// The error of an operation started where no runtime is entered.
pub(crate) fn no_runtime() -> io::Error {
    io::Error::other(
        "no uring-rt runtime on this thread: call this inside Runtime::block_on, \
         uring_rt::start or a task spawned on a runtime",
    )
}

/// The driver of the runtime entered on this thread.
///
/// # Errors
///
/// `ErrorKind::Other` with a message saying where to call from, when no runtime is entered.
pub(crate) fn driver() -> io::Result<DriverRef> {
    current().map(DriverRef).ok_or_else(no_runtime)
}

/// The entered runtime's driver, kept alive while this lives.
#[derive(Debug, Clone)]
pub(crate) struct DriverRef(Rc<Context>);

impl Deref for DriverRef {
    type Target = Driver;

    fn deref(&self) -> &Driver {
        &self.0.driver
    }
}

/// Runs `f` with the context of runtime `id` on that runtime's thread: now if it is the one
/// entered here, else when it next runs (through its driver's mailbox). Dropped unrun if the
/// runtime is gone, or if it is not entered when the mail arrives (it is shutting down).
pub(crate) fn run_on(id: u64, f: impl FnOnce(&Context) + Send + 'static) {
    let ctx = current();
    if let Some(ctx) = ctx.as_deref().filter(|c| c.id == id) {
        f(ctx);
        return;
    }
    Driver::run_on(
        None,
        id,
        Box::new(move |_driver| {
            with(|ctx| {
                if let Some(ctx) = ctx.filter(|c| c.id == id) {
                    f(ctx);
                }
            })
        }),
    );
}

/// Makes nothing current if `ctx` is (a dropped runtime left current by enter guards dropped
/// out of order).
pub(crate) fn forget(ctx: &Rc<Context>) {
    let old = CURRENT.try_with(|c| {
        let mut current = c.borrow_mut();
        if current.as_ref().is_some_and(|cur| Rc::ptr_eq(cur, ctx)) {
            current.take()
        } else {
            None
        }
    });
    drop(old);
}

/// Makes `ctx` current until the guard drops.
pub(crate) fn set(ctx: Rc<Context>) -> ContextGuard {
    let prev = CURRENT.try_with(|c| c.replace(Some(ctx))).ok().flatten();
    ContextGuard { prev }
}

/// Restores the previous context on drop.
#[derive(Debug)]
pub(crate) struct ContextGuard {
    prev: Option<Rc<Context>>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let old = CURRENT.try_with(|c| c.replace(prev));
        // Dropped outside the borrow: the last reference drops the driver, which may run
        // destructors that look the context up.
        drop(old);
    }
}
