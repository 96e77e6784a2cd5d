//! `FileFd`: a file's descriptor, shared by the `File` and its in-flight operations.
//!
//! Invariants: the fd is closed exactly once, when the last clone drops. Every op that puts
//! the fd in an SQE holds a clone in its data, and op data lives until the op's final
//! completion (in the future, or in the driver's slot after a drop), so the fd is never
//! closed, and its number never reused, while the kernel may still use it.

use std::io;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};

use super::{close, register_files};

/// Builds an SQE for `$fd` (a `FileFd`): with `types::Fixed(slot)` when the fd is registered
/// with the current ring, else with `types::Fd(raw)`. `$t` names the target in `$build`.
macro_rules! fd_target {
    ($fd:expr, |$t:ident| $build:expr) => {
        match $fd.fixed_slot() {
            Some(slot) => {
                let $t = io_uring::types::Fixed(slot);
                $build
            }
            None => {
                let $t = io_uring::types::Fd($fd.raw());
                $build
            }
        }
    };
}
pub(crate) use fd_target;

/// A reference-counted fd; the last clone closes it without blocking the ring thread.
#[derive(Debug, Clone)]
pub(crate) struct FileFd {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `-1` once taken by [`FileFd::try_take`].
    fd: AtomicI32,
    /// `(ring id, slot)` once registered with a ring's file table.
    fixed: OnceLock<(u64, u32)>,
}

impl FileFd {
    /// Takes ownership of `fd`.
    pub(crate) fn new(fd: OwnedFd) -> FileFd {
        use std::os::fd::IntoRawFd;
        FileFd {
            inner: Arc::new(Inner {
                fd: AtomicI32::new(fd.into_raw_fd()),
                fixed: OnceLock::new(),
            }),
        }
    }

    /// The raw fd, valid while this clone lives.
    pub(crate) fn raw(&self) -> RawFd {
        self.inner.fd.load(Ordering::Relaxed)
    }

    /// Registers the fd with the current ring's file table (once; `Ok` if already there).
    ///
    /// # Errors
    /// `InvalidInput` when registered with another ring; as `register_files::register_file`.
    pub(crate) fn register(&self) -> io::Result<()> {
        if let Some(&(ring, _)) = self.inner.fixed.get() {
            return if register_files::current_ring() == Some(ring) {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "this file is already registered with another runtime's ring",
                ))
            };
        }
        let (ring, slot) = register_files::register_file(self.raw())?;
        if self.inner.fixed.set((ring, slot)).is_err() {
            // Registered concurrently from another clone: give our slot back.
            register_files::unregister_file(ring, slot);
        }
        Ok(())
    }

    /// The fixed-file slot to use on the current ring, if the fd is registered with it.
    pub(crate) fn fixed_slot(&self) -> Option<u32> {
        let &(ring, slot) = self.inner.fixed.get()?;
        (register_files::current_ring() == Some(ring)).then_some(slot)
    }

    /// Takes the fd out if this is the last clone (no op uses it); the caller closes it.
    pub(crate) fn try_take(self) -> Option<OwnedFd> {
        use std::os::fd::FromRawFd;
        let inner = Arc::into_inner(self.inner)?;
        if let Some(&(ring, slot)) = inner.fixed.get() {
            register_files::unregister_file(ring, slot);
        }
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
        if let Some(&(ring, slot)) = self.fixed.get() {
            register_files::unregister_file(ring, slot);
        }
        let fd = *self.fd.get_mut();
        if fd >= 0 {
            close::close_in_background(fd);
        }
    }
}
