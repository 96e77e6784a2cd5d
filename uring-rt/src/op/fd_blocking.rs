//! Calls on a [`FileFd`] that io_uring has no opcode for: `lseek(2)` (for `SEEK_DATA` and
//! `SEEK_HOLE`), `copy_file_range(2)`, and a `dup(2)` into a `std::fs::File` (for `fchmod(2)`
//! and `futimens(2)` through std). `fs` runs them on the blocking pool, never on the ring's thread.

use std::io;
use std::os::fd::BorrowedFd;

use super::FileFd;

impl FileFd {
    /// `lseek(2)` with `whence` (`SEEK_DATA`, `SEEK_HOLE`, ...) from `offset`; `Ok(None)` when
    /// the kernel says `ENXIO` (no data, or no hole, at or after `offset`: `offset` is at or
    /// past the end of the file). The fd has no shared cursor users rely on: `File` I/O is
    /// positional.
    pub(crate) fn lseek_blocking(&self, offset: u64, whence: i32) -> io::Result<Option<u64>> {
        let offset = libc::off_t::try_from(offset)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
        // SAFETY: plain syscall on an fd this clone keeps open; no memory is passed.
        let pos = unsafe { libc::lseek(self.raw(), offset, whence) };
        if pos < 0 {
            let err = io::Error::last_os_error();
            return if err.raw_os_error() == Some(libc::ENXIO) {
                Ok(None)
            } else {
                Err(err)
            };
        }
        // `pos` is non-negative here, so the conversion cannot fail.
        Ok(u64::try_from(pos).ok())
    }

    /// A `std::fs::File` on a duplicate of this fd (`F_DUPFD_CLOEXEC`), for std's calls on
    /// an open file (`set_permissions`, `set_times`). Closing it leaves this fd open.
    pub(crate) fn dup_std(&self) -> io::Result<std::fs::File> {
        // SAFETY: the fd stays open while `self` (a clone that keeps it open) lives, which
        // outlasts the borrow: it is only used to duplicate the fd right here.
        let fd = unsafe { BorrowedFd::borrow_raw(self.raw()) };
        Ok(std::fs::File::from(fd.try_clone_to_owned()?))
    }

    /// One `copy_file_range(2)` of up to `len` bytes from this fd at `src_off` to `dst` at
    /// `dst_off` (positional on both sides: neither fd's cursor moves). `Ok(0)` when
    /// `src_off` is at or past the end of the source. Blocks: run it on the blocking pool.
    pub(crate) fn copy_file_range_blocking(
        &self,
        dst: &FileFd,
        src_off: u64,
        dst_off: u64,
        len: usize,
    ) -> io::Result<usize> {
        let too_large = || io::Error::new(io::ErrorKind::InvalidInput, "offset too large");
        let mut src_off = libc::loff_t::try_from(src_off).map_err(|_| too_large())?;
        let mut dst_off = libc::loff_t::try_from(dst_off).map_err(|_| too_large())?;
        // SAFETY: both fds stay open while `self` and `dst` (clones that keep them open)
        // live, which outlasts the call; the two offsets are locals the kernel reads and
        // updates during the call only.
        let n = unsafe {
            libc::copy_file_range(self.raw(), &mut src_off, dst.raw(), &mut dst_off, len, 0)
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        // `n` is non-negative and at most `len` here.
        Ok(n as usize)
    }
}
