//! `Handle`: a `Send + Clone` reference to a runtime, to spawn onto it from any thread.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::blocking::Tracker;
use crate::task::{JoinHandle, Shared};

thread_local! {
    /// The handle of the runtime whose blocking closure (or `Handle::block_on`) runs on this
    /// thread: what `Handle::current` returns where no runtime is entered.
    static BLOCKING: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// Makes `handle` current for `Handle::current` on this (non-runtime) thread until the guard
/// drops.
pub(crate) fn enter_blocking(handle: Handle) -> BlockingGuard {
    let prev = BLOCKING
        .try_with(|b| b.replace(Some(handle)))
        .ok()
        .flatten();
    BlockingGuard { prev }
}

/// Restores the previous blocking-thread handle on drop.
pub(crate) struct BlockingGuard {
    prev: Option<Handle>,
}

impl Drop for BlockingGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let old = BLOCKING.try_with(|b| b.replace(prev));
        drop(old);
    }
}

/// Wakes the thread parked in `Handle::block_on`.
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// A handle to a runtime, usable from any thread.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let handle = uring_rt::runtime::Handle::current();
///     let answer = std::thread::spawn(move || handle.spawn(async { 42 }))
///         .join()
///         .unwrap()
///         .await
///         .unwrap();
///     assert_eq!(answer, 42);
/// });
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
    /// The runtime's blocking closures that have not finished (its shutdown waits for them).
    pub(crate) blocking: Arc<Tracker>,
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl Handle {
    /// The handle of the runtime running on this thread; inside a closure run by
    /// [`spawn_blocking`](crate::spawn_blocking) or a future run by [`Handle::block_on`], the
    /// handle of the runtime it belongs to (as tokio's).
    ///
    /// # Panics
    ///
    /// When called outside a runtime; see [`Handle::try_current`].
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let _handle = uring_rt::runtime::Handle::current();
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the runtime running on this thread.
    ///
    /// # Errors
    ///
    /// When no runtime is running on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(uring_rt::runtime::Handle::try_current().is_err());
    /// ```
    pub fn try_current() -> io::Result<Handle> {
        super::context::with(|ctx| ctx.map(|c| c.handle.clone()))
            .or_else(|| BLOCKING.try_with(|b| b.borrow().clone()).ok().flatten())
            .ok_or_else(|| {
                io::Error::other(
                    "Handle::current called outside of a uring-rt runtime: call it inside \
                 Runtime::block_on or uring_rt::start",
                )
            })
    }

    /// Spawns a `Send` future onto this handle's runtime; it runs on that runtime's thread.
    ///
    /// If the runtime has shut down, the future is dropped and the returned handle reports a
    /// cancelled [`JoinError`](crate::JoinError).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let h = uring_rt::runtime::Handle::current();
    ///     assert_eq!(h.spawn(async { 1 + 1 }).await.unwrap(), 2);
    /// });
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn_remote(future)
    }

    /// Runs a blocking closure on the blocking thread pool for this handle's runtime, from
    /// any thread, as [`spawn_blocking`](crate::spawn_blocking) does on the runtime's own
    /// thread.
    ///
    /// If the runtime has shut down, `f` is not run and the handle reports a cancelled
    /// [`JoinError`](crate::JoinError), as tokio's.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || handle.spawn_blocking(|| 6 * 7)).join().unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), 42);
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        super::spawn::spawn_blocking_on(self, f)
    }

    /// Runs `future` to completion on the calling thread, parking the thread while it is
    /// pending. Inside it, [`Handle::current`] is this handle, so it may spawn onto the
    /// runtime and await the tasks, their `JoinHandle`s and channels.
    ///
    /// As tokio's `Handle::block_on` of a current-thread runtime, it does not drive the
    /// runtime: the runtime's tasks run only while its thread is in
    /// [`Runtime::block_on`](crate::Runtime::block_on). Unlike tokio's, the runtime's I/O and
    /// timers are tied to its thread: used inside this future on another thread they report
    /// that no runtime runs here.
    ///
    /// # Panics
    ///
    /// When called on a thread that is running a runtime's `block_on` (it would block the
    /// tasks it waits for), as tokio's; and propagates a panic of `future`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let out = handle.block_on(handle.spawn_blocking(|| "done")).unwrap();
    /// assert_eq!(out, "done");
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert!(
            !super::context::is_running(),
            "Handle::block_on called on a thread that runs a uring-rt runtime: the thread \
             would block the tasks it waits for; .await the future instead"
        );
        let _current = enter_blocking(self.clone());
        let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    }
}
