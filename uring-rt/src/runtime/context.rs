//! What the runtime entered on this thread offers to the user-facing modules: its timers and
//! its handle. (The driver and the scheduler keep their own thread-local pointers.)

use std::cell::RefCell;
use std::rc::Rc;

use super::handle::Handle;
use super::timers::Timers;

#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// Distinguishes runtimes: a timer registered in one is never looked up in another.
    pub(crate) id: u64,
    pub(crate) timers: Rc<RefCell<Timers>>,
    pub(crate) handle: Handle,
}

thread_local! {
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Runs `f` with the current context, if a runtime is entered on this thread.
pub(crate) fn with<R>(f: impl FnOnce(Option<&Context>) -> R) -> R {
    let ctx = CONTEXT.try_with(|c| c.borrow().clone()).ok().flatten();
    f(ctx.as_ref())
}

/// Whether a runtime is entered on this thread.
pub(crate) fn is_entered() -> bool {
    CONTEXT.try_with(|c| c.borrow().is_some()).unwrap_or(false)
}

/// Sets the context until the guard drops.
pub(crate) fn set(ctx: Context) -> ContextGuard {
    let prev = CONTEXT.with(|c| c.replace(Some(ctx)));
    ContextGuard { prev }
}

#[derive(Debug)]
pub(crate) struct ContextGuard {
    prev: Option<Context>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CONTEXT.try_with(|c| *c.borrow_mut() = prev);
    }
}
