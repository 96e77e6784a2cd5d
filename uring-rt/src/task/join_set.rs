//! [`JoinSet`]: a set of spawned tasks, awaited in the order they finish.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{JoinError, JoinHandle};

/// A set of local tasks spawned on the current runtime, whose results come out in the order
/// the tasks finish, as with `tokio::task::JoinSet`.
///
/// Dropping the set aborts every task still in it. Tasks are spawned with
/// [`spawn`](crate::spawn), so their futures need not be `Send`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use uring_rt::task::JoinSet;
///
/// uring_rt::start(async {
///     let mut set = JoinSet::new();
///     for ms in [30u64, 10, 20] {
///         set.spawn(async move {
///             uring_rt::time::sleep(Duration::from_millis(ms)).await;
///             ms
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(res) = set.join_next().await {
///         order.push(res.unwrap());
///     }
///     assert_eq!(order, [10, 20, 30]);
///     assert!(set.is_empty());
/// });
/// ```
pub struct JoinSet<T> {
    tasks: Vec<JoinHandle<T>>,
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.tasks.len())
            .finish()
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = uring_rt::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet { tasks: Vec::new() }
    }

    /// The number of tasks in the set (running, or finished and not yet joined).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     assert_eq!(set.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    ///
    /// # Examples
    ///
    /// See [`JoinSet`].
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Aborts every task in the set. They stay in it: [`join_next`](JoinSet::join_next)
    /// returns them, as cancelled (`JoinError::is_cancelled`) unless they had already
    /// finished.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     let err = set.join_next().await.unwrap().unwrap_err();
    ///     assert!(err.is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }

    /// Aborts every task and waits until all are gone.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for the next task to finish and returns its result; `None` when the set is
    /// empty.
    ///
    /// # Errors
    ///
    /// The task's [`JoinError`]: it panicked or was aborted.
    ///
    /// # Examples
    ///
    /// See [`JoinSet`].
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Polls for the next finished task (see [`join_next`](JoinSet::join_next)). Each poll
    /// looks at every task, so a poll costs O(len).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     set.spawn(async { 5 });
    ///     let res = poll_fn(|cx| set.poll_join_next(cx)).await;
    ///     assert_eq!(res.unwrap().unwrap(), 5);
    /// });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.tasks.is_empty() {
            return Poll::Ready(None);
        }
        for i in 0..self.tasks.len() {
            if let Poll::Ready(res) = Pin::new(&mut self.tasks[i]).poll(cx) {
                drop(self.tasks.swap_remove(i));
                return Poll::Ready(Some(res));
            }
        }
        Poll::Pending
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns `future` on the current runtime as a local task (it need not be `Send`) and
    /// adds it to the set.
    ///
    /// # Panics
    ///
    /// Outside a uring-rt runtime, as [`spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// See [`JoinSet`].
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + 'static,
    {
        self.tasks.push(crate::spawn(future));
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}
