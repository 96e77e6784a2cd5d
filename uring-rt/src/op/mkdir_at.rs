//! `IORING_OP_MKDIRAT`: `mkdirat(2)`: creates a directory with `mode` (less the umask) (kernel 5.15+).

use std::ffi::CString;
use std::io;

use io_uring::{opcode, squeue, types};

use super::{cqe_result, support, Op, OpCode};
use crate::driver::Completion;

/// `mkdirat(2)`: creates a directory with `mode` (less the umask).
#[derive(Debug)]
pub(crate) struct MkDirAt {
    path: CString,
    mode: libc::mode_t,
}

impl MkDirAt {
    /// The op; it owns the path strings (heap bytes) the kernel reads until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.15; no runtime on this thread.
    pub(crate) fn op(path: CString, mode: u32) -> io::Result<Op<MkDirAt>> {
        support::require(opcode::MkDirAt::CODE, "IORING_OP_MKDIRAT", "5.15")?;
        Ok(Op::new(MkDirAt {
            path,
            mode: mode as libc::mode_t,
        }))
    }
}

// SAFETY: the SQE's pointers point into `CString` heap bytes owned by `self`.
unsafe impl OpCode for MkDirAt {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        opcode::MkDirAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .mode(self.mode)
            .build()
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
