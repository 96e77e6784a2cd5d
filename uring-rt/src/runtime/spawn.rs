//! `spawn`, `spawn_blocking`, `yield_now`: the task API of the runtime on this thread.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::blocking;
use super::handle::Handle;
use crate::task::{spawn_unowned, JoinHandle, Local};

/// Spawns a task on the runtime of this thread. The future need not be `Send`: it runs on
/// this thread only.
///
/// # Panics
///
/// When called outside a runtime.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// uring_rt::start(async {
///     let shared = Rc::new(5); // not Send: fine for a local task
///     let s = shared.clone();
///     let handle = uring_rt::spawn(async move { *s * 2 });
///     assert_eq!(handle.await.unwrap(), 10);
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match Local::with_current(|local| local.map(|local| local.spawn(future))) {
        Some(handle) => handle,
        None => panic!(
            "uring_rt::spawn called outside of a uring-rt runtime: call it inside \
             Runtime::block_on or uring_rt::start"
        ),
    }
}

/// Runs a blocking closure on the blocking thread pool and returns a handle to its result. A
/// panic in `f` becomes a [`JoinError`](crate::JoinError) with `is_panic()`.
///
/// As tokio's: the handle completes when `f` returns, whether or not the runtime is still
/// running (so it can be awaited anywhere); aborting the handle before `f` starts keeps `f`
/// from running, aborting it later changes nothing; inside `f`,
/// [`Handle::current`](crate::runtime::Handle::current) is the runtime's handle (spawn onto
/// it with [`Handle::spawn`](crate::runtime::Handle::spawn)), and `spawn_blocking` may be
/// called again. Dropping the runtime waits for the closures it started (see
/// [`Runtime::shutdown_timeout`](crate::Runtime::shutdown_timeout)); closures still queued
/// then are not run and their handles report cancelled.
///
/// The pool runs at most [`MAX_BLOCKING_THREADS`](crate::runtime::MAX_BLOCKING_THREADS)
/// closures at once and queues at most
/// [`MAX_BLOCKING_QUEUE`](crate::runtime::MAX_BLOCKING_QUEUE) more. A closure beyond that, or
/// one that no pool thread could ever run (none can be started), is not run: its handle
/// reports a [`JoinError`](crate::JoinError) with `is_panic()` whose payload is the
/// `io::Error` (`WouldBlock` for a full queue).
///
/// # Panics
///
/// When called outside a runtime (and outside a blocking closure of one).
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let sum = uring_rt::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap();
///     assert_eq!(sum, 5050);
/// });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match Handle::try_current() {
        Ok(handle) => spawn_blocking_on(&handle, f),
        Err(_) => panic!(
            "uring_rt::spawn_blocking called outside of a uring-rt runtime: call it inside \
             Runtime::block_on or uring_rt::start, or use Handle::spawn_blocking"
        ),
    }
}

/// `spawn_blocking` for `handle`'s runtime, from any thread.
pub(super) fn spawn_blocking_on<F, R>(handle: &Handle, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (task, join) = spawn_unowned(BlockingFn(Some(f)), handle.shared.clone());
    let Some(counted) = handle.blocking.start() else {
        // The runtime has shut down: the closure never runs, as tokio's.
        task.finish(None);
        return join;
    };
    let handle = handle.clone();
    blocking::execute(Box::new(move |run: std::io::Result<()>| {
        // Uncounted last, once the handle has its result.
        let _counted = counted;
        match run {
            // Queued when its runtime shut down: not run.
            Ok(()) if handle.blocking.is_closed() => task.finish(None),
            Ok(()) => {
                let _current = super::handle::enter_blocking(handle);
                task.run();
            }
            // Refused: the handle reports it as the closure's failure (a `JoinError` whose
            // panic payload is the `io::Error`).
            Err(e) => task.finish(Some(Box::new(e))),
        }
    }));
    join
}

/// The future of a blocking closure's task: calls the closure in its one poll (on a pool
/// thread; a panic is caught by the task and reported through its handle).
struct BlockingFn<F>(Option<F>);

impl<F> Unpin for BlockingFn<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingFn<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self
            .0
            .take()
            .expect("a blocking closure's task is polled once");
        // The closure is not a task's poll: no cooperative budget (an executor run inside it,
        // or a due `Sleep` polled there, must never be told to yield), as tokio's.
        Poll::Ready(crate::task::coop::unconstrained(f))
    }
}

/// Yields to the scheduler once: other ready tasks and completions run before this task
/// continues. As tokio's, the task is woken only after the runtime has polled its driver, so
/// a loop of yields never starves I/O and timers; outside a runtime it is woken at once.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     uring_rt::yield_now().await;
/// });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        crate::task::coop::defer(cx.waker());
        Poll::Pending
    }
}
