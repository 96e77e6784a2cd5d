//! `IORING_OP_SYMLINKAT`: `symlinkat(2)`: makes `link` a symbolic link whose target is `target` (kernel 5.15+).

use std::ffi::CString;
use std::io;

use io_uring::{opcode, squeue, types};

use super::{cqe_result, support, Op, OpCode};
use crate::driver::Completion;

/// `symlinkat(2)`: makes `link` a symbolic link whose target is `target`.
#[derive(Debug)]
pub(crate) struct SymlinkAt {
    target: CString,
    link: CString,
}

impl SymlinkAt {
    /// The op; it owns the path strings (heap bytes) the kernel reads until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.15; no runtime on this thread.
    pub(crate) fn op(target: CString, link: CString) -> io::Result<Op<SymlinkAt>> {
        support::require(opcode::SymlinkAt::CODE, "IORING_OP_SYMLINKAT", "5.15")?;
        Ok(Op::new(SymlinkAt { target, link }))
    }
}

// SAFETY: the SQE's pointers point into `CString` heap bytes owned by `self`.
unsafe impl OpCode for SymlinkAt {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        opcode::SymlinkAt::new(
            types::Fd(libc::AT_FDCWD),
            self.target.as_ptr(),
            self.link.as_ptr(),
        )
        .build()
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
