//! The emulated ring's registrations: the fixed-file table (duplicated descriptors),
//! registered buffers (nothing to pin) and provided-buffer rings.

use std::io;
use std::os::fd::RawFd;

use super::{cvt, Ring};

impl Ring {
    /// `IORING_REGISTER_FILES` (sparse).
    ///
    /// # Errors
    /// `EBUSY` when a table exists.
    pub(crate) fn register_files_sparse(&mut self, n: u32) -> io::Result<()> {
        if !self.files.is_empty() {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        self.files = vec![-1; n as usize];
        Ok(())
    }

    /// `IORING_REGISTER_FILES_UPDATE`: slot `off + i` gets a duplicate of `fds[i]` (`-1`
    /// empties it).
    ///
    /// # Errors
    /// `ENXIO` without a table, `EINVAL` past its end, `dup`'s error.
    pub(crate) fn register_files_update(&mut self, off: u32, fds: &[RawFd]) -> io::Result<usize> {
        if self.files.is_empty() {
            return Err(io::Error::from_raw_os_error(libc::ENXIO));
        }
        for (i, &fd) in fds.iter().enumerate() {
            let slot = off as usize + i;
            let Some(old) = self.files.get(slot).copied() else {
                return Err(io::Error::from_raw_os_error(libc::EINVAL));
            };
            let new = if fd >= 0 {
                // SAFETY: duplicates a descriptor the caller holds; the copy is ours.
                cvt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })?
            } else {
                -1
            };
            if old >= 0 {
                self.forget(old);
                // SAFETY: the table owned this duplicate.
                unsafe { libc::close(old) };
            }
            self.files[slot] = new;
        }
        Ok(fds.len())
    }

    /// `IORING_REGISTER_BUFFERS`: nothing to pin without a kernel ring; one set at a time.
    ///
    /// # Errors
    /// `EBUSY` when buffers are registered.
    pub(crate) fn register_buffers(&mut self) -> io::Result<()> {
        if self.buffers_registered {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        self.buffers_registered = true;
        Ok(())
    }

    /// `IORING_UNREGISTER_BUFFERS`.
    ///
    /// # Errors
    /// `ENXIO` when none are registered.
    pub(crate) fn unregister_buffers(&mut self) -> io::Result<()> {
        if !std::mem::replace(&mut self.buffers_registered, false) {
            return Err(io::Error::from_raw_os_error(libc::ENXIO));
        }
        Ok(())
    }

    /// `IORING_REGISTER_PBUF_RING`.
    ///
    /// # Safety
    /// The ring memory stays allocated until [`Ring::unregister_buf_ring`].
    ///
    /// # Errors
    /// `EINVAL` for a bad ring, `EEXIST` for a used `bgid`.
    pub(crate) unsafe fn register_buf_ring(
        &mut self,
        addr: u64,
        entries: u16,
        bgid: u16,
    ) -> io::Result<()> {
        // SAFETY: the caller's contract.
        unsafe { self.groups.insert(addr, entries, bgid) }
            .map_err(|e| io::Error::from_raw_os_error(-e))
    }

    /// `IORING_UNREGISTER_PBUF_RING`.
    ///
    /// # Errors
    /// `EINVAL` for an unknown `bgid`.
    pub(crate) fn unregister_buf_ring(&mut self, bgid: u16) -> io::Result<()> {
        self.groups
            .remove(bgid)
            .map_err(|e| io::Error::from_raw_os_error(-e))
    }
}
