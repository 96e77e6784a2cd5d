//! `IORING_OP_FALLOCATE`: `fallocate(2)` of `len` bytes at `offset` with `mode` (kernel 5.6+).

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, support, FileFd, Op, OpCode};
use crate::driver::Completion;

/// `fallocate(2)` of `len` bytes at `offset` with `mode`.
#[derive(Debug)]
pub(crate) struct Fallocate {
    /// Keeps the fd open until the completion.
    fd: FileFd,
    offset: u64,
    len: u64,
    mode: i32,
}

impl Fallocate {
    /// The op; it holds a clone of the fd until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.6; no runtime on this thread.
    pub(crate) fn op(fd: &FileFd, offset: u64, len: u64, mode: i32) -> io::Result<Op<Fallocate>> {
        support::require(opcode::Fallocate::CODE, "IORING_OP_FALLOCATE", "5.6")?;
        Ok(Op::new(Fallocate {
            fd: fd.clone(),
            offset,
            len,
            mode,
        }))
    }
}

// SAFETY: the SQE carries no pointer (the fd, or its fixed slot, is kept by `self.fd`).
unsafe impl OpCode for Fallocate {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        super::fd_target!(self.fd, |fd| opcode::Fallocate::new(fd, self.len)
            .offset(self.offset)
            .mode(self.mode)
            .build())
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
