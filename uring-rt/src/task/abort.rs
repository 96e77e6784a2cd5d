//! `AbortHandle`: the right to cancel a spawned task, without the right to await it.

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::ptr::NonNull;
use std::sync::atomic::Ordering;

use super::id::Id;
use super::raw::{drop_reference, inc_ref, Header};
use super::state::*;
use super::waker::schedule;

/// An owned permission to abort a spawned task, without awaiting its output, as
/// `tokio::task::AbortHandle`.
///
/// Get one from [`JoinHandle::abort_handle`](super::JoinHandle::abort_handle) or from
/// [`JoinSet::spawn`](super::JoinSet::spawn). Dropping it does not abort the task. It is
/// `Send + Sync + Clone` whatever the task's future and output are: it only touches the
/// task's state word, so it may abort a local (`!Send`) task from another thread (the future
/// is still dropped on the task's own thread).
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let handle = uring_rt::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle();
///     std::thread::spawn(move || abort.abort()).join().unwrap();
///     assert!(handle.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct AbortHandle {
    /// `None` for a task whose output was already taken (it is finished).
    raw: Option<NonNull<Header>>,
    id: Id,
}

// SAFETY: an `AbortHandle` only reads and updates the task's atomic state word, and may queue
// the task (as any `Waker` may, from any thread). Releasing its reference off the owner thread
// is as safe as dropping a `Waker` there: the task is freed only after `COMPLETE`, when its
// future and output are already gone (see the Invariants in `task/mod.rs`).
unsafe impl Send for AbortHandle {}
// SAFETY: `&AbortHandle` allows only `abort`, `is_finished` and `clone`, all atomic.
unsafe impl Sync for AbortHandle {}

impl UnwindSafe for AbortHandle {}
impl RefUnwindSafe for AbortHandle {}

impl AbortHandle {
    /// Takes one more counted reference to `header`'s task (task `id`).
    pub(super) fn new(header: Option<&Header>, id: Id) -> AbortHandle {
        let raw = header.map(|h| {
            inc_ref(h);
            NonNull::from(h)
        });
        AbortHandle { raw, id }
    }

    /// The task's [`Id`].
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let handle = uring_rt::spawn(async {});
    ///     assert_eq!(handle.abort_handle().id(), handle.id());
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }

    /// Asks the task to stop: its future is dropped on its own thread at its next chance, and
    /// its `JoinHandle` (or `JoinSet`) gives a cancelled [`JoinError`](super::JoinError).
    ///
    /// Does nothing if the task has already finished (its output is kept) or was already
    /// aborted. A task that aborts itself runs on until it next returns `Pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut set = uring_rt::task::JoinSet::new();
    ///     let abort = set.spawn(std::future::pending::<()>());
    ///     abort.abort();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        if let Some(ptr) = self.raw {
            abort_raw(ptr);
        }
    }

    /// True once the task has finished (with output, panic or cancellation). Right after
    /// [`abort`](AbortHandle::abort) this may still be false: the task finishes when its
    /// thread next runs it.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let handle = uring_rt::spawn(async { 1 });
    ///     let abort = handle.abort_handle();
    ///     assert!(!abort.is_finished());
    ///     assert_eq!(handle.await.unwrap(), 1);
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        match self.raw {
            // SAFETY: our counted reference keeps the task alive.
            Some(ptr) => unsafe { ptr.as_ref() }.state.load(Ordering::Acquire) & COMPLETE != 0,
            None => true,
        }
    }
}

/// Sets `CANCELLED` and, if the task is neither finished nor already cancelled, queues it so
/// its next poll drops the future on its own thread. The caller keeps the task alive.
pub(super) fn abort_raw(ptr: NonNull<Header>) {
    // SAFETY: the caller holds a counted reference.
    let header = unsafe { ptr.as_ref() };
    let prev = header.state.fetch_or(CANCELLED, Ordering::AcqRel);
    if prev & (COMPLETE | CANCELLED) == 0 {
        schedule(ptr);
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        // SAFETY: our counted reference keeps the task alive while we take another.
        AbortHandle::new(self.raw.map(|p| unsafe { &*p.as_ptr() }), self.id)
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        if let Some(ptr) = self.raw.take() {
            // SAFETY: we release the reference taken in `new`.
            unsafe { drop_reference(ptr) };
        }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}
