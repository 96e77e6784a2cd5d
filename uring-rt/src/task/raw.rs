//! The task cell: one heap allocation holding the header, the future and later its output.

use std::any::Any;
use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use super::id::Id;
use super::join::JoinHandle;
use super::join_error::JoinError;
use super::queue::Shared;
use super::state::*;
use super::waker;

/// `owned_idx` of a task that is not yet in its owner's list (spawned from another thread).
pub(super) const UNBOUND: usize = usize::MAX;

/// The type-erased part of every task, at the start of its allocation.
#[repr(C)]
pub(crate) struct Header {
    /// Flags and reference count (see `state`).
    pub(super) state: AtomicUsize,
    /// Functions that know the future's type.
    pub(super) vtable: &'static Vtable,
    /// The scheduler this task belongs to; wake-ups go to its queues.
    pub(super) shared: Arc<Shared>,
    /// Key in the owner's list of live tasks. Read and written only on the owner thread.
    pub(super) owned_idx: UnsafeCell<usize>,
    /// The `JoinHandle`'s waker.
    pub(super) join_waker: AtomicWaker,
    /// The task's id (`task::id()` while it runs, `JoinHandle::id`, `JoinError::id`).
    pub(super) id: Id,
}

/// What a task holds besides its header.
enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

#[repr(C)]
struct Cell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

/// Operations that need the future's concrete type.
pub(super) struct Vtable {
    /// Polls the future once (leaving `SCHEDULED` set if the flag says so). Returns true if
    /// the task completed in this call.
    poll: unsafe fn(NonNull<Header>, bool) -> bool,
    /// Drops the future without polling it; the task ends cancelled, or panicked with the
    /// given payload. Returns true if the task completed in this call.
    shutdown: unsafe fn(NonNull<Header>, Option<Box<dyn Any + Send>>) -> bool,
    /// Moves the output into `*mut Option<Result<T, JoinError>>`.
    read_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Frees the allocation.
    dealloc: unsafe fn(NonNull<Header>),
}

/// Size in bytes of the header every task carries.
pub(crate) const HEADER_SIZE: usize = std::mem::size_of::<Header>();

/// Size in bytes of the single allocation of a task running future `F`.
pub(crate) fn task_size<F: Future>() -> usize {
    std::mem::size_of::<Cell<F>>()
}

/// Allocates a task; the returned pointer carries `INITIAL` references.
pub(super) fn allocate<F: Future + 'static>(future: F, shared: Arc<Shared>) -> NonNull<Header> {
    let cell = Box::new(Cell {
        header: Header {
            state: AtomicUsize::new(INITIAL),
            vtable: vtable::<F>(),
            shared,
            owned_idx: UnsafeCell::new(UNBOUND),
            join_waker: AtomicWaker::new(),
            id: Id::next(),
        },
        stage: UnsafeCell::new(Stage::Running(future)),
    });
    NonNull::from(Box::leak(cell)).cast()
}

fn vtable<F: Future + 'static>() -> &'static Vtable {
    &Vtable {
        poll: poll::<F>,
        shutdown: shutdown::<F>,
        read_output: read_output::<F>,
        dealloc: dealloc::<F>,
    }
}

