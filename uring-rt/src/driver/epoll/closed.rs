//! Descriptors closed outside a ring that may still have them registered.
//!
//! A descriptor number stays in an epoll ring's registry until that ring sees its close. A
//! socket used on one runtime and closed on another thread (or with `close(2)` when no
//! runtime is entered) would leave the number registered there, and a new socket that reuses
//! the number would never be added to that ring's epoll set. So every close in the crate
//! tells every epoll ring first ([`closing`]); each ring forgets those numbers at the start
//! of its next `enter`, before it runs any SQE that could name the reused number.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Numbers closed since the ring last looked.
#[derive(Debug, Default)]
pub(crate) struct Closed {
    pending: AtomicBool,
    fds: Mutex<Vec<RawFd>>,
}

/// Live epoll rings (none with io_uring: then [`closing`] costs one load).
static RINGS: Mutex<Vec<Weak<Closed>>> = Mutex::new(Vec::new());
static COUNT: AtomicUsize = AtomicUsize::new(0);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Closed {
    /// A new ring's list, registered to hear about closes.
    pub(crate) fn register() -> Arc<Closed> {
        let closed = Arc::new(Closed::default());
        let mut rings = lock(&RINGS);
        rings.retain(|w| w.strong_count() > 0);
        rings.push(Arc::downgrade(&closed));
        COUNT.store(rings.len(), Ordering::SeqCst);
        closed
    }

    /// Moves the numbers closed since the last call into `out`. One load when there are none.
    pub(crate) fn take(&self, out: &mut Vec<RawFd>) {
        if self.pending.load(Ordering::Acquire) {
            self.pending.store(false, Ordering::Release);
            out.append(&mut lock(&self.fds));
        }
    }
}

/// Tells every epoll ring that `fd` is about to be closed. Call it before `close(2)`, so no
/// ring can see the number reused before it heard of the close.
pub(crate) fn closing(fd: RawFd) {
    closing_except(fd, None);
}

/// [`closing`] for a close by the ring owning `me`, which forgot `fd` itself (and may
/// register the number again before its next `enter`).
pub(crate) fn closing_except(fd: RawFd, me: Option<&Arc<Closed>>) {
    if COUNT.load(Ordering::SeqCst) == 0 {
        return;
    }
    for ring in lock(&RINGS).iter().filter_map(Weak::upgrade) {
        if me.is_some_and(|me| Arc::ptr_eq(me, &ring)) {
            continue;
        }
        lock(&ring.fds).push(fd);
        ring.pending.store(true, Ordering::Release);
    }
}
