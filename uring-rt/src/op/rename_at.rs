//! `IORING_OP_RENAMEAT`: `renameat2(2)`: renames `from` to `to`, replacing `to` unless
//! `RENAME_NOREPLACE` is asked (kernel 5.11+).

use std::ffi::CString;
use std::io;

use io_uring::{opcode, squeue, types};

use super::{cqe_result, support, Op, OpCode};
use crate::driver::Completion;

/// `renameat2(2)`: renames `from` to `to`, with `renameat2`'s `flags`.
#[derive(Debug)]
pub(crate) struct RenameAt {
    from: CString,
    to: CString,
    flags: u32,
}

impl RenameAt {
    /// The op; it owns the path strings (heap bytes) the kernel reads until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.11; no runtime on this thread.
    pub(crate) fn op(from: CString, to: CString, flags: u32) -> io::Result<Op<RenameAt>> {
        support::require(opcode::RenameAt::CODE, "IORING_OP_RENAMEAT", "5.11")?;
        Ok(Op::new(RenameAt { from, to, flags }))
    }
}

// SAFETY: the SQE's pointers point into `CString` heap bytes owned by `self`.
unsafe impl OpCode for RenameAt {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        opcode::RenameAt::new(
            types::Fd(libc::AT_FDCWD),
            self.from.as_ptr(),
            types::Fd(libc::AT_FDCWD),
            self.to.as_ptr(),
        )
        .flags(self.flags)
        .build()
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
