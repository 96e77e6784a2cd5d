//! `SharedFd`: a file descriptor shared by a file handle and its in-flight operations.
//!
//! Invariants: the fd is closed exactly once, when the last clone drops. Every op that puts
//! the fd in an SQE holds a clone in its data, and op data lives until the op's final
//! completion (in the future, or in the driver's slot after a drop), so the fd is never
//! closed, and its number never reused, while the kernel may still use it.

use std::io;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use super::close;

/// A reference-counted fd; the last clone closes it without blocking the ring thread.
#[derive(Debug, Clone)]
pub(crate) struct SharedFd {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `-1` once taken by [`SharedFd::try_take`].
    fd: AtomicI32,
}

impl SharedFd {
    /// Takes ownership of `fd`.
    pub(crate) fn new(fd: OwnedFd) -> SharedFd {
        use std::os::fd::IntoRawFd;
        SharedFd {
            inner: Arc::new(Inner {
                fd: AtomicI32::new(fd.into_raw_fd()),
            }),
        }
    }

    /// The raw fd, valid while this clone lives.
    pub(crate) fn raw(&self) -> RawFd {
        self.inner.fd.load(Ordering::Relaxed)
    }

    /// Takes the fd out if this is the last clone (no op uses it); the caller closes it.
    pub(crate) fn try_take(self) -> Option<OwnedFd> {
        use std::os::fd::FromRawFd;
        let inner = Arc::into_inner(self.inner)?;
        let fd = inner.fd.swap(-1, Ordering::Relaxed);
        // SAFETY: `fd` was owned by `inner` (from an `OwnedFd` in `new`) and, swapped to -1,
        // is no longer closed by `Inner::drop`: ownership moves to the returned value.
        (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// `ftruncate(2)` on the calling thread (the blocking pool's fallback when the kernel
    /// lacks `IORING_OP_FTRUNCATE`).
    pub(crate) fn ftruncate_blocking(&self, len: u64) -> io::Result<()> {
        let len = libc::off_t::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "length too large"))?;
        // SAFETY: plain syscall on an fd this clone keeps open.
        if unsafe { libc::ftruncate(self.raw(), len) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The logical block size of the block device behind this fd (`BLKSSZGET`), if it is one.
    pub(crate) fn block_size(&self) -> Option<u32> {
        let mut size: libc::c_int = 0;
        // SAFETY: BLKSSZGET writes one `int` through the pointer, which points to `size`.
        let rc = unsafe {
            libc::ioctl(self.raw(), 0x1268 /* BLKSSZGET */, &mut size)
        };
        (rc == 0 && size > 0).then_some(size as u32)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let fd = *self.fd.get_mut();
        if fd >= 0 {
            close::close_in_background(fd);
        }
    }
}
