//! `IORING_OP_LINKAT`: `linkat(2)`: makes `link` a new hard link to `original` (kernel 5.15+).

use std::ffi::CString;
use std::io;

use io_uring::{opcode, squeue, types};

use super::{cqe_result, support, Op, OpCode};
use crate::driver::Completion;

/// `linkat(2)`: makes `link` a new hard link to `original`.
#[derive(Debug)]
pub(crate) struct LinkAt {
    original: CString,
    link: CString,
}

impl LinkAt {
    /// The op; it owns the path strings (heap bytes) the kernel reads until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.15; no runtime on this thread.
    pub(crate) fn op(original: CString, link: CString) -> io::Result<Op<LinkAt>> {
        support::require(opcode::LinkAt::CODE, "IORING_OP_LINKAT", "5.15")?;
        Ok(Op::new(LinkAt { original, link }))
    }
}

// SAFETY: the SQE's pointers point into `CString` heap bytes owned by `self`.
unsafe impl OpCode for LinkAt {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        opcode::LinkAt::new(
            types::Fd(libc::AT_FDCWD),
            self.original.as_ptr(),
            types::Fd(libc::AT_FDCWD),
            self.link.as_ptr(),
        )
        .build()
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
