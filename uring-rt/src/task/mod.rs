//! Tasks: cells, wakers, join and abort handles, join sets and run queues. Nothing here
//! knows about io_uring.
//!
//! # Invariants
//!
//! - A task is one heap allocation (`raw::Cell<F>`): a `raw::Header` (with the task's
//!   [`Id`]) followed by the future, later its output. Its state word (`state.rs`) holds the flags and a
//!   reference count; the allocation is freed when the count reaches zero.
//! - References are held by: the `JoinHandle`, each `AbortHandle`, each `Waker`, the
//!   run-queue entry while `SCHEDULED` is set (so a task is queued at most once), and the
//!   owner's list of live tasks until `COMPLETE`.
//! - Only the owner thread (the thread of the runtime that spawned it, or the target of a
//!   `Handle::spawn`) polls a task, drops its future, or reads and writes `owned_idx`. A
//!   `!Send` future therefore never leaves its thread, and is dropped there: at completion, on
//!   abort at the next poll, or at shutdown through the list of live tasks.
//! - The output is written before `COMPLETE` is set (Release) and read by the join side only
//!   after observing it (Acquire). Whoever clears or observes `JOIN_INTEREST` last decides
//!   who drops an unread output: the completing thread if the handle was gone, else the handle.
//! - Any thread may wake a task: on the owner thread the task goes to the local queue; from
//!   another thread to the remote queue, followed by an unpark of the owner (which costs a
//!   syscall only when the owner is parked).

mod abort;
pub mod coop;
mod id;
mod join;
mod join_error;
mod join_set;
mod queue;
mod raw;
mod ready;
mod state;
mod task_local;
mod unconstrained;
mod waker;

/// The spawn functions under tokio's paths (`tokio::task::spawn`, `spawn_blocking`,
/// `yield_now`): the same as [`crate::spawn`], [`crate::spawn_blocking`] and
/// [`crate::yield_now`].
pub use crate::runtime::{spawn, spawn_blocking, yield_now};
pub use abort::AbortHandle;
pub use coop::consume_budget;
pub use id::{id, try_id, Id};
pub use join::JoinHandle;
pub(crate) use join_error::panic_message;
pub use join_error::JoinError;
pub use join_set::JoinSet;
pub(crate) use queue::Unpark;
pub(crate) use queue::{EnterGuard, Local, Shared, TaskCounters};
pub(crate) use raw::{spawn_unowned, task_size, HEADER_SIZE};
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};
pub use unconstrained::{unconstrained, Unconstrained};

/// Spawns a local task (its future need not be `Send`), as tokio's `task::spawn_local`. Every
/// task spawned on a uring-rt runtime is local to its thread, so this is [`spawn`] under
/// tokio's name; it needs no `LocalSet`.
///
/// # Panics
///
/// Outside a uring-rt runtime, as [`spawn`].
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// uring_rt::start(async {
///     let shared = Rc::new(3);
///     let s = shared.clone();
///     assert_eq!(uring_rt::task::spawn_local(async move { *s }).await.unwrap(), 3);
/// });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: std::future::Future + 'static,
    F::Output: 'static,
{
    spawn(future)
}
