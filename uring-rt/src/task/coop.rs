//! The cooperative budget, as tokio's: each poll of a task (and of `block_on`'s future) may
//! complete at most `BUDGET` operations before the next one returns `Pending` and wakes its
//! task at once, so a task whose operations complete without waiting (the epoll driver runs
//! them inline) still gives the timers, the ring and the other tasks their turn.
//!
//! Outside a budgeted poll (a future polled by hand on a thread with no runtime) nothing is
//! limited. The public items mirror `tokio::task::coop`.

use std::cell::Cell;
use std::sync::Arc;
use std::task::{Poll, Waker};

use super::queue::Shared;

/// Operations a task may complete in one poll (tokio's figure).
const BUDGET: u32 = 128;

thread_local! {
    /// What the poll running on this thread may still complete; `None`: unlimited.
    static LEFT: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Gives the poll that runs until the guard drops a fresh budget (then the previous one again).
pub(crate) fn budget() -> BudgetGuard {
    let prev = LEFT.try_with(|c| c.replace(Some(BUDGET))).ok().flatten();
    BudgetGuard { prev }
}

/// Restores the budget of the enclosing poll when dropped.
pub(crate) struct BudgetGuard {
    prev: Option<u32>,
}

impl Drop for BudgetGuard {
    fn drop(&mut self) {
        let _ = LEFT.try_with(|c| c.set(self.prev));
    }
}

/// Takes one unit of the budget: `Ready` to go on, or `Pending` (with `waker` woken, so the
/// task runs again after the others) when the poll has used it up.
pub(crate) fn poll_proceed(waker: &Waker) -> Poll<()> {
    let left = LEFT.try_with(Cell::get).ok().flatten();
    match left {
        None => Poll::Ready(()),
        Some(0) => {
            defer(waker);
            Poll::Pending
        }
        Some(n) => {
            let _ = LEFT.try_with(|c| c.set(Some(n - 1)));
            Poll::Ready(())
        }
    }
}

/// Wakes `waker` once the runtime of this thread has polled its driver, so a task that yields
/// lets I/O and timers progress first, as tokio's. Any other waker (outside a runtime, the
/// `block_on` future's, another executor's nested in a task) is woken at once: the runtime
/// polls its driver before `block_on`'s future anyway, and another executor must not wait
/// for a runtime it may be blocking.
///
/// The yield waits in the scheduler that runs the task, which need not be the innermost one
/// entered on this thread (a task may hold another runtime's `Runtime::enter` guard, and that
/// runtime is not running).
pub(crate) fn defer(waker: &Waker) {
    let polled = TASK_WAKER.try_with(Cell::get).ok().flatten();
    let owner = polled.and_then(|(task, owner)| {
        // SAFETY: set only by `polling`, whose guard (alive for the whole poll of the task
        // owning that waker) restores the previous value before the waker goes away.
        let task = unsafe { &*task };
        waker.will_wake(task).then_some(owner)
    });
    let deferred = owner.is_some_and(|owner| {
        super::Local::with_entered(owner, |local| match local {
            Some(local) => {
                local.defer(waker);
                true
            }
            None => false,
        })
    });
    if !deferred {
        waker.wake_by_ref();
    }
}

thread_local! {
    /// The waker of the task being polled on this thread and the scheduler it belongs to.
    static TASK_WAKER: Cell<Option<(*const Waker, *const Shared)>> = const { Cell::new(None) };
}

/// Marks `waker` as the waker of the task polled until the guard drops, which the caller
/// keeps no longer than `waker` lives; `owner` is the scheduler that runs the task.
pub(crate) fn polling(waker: &Waker, owner: &Arc<Shared>) -> PollingGuard {
    let prev = TASK_WAKER
        .try_with(|w| w.replace(Some((waker as *const Waker, Arc::as_ptr(owner)))))
        .ok()
        .flatten();
    PollingGuard { prev }
}

/// Restores the previously polled task's waker on drop.
pub(crate) struct PollingGuard {
    prev: Option<(*const Waker, *const Shared)>,
}

impl Drop for PollingGuard {
    fn drop(&mut self) {
        let _ = TASK_WAKER.try_with(|w| w.set(self.prev));
    }
}

/// Gives back the unit a [`poll_proceed`] took, when the poll it allowed found nothing ready.
pub(crate) fn refund() {
    let _ = LEFT.try_with(|c| {
        if let Some(n) = c.get() {
            c.set(Some(n.saturating_add(1).min(BUDGET)));
        }
    });
}

/// Whether the running task may still complete an operation in this poll before the
/// cooperative budget makes it yield (always true outside a runtime's poll), as tokio's.
/// (`Timeout` asks it to tell its future's exhausting the budget from its own.)
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     assert!(uring_rt::task::coop::has_budget_remaining());
/// });
/// ```
pub fn has_budget_remaining() -> bool {
    LEFT.try_with(Cell::get).ok().flatten() != Some(0)
}

/// Runs `f` with no budget limit, then restores the enclosing poll's budget. (The future
/// form users call is [`task::unconstrained`](crate::task::unconstrained).)
pub(crate) fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    let prev = LEFT.try_with(|c| c.replace(None)).ok().flatten();
    let _restore = BudgetGuard { prev };
    f()
}

/// Takes one unit of the running task's cooperative budget, yielding to the scheduler first
/// if it is used up, as tokio's: a loop that does no I/O can call it to stay fair.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     for _ in 0..1000 {
///         uring_rt::task::consume_budget().await; // yields once every 128 rounds
///     }
/// });
/// ```
pub async fn consume_budget() {
    let mut done = false;
    std::future::poll_fn(move |cx| {
        if done {
            return Poll::Ready(());
        }
        let ready = poll_proceed(cx.waker());
        done = ready.is_ready();
        ready
    })
    .await
}