/// `keep_scheduled`: leave `SCHEDULED` set, so no wake-up or abort ever queues the task (an
/// unowned task, polled by its holder).
///
/// # Safety
/// `ptr` is a live task of future type `F`, called on its owner thread, not re-entrantly.
unsafe fn poll<F: Future>(ptr: NonNull<Header>, keep_scheduled: bool) -> bool {
    // SAFETY: the caller guarantees `ptr` points to a live `Cell<F>` (Header is its first field).
    let cell = unsafe { ptr.cast::<Cell<F>>().as_ref() };
    let prev = if keep_scheduled {
        cell.header.state.load(Ordering::Acquire)
    } else {
        cell.header.state.fetch_and(!SCHEDULED, Ordering::AcqRel)
    };
    if prev & COMPLETE != 0 {
        return false;
    }
    let id = cell.header.id;
    // `task::id()` in the future's poll and drop; a fresh cooperative budget.
    let _current = id.enter();
    let _budget = super::coop::budget();
    if prev & CANCELLED != 0 {
        // SAFETY: owner thread, not re-entrant (caller's contract).
        unsafe { complete(cell, Err(JoinError::cancelled(id))) };
        return true;
    }
    // SAFETY: the stage is only touched on the owner thread before COMPLETE is published, and
    // this call is that thread and not re-entrant.
    let stage = unsafe { &mut *cell.stage.get() };
    let Stage::Running(future) = stage else {
        return false;
    };
    // SAFETY: the future lives inside a heap cell that never moves; it is only ever dropped in
    // place (by assigning a new stage), so it is pinned for its whole life.
    let future = unsafe { Pin::new_unchecked(future) };
    // SAFETY: the waker borrows our reference for the duration of the poll (ManuallyDrop: no
    // decrement); clones made by the future take their own references.
    let waker = ManuallyDrop::new(unsafe { waker::borrowed(ptr) });
    let mut cx = Context::from_waker(&waker);
    // A yield of this task waits for the driver (see `coop::defer`); `waker` outlives the guard.
    let _polling = super::coop::polling(&waker, &cell.header.shared);
    let stage_ptr = cell.stage.get();
    let polled = catch_unwind(AssertUnwindSafe(|| {
        // A poll that panics drops its future during the unwind, as tokio's: its destructor
        // sees `thread::panicking()`.
        let on_unwind = DropOnUnwind(stage_ptr);
        let out = future.poll(&mut cx);
        std::mem::forget(on_unwind);
        out
    }));
    let result = match polled {
        Ok(Poll::Pending) => return false,
        Ok(Poll::Ready(output)) => Ok(output),
        Err(payload) => Err(JoinError::panic(id, payload)),
    };
    // SAFETY: as above.
    unsafe { complete(cell, result) };
    true
}

/// Drops a task's future in place when dropped: armed around a poll and forgotten when the
/// poll returns, so it runs only while the poll unwinds.
struct DropOnUnwind<F: Future>(*mut Stage<F>);

impl<F: Future> Drop for DropOnUnwind<F> {
    fn drop(&mut self) {
        // SAFETY: owner thread, inside `poll` (its contract), the future's poll has unwound
        // and its pinned reference is never used again; the future is dropped in place.
        unsafe { *self.0 = Stage::Consumed };
    }
}

/// # Safety
/// As `poll`.
unsafe fn shutdown<F: Future>(ptr: NonNull<Header>, panic: Option<Box<dyn Any + Send>>) -> bool {
    // SAFETY: as in `poll`.
    let cell = unsafe { ptr.cast::<Cell<F>>().as_ref() };
    if cell.header.state.load(Ordering::Acquire) & COMPLETE != 0 {
        return false;
    }
    let id = cell.header.id;
    let _current = id.enter();
    let result = match panic {
        None => Err(JoinError::cancelled(id)),
        Some(payload) => Err(JoinError::panic(id, payload)),
    };
    // SAFETY: as in `poll`.
    unsafe { complete(cell, result) };
    true
}

/// Drops the future, stores `result` and publishes `COMPLETE`.
///
/// # Safety
/// Owner thread, task not complete, not re-entrant.
unsafe fn complete<F: Future>(cell: &Cell<F>, result: Result<F::Output, JoinError>) {
    let stage = cell.stage.get();
    // A future's destructor may panic; that must not unwind through the scheduler. When the
    // drop is the cancellation itself, the panic is what the task ended with (as in tokio).
    // SAFETY: owner thread, not yet COMPLETE: nobody else touches the stage.
    let dropped = catch_unwind(AssertUnwindSafe(|| unsafe { *stage = Stage::Consumed }));
    let result = match (dropped, result) {
        (Err(payload), Err(e)) if e.is_cancelled() => Err(JoinError::panic(e.id(), payload)),
        (_, result) => result,
    };
    // SAFETY: as above; `Consumed` has no destructor to run.
    unsafe { stage.write(Stage::Finished(result)) };
    let prev = cell.header.state.fetch_or(COMPLETE, Ordering::AcqRel);
    if prev & JOIN_INTEREST == 0 {
        // Nobody will read the output: drop it here, on the owner thread.
        // SAFETY: without join interest no other thread reads the stage.
        let _ = catch_unwind(AssertUnwindSafe(|| unsafe { *stage = Stage::Consumed }));
    } else {
        cell.header.join_waker.wake();
    }
}

