//! `IORING_OP_OPENAT`: opens a file relative to the working directory (kernel 5.6+).

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use io_uring::{opcode, squeue, types};

use super::{cqe_result, support, Op, OpCode};
use crate::driver::Completion;

/// Opens `path` with `flags` (`O_CLOEXEC` is always added) and `mode`.
#[derive(Debug)]
pub(crate) struct OpenAt {
    /// Its bytes live on the heap, so the SQE's pointer survives moves of the op.
    path: CString,
    flags: i32,
    mode: libc::mode_t,
}

impl OpenAt {
    /// The open of `path`; the kernel reads the path until the completion, which `OpenAt`
    /// keeps alive by owning the `CString`.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.6; no runtime on this thread.
    pub(crate) fn op(path: CString, flags: i32, mode: u32) -> io::Result<Op<OpenAt>> {
        support::require(opcode::OpenAt::CODE, "IORING_OP_OPENAT", "5.6")?;
        Ok(Op::new(OpenAt {
            path,
            flags: flags | libc::O_CLOEXEC,
            mode: mode as libc::mode_t,
        }))
    }
}

// SAFETY: the only pointer is the path's, into the `CString`'s heap bytes owned by `self`.
unsafe impl OpCode for OpenAt {
    type Output = io::Result<OwnedFd>;

    fn fail(self, err: io::Error) -> io::Result<OwnedFd> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .flags(self.flags)
            .mode(self.mode)
            .build()
    }

    fn complete(self, c: Completion) -> io::Result<OwnedFd> {
        let fd = cqe_result(c)?;
        // SAFETY: a non-negative OPENAT result is a new fd that nobody else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }

    fn orphan_completion(&mut self, c: Completion) {
        if c.result >= 0 {
            // The future is gone: nobody will own the new fd, so close it now (the driver
            // may not be used from here, so a plain close(2)).
            // SAFETY: the fd was just created by the kernel for this op and is owned by no one.
            drop(unsafe { OwnedFd::from_raw_fd(c.result) });
        }
    }
}
