//! `IORING_OP_FTRUNCATE`: `ftruncate(2)` to `len` bytes (kernel 6.9+).

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, support, FileFd, Op, OpCode};
use crate::driver::Completion;

/// `ftruncate(2)` to `len` bytes.
#[derive(Debug)]
pub(crate) struct Ftruncate {
    /// Keeps the fd open until the completion.
    fd: FileFd,
    len: u64,
}

impl Ftruncate {
    /// The op; it holds a clone of the fd until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 6.9; no runtime on this thread.
    pub(crate) fn op(fd: &FileFd, len: u64) -> io::Result<Op<Ftruncate>> {
        support::require(opcode::Ftruncate::CODE, "IORING_OP_FTRUNCATE", "6.9")?;
        Ok(Op::new(Ftruncate {
            fd: fd.clone(),
            len,
        }))
    }
}

// SAFETY: the SQE carries no pointer (the fd, or its fixed slot, is kept by `self.fd`).
unsafe impl OpCode for Ftruncate {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        super::fd_target!(self.fd, |fd| opcode::Ftruncate::new(fd, self.len).build())
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