/// # Safety
/// `COMPLETE` is set, the caller holds join interest, `dst` is a valid
/// `*mut Option<Result<F::Output, JoinError>>`.
unsafe fn read_output<F: Future>(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: the caller guarantees the type and liveness.
    let cell = unsafe { ptr.cast::<Cell<F>>().as_ref() };
    // SAFETY: after COMPLETE with join interest, only the join side touches the stage.
    let stage = unsafe { std::ptr::replace(cell.stage.get(), Stage::Consumed) };
    if let Stage::Finished(output) = stage {
        // SAFETY: the caller guarantees `dst`'s type.
        unsafe { *dst.cast::<Option<Result<F::Output, JoinError>>>() = Some(output) };
    }
}

/// # Safety
/// The reference count reached zero: nobody else can reach `ptr`.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: `ptr` came from `Box::leak` in `allocate` with this type and is unreachable now.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F>>().as_ptr()) });
}

/// A counted reference to a task, held by a run queue or by the owner's list of live tasks.
pub(crate) struct Task {
    ptr: NonNull<Header>,
}

// SAFETY: a `Task` crossing threads only ever has its reference count changed (atomic) or is
// pushed to its owner's queue; `run`/`shutdown` are called only by the owner scheduler, on the
// owner thread (see the Invariants in `task/mod.rs`).
unsafe impl Send for Task {}

impl Task {
    /// Adopts one reference already counted in the state.
    ///
    /// # Safety
    /// `ptr` is a live task and the caller transfers one counted reference.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Task {
        Task { ptr }
    }

    /// A second `Task` for a reference that was counted earlier but is held by nobody.
    ///
    /// # Safety
    /// Exactly one such uncounted-for reference exists and the caller takes it over.
    pub(super) unsafe fn from_raw_clone_reserved(task: &Task) -> Task {
        Task { ptr: task.ptr }
    }

    pub(super) fn header(&self) -> &Header {
        // SAFETY: we hold a reference, so the allocation is alive.
        unsafe { self.ptr.as_ref() }
    }

    /// Polls the task. Owner thread only. Returns true if it completed.
    pub(super) fn run(&self) -> bool {
        // SAFETY: the scheduler calls this on the owner thread, never re-entrantly for one task
        // (a task is in at most one queue at a time and is popped before it is run).
        unsafe { (self.header().vtable.poll)(self.ptr, false) }
    }

    /// Drops the future without polling. Owner thread only. Returns true if it completed.
    pub(super) fn shutdown(&self) -> bool {
        // SAFETY: as `run`.
        unsafe { (self.header().vtable.shutdown)(self.ptr, None) }
    }

    pub(super) fn owned_idx(&self) -> usize {
        // SAFETY: read only on the owner thread (the scheduler's contract).
        unsafe { *self.header().owned_idx.get() }
    }

    pub(super) fn set_owned_idx(&self, idx: usize) {
        // SAFETY: written only on the owner thread (the scheduler's contract).
        unsafe { *self.header().owned_idx.get() = idx }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: we own one counted reference.
        unsafe { drop_reference(self.ptr) }
    }
}

/// Takes one more reference.
pub(super) fn inc_ref(header: &Header) {
    let prev = header.state.fetch_add(REF_ONE, Ordering::Relaxed);
    if prev > isize::MAX as usize {
        std::process::abort();
    }
}

/// Releases one reference, freeing the task on the last one.
///
/// # Safety
/// The caller owns one counted reference to the live task `ptr`.
pub(super) unsafe fn drop_reference(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive until the decrement.
    let header = unsafe { ptr.as_ref() };
    let prev = header.state.fetch_sub(REF_ONE, Ordering::AcqRel);
    if ref_count(prev) == 1 {
        // SAFETY: that was the last reference.
        unsafe { (header.vtable.dealloc)(ptr) };
    }
}

/// Reads the output of a completed task into `dst`.
///
/// # Safety
/// See `Vtable::read_output`.
pub(super) unsafe fn read_output_raw(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: forwarded contract.
    unsafe { (ptr.as_ref().vtable.read_output)(ptr, dst) }
}

