//! Waking a parked ring from another thread: an eventfd whose read is armed in the ring, and a
//! "parked" flag so that a busy ring is never woken by a syscall.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Shared between the ring's thread and every thread that may wake it.
#[derive(Debug)]
pub(crate) struct Unparker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// True while the ring's thread is (about to be) blocked in `io_uring_enter`.
    parked: AtomicBool,
    eventfd: OwnedFd,
}

impl Unparker {
    pub(crate) fn new() -> io::Result<Unparker> {
        // SAFETY: plain syscall; the returned fd is checked and then owned.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Unparker {
            inner: Arc::new(Inner {
                parked: AtomicBool::new(false),
                // SAFETY: `fd` is a fresh descriptor nobody else owns.
                eventfd: unsafe { OwnedFd::from_raw_fd(fd) },
            }),
        })
    }

    pub(crate) fn eventfd(&self) -> RawFd {
        self.inner.eventfd.as_raw_fd()
    }

    /// The ring's thread announces it is about to wait (true) or is running again (false).
    pub(crate) fn set_parked(&self, parked: bool) {
        self.inner.parked.store(parked, Ordering::SeqCst);
    }

    /// Wakes the ring's thread if it is parked; free when it is not.
    pub(crate) fn unpark(&self) {
        // A load first: a busy ring's flag is false and the wake costs no read-modify-write.
        if self.inner.parked.load(Ordering::SeqCst)
            && self.inner.parked.swap(false, Ordering::SeqCst)
        {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our eventfd. A failure (EAGAIN when the
            // counter is saturated) still leaves the eventfd readable, which is all we need.
            unsafe {
                libc::write(
                    self.inner.eventfd.as_raw_fd(),
                    &one as *const u64 as *const libc::c_void,
                    8,
                )
            };
        }
    }
}

impl Clone for Unparker {
    fn clone(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }
}
