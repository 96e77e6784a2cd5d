//! `Waker`s pointing at a task: `Send + Sync`, usable from any thread.
//!
//! A waker holds one counted reference. Waking sets `SCHEDULED` (unless already set or the task
//! is complete) and hands a new reference to the owner's queue: the local queue when the wake
//! happens on the owner thread, the remote queue and an unpark of the owner's ring otherwise.

use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::queue::Shared;
use super::raw::{drop_reference, inc_ref, Header, Task};
use super::state::*;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker that borrows (does not count) the caller's reference.
///
/// # Safety
/// `ptr` is a live task and the returned waker must not be dropped (wrap it in `ManuallyDrop`);
/// its clones take their own references.
pub(super) unsafe fn borrowed(ptr: NonNull<Header>) -> Waker {
    // SAFETY: the vtable's functions uphold the RawWaker contract for task headers.
    unsafe { Waker::from_raw(RawWaker::new(ptr.as_ptr() as *const (), &VTABLE)) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is the header of a task this waker holds a reference to.
    let header = unsafe { &*(data as *const Header) };
    inc_ref(header);
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `data` is a live task header (the waker holds a reference).
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    // SAFETY: the waker's reference keeps the task alive for this call.
    let header = unsafe { ptr.as_ref() };
    let Some(local) = header.shared.owner_here() else {
        // Another thread: the queue gets a reference of its own, so the task (and the
        // `Shared` the push goes through, which lives in it) outlives the push even if its
        // owner runs and drops it at once; then ours is released.
        if set_scheduled(header, REF_ONE) {
            // SAFETY: `set_scheduled` counted the reference the queue entry now owns.
            header.shared.push_remote(unsafe { Task::from_raw(ptr) });
        }
        // SAFETY: the waker owned one reference; nothing uses `header` after this.
        unsafe { drop_reference(ptr) };
        return;
    };
    // The owner thread: the waker's reference moves into the queue (one atomic operation
    // fewer than a new reference and the release of this one). Nothing runs the task before
    // this call returns.
    if set_scheduled(header, 0) {
        // SAFETY: the waker's counted reference is handed to the queue entry.
        Shared::push_local(local, unsafe { Task::from_raw(ptr) });
    } else {
        // Already queued or complete: release the waker's reference.
        // SAFETY: the waker owned one reference; nothing uses `header` after this.
        unsafe { drop_reference(ptr) };
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` is a live task header (the waker holds a reference).
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    schedule(ptr);
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the waker owned one reference to this task.
    unsafe { drop_reference(NonNull::new_unchecked(data as *mut Header)) }
}

/// Queues the task unless it is already queued or complete. `ptr` must be kept alive by the
/// caller for the duration of the call.
pub(super) fn schedule(ptr: NonNull<Header>) {
    // SAFETY: the caller keeps the task alive.
    let header = unsafe { ptr.as_ref() };
    if !set_scheduled(header, REF_ONE) {
        return;
    }
    // SAFETY: `set_scheduled` counted the reference the queue entry now owns.
    let task = unsafe { Task::from_raw(ptr) };
    header.shared.schedule(task);
}

/// Sets `SCHEDULED` and adds `refs` to the count in one step, unless the task is already
/// queued or complete. Returns whether it did.
fn set_scheduled(header: &Header, refs: usize) -> bool {
    let mut state = header.state.load(Ordering::Acquire);
    loop {
        if state & (SCHEDULED | COMPLETE) != 0 {
            return false;
        }
        match header.state.compare_exchange_weak(
            state,
            (state | SCHEDULED) + refs,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return true,
            Err(actual) => state = actual,
        }
    }
}