/// A task no scheduler owns (the task of a blocking closure): whoever holds it polls it, once,
/// on its own thread, so its future is `Send`. It keeps `SCHEDULED` set until it completes,
/// so no wake-up or abort ever queues it anywhere: an abort before the poll makes the poll
/// drop the future unpolled, an abort during the poll changes nothing.
pub(crate) struct Unowned {
    ptr: NonNull<Header>,
}

// SAFETY: the future is `Send` (see `spawn_unowned`), and only the holder of the `Unowned`
// polls it or drops it, so it is touched by one thread at a time.
unsafe impl Send for Unowned {}

/// Creates an unowned task running `future` and the handle to await it.
pub(crate) fn spawn_unowned<F>(future: F, shared: Arc<Shared>) -> (Unowned, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let ptr = allocate(future, shared);
    // `allocate` counted three references: the handle's and two the `Unowned` holds (the
    // queue's and the owner list's of a scheduled task; this task is in neither).
    // SAFETY: the handle's reference, with `JOIN_INTEREST` set by `INITIAL`.
    let handle = unsafe { JoinHandle::from_raw(ptr) };
    (Unowned { ptr }, handle)
}

impl Unowned {
    /// Polls the task once on this thread: it runs its future (or drops it unpolled if it was
    /// aborted). A future that is not ready after that one poll is dropped: the task ends
    /// cancelled.
    pub(crate) fn run(self) {
        // SAFETY: we are the only one that polls or drops this task's future (it is never
        // queued: `SCHEDULED` stays set), and we do it once, here.
        unsafe {
            let vtable = self.ptr.as_ref().vtable;
            (vtable.poll)(self.ptr, true);
            (vtable.shutdown)(self.ptr, None);
        }
    }

    /// Ends the task without polling it: cancelled, or (with `panic`) panicked with that
    /// payload.
    pub(crate) fn finish(self, panic: Option<Box<dyn Any + Send>>) {
        // SAFETY: as in `run`.
        unsafe { (self.ptr.as_ref().vtable.shutdown)(self.ptr, panic) };
    }
}

impl Drop for Unowned {
    fn drop(&mut self) {
        // SAFETY: we own two counted references (see `spawn_unowned`) and are the only one
        // that polls or drops the future. A task dropped without `run` or `finish` (its
        // closure never reached a pool thread) ends cancelled here, so its handle does not
        // wait forever; after `run` or `finish` it is complete and `shutdown` does nothing.
        // The future is `Send`: any thread may drop it.
        unsafe {
            (self.ptr.as_ref().vtable.shutdown)(self.ptr, None);
            drop_reference(self.ptr);
            drop_reference(self.ptr);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll};

    use super::spawn_unowned;
    use crate::task::queue::{Local, Unpark};

    struct NoUnpark;

    impl Unpark for NoUnpark {
        fn unpark(&self) {}
    }

    #[test]
    fn an_unowned_task_dropped_unrun_ends_cancelled_and_drops_its_future() {
        let local = Local::new(Box::new(NoUnpark));
        let token = std::sync::Arc::new(());
        let held = token.clone();
        let (task, handle) = spawn_unowned(
            async move {
                let _held = held;
                7
            },
            local.shared().clone(),
        );
        assert_eq!(std::sync::Arc::strong_count(&token), 2);
        drop(task);
        assert_eq!(
            std::sync::Arc::strong_count(&token),
            1,
            "the future is dropped"
        );
        let mut handle = pin!(handle);
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        match handle.as_mut().poll(&mut cx) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled(), "{e:?}"),
            other => panic!("the handle must end cancelled, got {other:?}"),
        }
    }

    #[test]
    fn an_unowned_task_that_ran_keeps_its_output_when_dropped() {
        let local = Local::new(Box::new(NoUnpark));
        let (task, handle) = spawn_unowned(async { 7 }, local.shared().clone());
        task.run();
        let mut handle = pin!(handle);
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        match handle.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(v)) => assert_eq!(v, 7),
            other => panic!("the output must survive the drop, got {other:?}"),
        }
    }
}
