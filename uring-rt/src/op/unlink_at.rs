//! `IORING_OP_UNLINKAT`: `unlinkat(2)`: removes a file or, with `dir`, an empty directory (kernel 5.11+).

use std::ffi::CString;
use std::io;

use io_uring::{opcode, squeue, types};

use super::{cqe_result, support, Op, OpCode};
use crate::driver::Completion;

/// `unlinkat(2)`: removes a file or, with `dir`, an empty directory.
#[derive(Debug)]
pub(crate) struct UnlinkAt {
    path: CString,
    dir: bool,
}

impl UnlinkAt {
    /// The op; it owns the path strings (heap bytes) the kernel reads until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.11; no runtime on this thread.
    pub(crate) fn op(path: CString, dir: bool) -> io::Result<Op<UnlinkAt>> {
        support::require(opcode::UnlinkAt::CODE, "IORING_OP_UNLINKAT", "5.11")?;
        Ok(Op::new(UnlinkAt { path, dir }))
    }
}

// SAFETY: the SQE's pointers point into `CString` heap bytes owned by `self`.
unsafe impl OpCode for UnlinkAt {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        opcode::UnlinkAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .flags(if self.dir { libc::AT_REMOVEDIR } else { 0 })
            .build()
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
