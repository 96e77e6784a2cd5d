//! `spawn`, `spawn_blocking`, `yield_now`: the task API of the runtime on this thread.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use super::blocking;
use crate::task::{JoinHandle, Local};

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
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Local::with_current(|local| match local {
        Some(local) => local.spawn(future),
        None => panic!(
            "uring_rt::spawn called outside of a uring-rt runtime: call it inside \
             Runtime::block_on or uring_rt::start"
        ),
    })
}

/// Runs a blocking closure on the blocking thread pool; the returned handle completes on this
/// runtime's thread when it returns. A panic in `f` becomes a [`JoinError`](crate::JoinError)
/// with `is_panic()`. Aborting the handle does not stop `f`.
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
/// When called outside a runtime.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let sum = uring_rt::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap();
///     assert_eq!(sum, 5050);
/// });
/// ```
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let slot = Arc::new(BlockingSlot {
        result: Mutex::new(None),
        waker: AtomicWaker::new(),
    });
    let job_slot = slot.clone();
    let handle = spawn(BlockingTask { slot });
    // `task::id()` inside `f` is the handle's, as in tokio.
    let id = handle.id();
    blocking::execute(Box::new(move |run: std::io::Result<()>| {
        let result = match run {
            Ok(()) => {
                let _current = id.enter();
                catch_unwind(AssertUnwindSafe(f))
            }
            // Refused: the handle reports it as the job's failure (a `JoinError` whose panic
            // payload is the `io::Error`).
            Err(e) => Err(Box::new(e) as Box<dyn std::any::Any + Send>),
        };
        *job_slot.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        job_slot.waker.wake();
    }));
    handle
}

struct BlockingSlot<R> {
    result: Mutex<Option<std::thread::Result<R>>>,
    waker: AtomicWaker,
}

/// The task that waits, on the runtime's thread, for a blocking job's result.
struct BlockingTask<R> {
    slot: Arc<BlockingSlot<R>>,
}

impl<R> Future for BlockingTask<R> {
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        self.slot.waker.register(cx.waker());
        let taken = self
            .slot
            .result
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match taken {
            Some(Ok(value)) => Poll::Ready(value),
            // Re-raised inside the task, so its JoinHandle reports the panic.
            Some(Err(payload)) => resume_unwind(payload),
            None => Poll::Pending,
        }
    }
}

/// Yields to the scheduler once: other ready tasks and completions run before this task
/// continues.
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
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
