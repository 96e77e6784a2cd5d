//! `Handle`: a `Send + Clone` reference to a runtime, to spawn onto it from any thread.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;

use crate::task::{JoinHandle, Shared};

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
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl Handle {
    /// The handle of the runtime running on this thread.
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
    pub fn current() -> Handle {
        Handle::try_current().unwrap_or_else(|e| panic!("{e}"))
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
        super::context::with(|ctx| ctx.map(|c| c.handle.clone())).ok_or_else(|| {
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
}
