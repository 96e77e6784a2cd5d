//! `JoinHandle`: awaits a spawned task's output.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};

use super::abort::{abort_raw, AbortHandle};
use super::id::Id;
use super::join_error::JoinError;
use super::raw::{drop_reference, read_output_raw, Header};
use super::state::*;

/// An owned permission to await a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or was aborted.
/// Dropping it detaches the task, which keeps running.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let handle = uring_rt::spawn(async { 6 * 7 });
///     assert_eq!(handle.await.unwrap(), 42);
/// });
/// ```
pub struct JoinHandle<T> {
    /// `None` once the output was read.
    raw: Option<NonNull<Header>>,
    id: Id,
    _output: PhantomData<T>,
}

// SAFETY: the handle touches the task only through atomics (state, join waker) and reads the
// output after `COMPLETE` (Acquire) published it; the output moves to the handle's thread, so
// it must be `Send`.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `is_finished` and `abort`, both atomic.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    /// `ptr` is a live task whose output type is `T`, and the caller transfers its counted
    /// join reference (with `JOIN_INTEREST` set).
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle {
            // SAFETY: the caller's reference keeps the task alive.
            id: unsafe { ptr.as_ref() }.id,
            raw: Some(ptr),
            _output: PhantomData,
        }
    }

    fn header(&self) -> Option<&Header> {
        // SAFETY: while `raw` is set we hold a reference that keeps the task alive.
        self.raw.map(|p| unsafe { &*p.as_ptr() })
    }

    /// Asks the task to stop: its future is dropped on its own thread at the next chance, and
    /// awaiting this handle gives a cancelled [`JoinError`] (unless the task finished first).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// uring_rt::start(async {
    ///     let handle = uring_rt::spawn(uring_rt::time::sleep(Duration::from_secs(60)));
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        if let Some(ptr) = self.raw {
            abort_raw(ptr);
        }
    }

    /// An [`AbortHandle`] for this task: it can abort the task from anywhere (it is `Send`,
    /// `Sync` and `Clone`) without the right to await it.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let handle = uring_rt::spawn(std::future::pending::<()>());
    ///     let abort = handle.abort_handle();
    ///     abort.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::new(self.header(), self.id)
    }

    /// The task's [`Id`] (what [`task::id`](super::id) returns inside it).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let a = uring_rt::spawn(async {});
    ///     let b = uring_rt::spawn(async {});
    ///     assert_ne!(a.id(), b.id());
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }

    /// Registers `waker` to be woken when the task finishes; wakes it at once if it already
    /// has. (A `JoinSet` puts a waker per task here.)
    pub(super) fn register_waker(&self, waker: &Waker) {
        let Some(header) = self.header() else {
            waker.wake_by_ref();
            return;
        };
        header.join_waker.register(waker);
        if header.state.load(Ordering::Acquire) & COMPLETE != 0 {
            waker.wake_by_ref();
        }
    }

    /// True once the task has finished (with output, panic or cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let handle = uring_rt::spawn(async {});
    ///     uring_rt::yield_now().await;
    ///     assert!(handle.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        match self.header() {
            Some(h) => h.state.load(Ordering::Acquire) & COMPLETE != 0,
            None => true,
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let ptr = self
            .raw
            .expect("JoinHandle polled after it returned its output");
        // SAFETY: our reference keeps the task alive.
        let header = unsafe { ptr.as_ref() };
        let id = header.id;
        if header.state.load(Ordering::Acquire) & COMPLETE == 0 {
            header.join_waker.register(cx.waker());
            if header.state.load(Ordering::Acquire) & COMPLETE == 0 {
                return Poll::Pending;
            }
        }
        let mut out: Option<Result<T, JoinError>> = None;
        // SAFETY: COMPLETE is set and we hold join interest, so the output is ours to take;
        // `out` has the type the task was spawned with.
        unsafe { read_output_raw(ptr, &mut out as *mut _ as *mut ()) };
        // A waker registered after the completion woke the last one is never woken: drop it
        // now (it may hold the task that awaits this one: a cycle that would leak both).
        drop(header.join_waker.take());
        self.raw = None;
        // SAFETY: we release the handle's reference; `self.raw` no longer points at it.
        unsafe { drop_reference(ptr) };
        Poll::Ready(out.unwrap_or_else(|| Err(JoinError::cancelled(id))))
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let Some(ptr) = self.raw.take() else { return };
        // SAFETY: our reference keeps the task alive.
        let header = unsafe { ptr.as_ref() };
        let mut state = header.state.load(Ordering::Acquire);
        loop {
            if state & COMPLETE != 0 {
                // The output is ours (completion saw our interest): drop it here. A panic in
                // its destructor stays here, as tokio's: dropping a handle never panics.
                let mut out: Option<Result<T, JoinError>> = None;
                // SAFETY: as in `poll`.
                unsafe { read_output_raw(ptr, &mut out as *mut _ as *mut ()) };
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(out)));
                break;
            }
            match header.state.compare_exchange_weak(
                state,
                state & !JOIN_INTEREST,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        // Nobody awaits the task any more: release the waker registered by our last poll. Kept
        // until the task completes, it could hold a task that holds this one (two tasks
        // awaiting each other's handles), and neither would ever be freed.
        drop(header.join_waker.take());
        // SAFETY: the handle's reference.
        unsafe { drop_reference(ptr) };
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}
