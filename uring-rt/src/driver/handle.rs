//! The thread's current driver, so ops can find the ring without a runtime reference.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io;

use super::ring::Handle;

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// Ids of this thread's drivers that shut down with every completion received.
    static QUIESCED: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
}

/// Records that driver `id` shut down cleanly: the kernel holds no pointer of its ops.
pub(crate) fn mark_quiesced(id: u64) {
    let _ = QUIESCED.try_with(|q| q.borrow_mut().insert(id));
}

/// Whether driver `id` (of this thread) shut down cleanly.
pub(crate) fn is_quiesced(id: u64) -> bool {
    QUIESCED
        .try_with(|q| q.borrow().contains(&id))
        .unwrap_or(false)
}

/// Whether a runtime is entered on this thread.
///
/// # Errors
///
/// As [`current`].
pub(crate) fn check_current() -> io::Result<()> {
    let present = CURRENT.try_with(|c| c.borrow().is_some()).unwrap_or(false);
    if present {
        Ok(())
    } else {
        current().map(|_| ())
    }
}

/// The driver of the runtime entered on this thread.
///
/// # Errors
///
/// `ErrorKind::Other` with a message when no runtime is entered on this thread.
pub(crate) fn current() -> io::Result<Handle> {
    CURRENT
        .try_with(|c| c.borrow().clone())
        .ok()
        .flatten()
        .ok_or_else(|| {
            io::Error::other(
                "no uring-rt runtime on this thread: call this inside Runtime::block_on, \
                 uring_rt::start or a task spawned on a runtime",
            )
        })
}

/// Makes `handle` current until the guard drops.
pub(crate) fn enter(handle: Handle) -> DriverGuard {
    let prev = CURRENT.with(|c| c.replace(Some(handle)));
    DriverGuard { prev }
}

/// Restores the previous driver on drop.
#[derive(Debug)]
pub(crate) struct DriverGuard {
    prev: Option<Handle>,
}

impl Drop for DriverGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}
