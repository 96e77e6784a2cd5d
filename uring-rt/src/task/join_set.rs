//! [`JoinSet`]: a set of spawned tasks, awaited in the order they finish.
//!
//! Each task's join waker pushes the task's key onto the set's ready queue (`ready.rs`) when
//! the task finishes, so `join_next` looks only at finished tasks: O(1) per task joined,
//! whatever the size of the set.

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use super::ready::{Key, ReadyQueue};
use super::{AbortHandle, Id, JoinError, JoinHandle};
use crate::runtime::Handle;

/// A set of spawned tasks whose results come out in the order the tasks finish, as with
/// `tokio::task::JoinSet`.
///
/// Tasks are spawned on the current runtime as local tasks ([`spawn`](crate::spawn)), so
/// their futures need not be `Send`; [`spawn_on`](JoinSet::spawn_on) puts a `Send` task on
/// another runtime. Dropping the set aborts every task still in it. The set is `Send` when
/// `T` is, and may be joined from another thread than the one its tasks run on.
///
/// Joining costs O(1) per finished task: a task that finishes queues itself for the set, and
/// [`join_next`](JoinSet::join_next) never scans the tasks still running.
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
    /// The tasks in the set, each with the generation of its slot and its join waker.
    entries: Slab<Entry<T>>,
    /// Where finished tasks put their keys.
    ready: Arc<ReadyQueue>,
    /// Keys taken from `ready` in one batch; `batch[batch_pos..]` are still to look at.
    batch: Vec<Key>,
    batch_pos: usize,
    /// The generation the next entry gets; never repeats within a set.
    next_generation: u64,
    /// How many times a handle was polled (the unit tests check O(1) per task).
    #[cfg(test)]
    pub(super) handle_polls: u64,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    generation: u64,
    /// Registered as the task's join waker; pushes this entry's key onto `ready`.
    waker: Waker,
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.entries.len())
            .finish()
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> JoinSet<T> {
    /// An empty set. It needs no runtime until a task is spawned into it.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = uring_rt::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Slab::new(),
            ready: Arc::new(ReadyQueue::default()),
            batch: Vec::new(),
            batch_pos: 0,
            next_generation: 0,
            #[cfg(test)]
            handle_polls: 0,
        }
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
        self.entries.len()
    }

    /// Whether the set holds no task.
    ///
    /// # Examples
    ///
    /// See [`JoinSet`].
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds the task behind `handle` and returns an abort handle for it.
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let generation = self.next_generation;
        self.next_generation += 1;
        let slot = self.entries.vacant_entry();
        let key = Key {
            slot: slot.key(),
            generation,
        };
        let waker = self.ready.waker_for(key);
        // From here on the task's completion queues `key`; if it already finished (a task
        // spawned on another runtime), this wakes at once and queues it now.
        handle.register_waker(&waker);
        slot.insert(Entry {
            handle,
            generation,
            waker,
        });
        abort
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
        for (_, entry) in &self.entries {
            entry.handle.abort();
        }
    }

    /// Removes every task from the set without aborting it: they run on, detached, and
    /// dropping the set no longer affects them.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let (tx, rx) = futures::channel::oneshot::channel();
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     set.spawn(async move { tx.send(7).unwrap() });
    ///     set.detach_all();
    ///     assert!(set.is_empty());
    ///     drop(set);
    ///     assert_eq!(rx.await.unwrap(), 7);
    /// });
    /// ```
    pub fn detach_all(&mut self) {
        self.entries.clear();
        self.batch.clear();
        self.batch_pos = 0;
    }

    /// Aborts every task and waits until all are gone; panics of the tasks are ignored. The
    /// set is empty afterwards.
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
    /// Cancel safe: if the returned future is dropped before it completes, no task has left
    /// the set.
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

    /// Returns the result of a task that has already finished, without waiting; `None` when
    /// none has (or the set is empty).
    ///
    /// # Errors
    ///
    /// The task's [`JoinError`]: it panicked or was aborted.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     set.spawn(async { 3 });
    ///     assert!(set.try_join_next().is_none()); // not run yet
    ///     uring_rt::yield_now().await;
    ///     assert_eq!(set.try_join_next().unwrap().unwrap(), 3);
    /// });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|res| res.map(|(_, output)| output))
    }

    /// As [`join_next`](JoinSet::join_next), with the finished task's [`Id`] next to its
    /// output (a failed task's id is [`JoinError::id`]).
    ///
    /// # Errors
    ///
    /// The task's [`JoinError`]: it panicked or was aborted.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     let id = set.spawn(async { 7 }).id();
    ///     assert_eq!(set.join_next_with_id().await.unwrap().unwrap(), (id, 7));
    /// });
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.next_finished(Some(cx.waker()))).await
    }

    /// As [`try_join_next`](JoinSet::try_join_next), with the finished task's [`Id`].
    ///
    /// # Errors
    ///
    /// The task's [`JoinError`]: it panicked or was aborted.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        match self.next_finished(None) {
            Poll::Ready(res) => res,
            Poll::Pending => None,
        }
    }

    /// Polls for the next finished task (see [`join_next`](JoinSet::join_next)).
    ///
    /// `Ready(None)` when the set is empty; `Pending` when no task has finished yet, in which
    /// case the waker of `cx` (only that of the latest call) is woken when one does, including
    /// a task spawned into the set after this call.
    ///
    /// # Errors
    ///
    /// The task's [`JoinError`]: it panicked or was aborted.
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
        self.next_finished(Some(cx.waker()))
            .map(|res| res.map(|res| res.map(|(_, output)| output)))
    }

    /// Takes the next finished task off the ready queue; registers `waiter` (if any) first so
    /// a task finishing after the queue was found empty wakes it.
    fn next_finished(
        &mut self,
        waiter: Option<&Waker>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.entries.is_empty() {
            return Poll::Ready(None);
        }
        if let Some(waiter) = waiter {
            // A set of tasks that finish at once still lets the others run (`task::coop`).
            if super::coop::poll_proceed(waiter).is_pending() {
                return Poll::Pending;
            }
            self.ready.register(waiter);
        }
        loop {
            if self.batch_pos == self.batch.len() {
                self.batch.clear();
                self.batch_pos = 0;
                self.ready.take(&mut self.batch);
                if self.batch.is_empty() {
                    if waiter.is_some() {
                        super::coop::refund();
                    }
                    return Poll::Pending;
                }
            }
            let key = self.batch[self.batch_pos];
            self.batch_pos += 1;
            let Some(entry) = self.entries.get_mut(key.slot) else {
                continue;
            };
            if entry.generation != key.generation {
                continue; // a stale key: that task was joined or detached
            }
            #[cfg(test)]
            {
                self.handle_polls += 1;
            }
            let mut cx = Context::from_waker(&entry.waker);
            // Not finished (a repeated key): the poll re-registers the entry's waker.
            if let Poll::Ready(res) = Pin::new(&mut entry.handle).poll(&mut cx) {
                let id = entry.handle.id();
                self.entries.remove(key.slot);
                return Poll::Ready(Some(res.map(|output| (id, output))));
            }
        }
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns `future` on the current runtime as a local task (it need not be `Send`), adds it
    /// to the set and returns an [`AbortHandle`] for it. The task starts running at once,
    /// whether or not the set is awaited.
    ///
    /// # Panics
    ///
    /// Outside a uring-rt runtime, as [`spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     let slow = set.spawn(std::future::pending::<u32>());
    ///     set.spawn(async { 1 });
    ///     slow.abort();
    ///     let mut got = Vec::new();
    ///     while let Some(res) = set.join_next().await {
    ///         got.push(res.map_err(|e| e.is_cancelled()));
    ///     }
    ///     got.sort();
    ///     assert_eq!(got, [Ok(1), Err(true)]);
    /// });
    /// ```
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(crate::spawn(future))
    }

    /// The same as [`spawn`](JoinSet::spawn): every task spawned on the current runtime is
    /// local. The name is tokio's, for code written against `tokio::task::JoinSet`.
    ///
    /// # Panics
    ///
    /// Outside a uring-rt runtime, as [`spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     let shared = Rc::new(4);
    ///     set.spawn_local(async move { *shared });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 4);
    /// });
    /// ```
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.spawn(future)
    }

    /// Spawns a `Send` future on the runtime of `handle` (possibly another thread's, see
    /// [`Handle::spawn`]) and adds it to the set. If that runtime has shut down, the task
    /// comes out of the set as cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::runtime::Handle;
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     set.spawn_on(async { 2 }, &Handle::current());
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 2);
    /// });
    /// ```
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        self.insert(handle.spawn(future))
    }

    /// Runs `f` on the blocking thread pool (see [`spawn_blocking`](crate::spawn_blocking))
    /// and adds it to the set. Aborting it does not stop `f`; the set then reports it as
    /// cancelled.
    ///
    /// # Panics
    ///
    /// Outside a uring-rt runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     for i in 0..4u64 {
    ///         set.spawn_blocking(move || i * i);
    ///     }
    ///     let mut squares = set.join_all().await;
    ///     squares.sort();
    ///     assert_eq!(squares, [0, 1, 4, 9]);
    /// });
    /// ```
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        self.insert(crate::spawn_blocking(f))
    }

    /// Waits for every task and returns their outputs in the order they finished.
    ///
    /// # Panics
    ///
    /// If a task panicked, that panic is resumed here (`std::panic::resume_unwind`); if one
    /// was aborted, this panics with the [`JoinError`]. Either way the set is dropped, which
    /// aborts the tasks left in it. To handle failures, call
    /// [`join_next`](JoinSet::join_next) in a loop instead.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let set: uring_rt::task::JoinSet<u32> = (1..=3).map(|i| async move { i * 10 }).collect();
    ///     let mut all = set.join_all().await;
    ///     all.sort();
    ///     assert_eq!(all, [10, 20, 30]);
    /// });
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut output = Vec::with_capacity(self.len());
        while let Some(res) = self.join_next().await {
            match res {
                Ok(value) => output.push(value),
                Err(err) if err.is_panic() => resume_unwind(err.into_panic()),
                Err(err) => panic!("{err}"),
            }
        }
        output
    }
}

impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + 'static,
    T: 'static,
{
    /// Spawns each future into a new set, as [`JoinSet::spawn`].
    ///
    /// # Panics
    ///
    /// Outside a uring-rt runtime (unless the iterator is empty).
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + 'static,
    T: 'static,
{
    /// Spawns each future into the set, as [`JoinSet::spawn`].
    ///
    /// # Panics
    ///
    /// Outside a uring-rt runtime (unless the iterator is empty).
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for future in iter {
            self.spawn(future);
        }
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

#[cfg(test)]
#[path = "join_set_tests.rs"]
mod tests;
