//! `IORING_OP_FSYNC`: `fsync(2)` or, with `datasync`, `fdatasync(2)` (kernel 5.1+).

use std::io;

use io_uring::{opcode, squeue, types};

use super::{cqe_result, support, FileFd, Op, OpCode};
use crate::driver::Completion;

/// `fsync(2)` or, with `datasync`, `fdatasync(2)`.
#[derive(Debug)]
pub(crate) struct Fsync {
    /// Keeps the fd open until the completion.
    fd: FileFd,
    datasync: bool,
}

impl Fsync {
    /// The op; it holds a clone of the fd until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.1; no runtime on this thread.
    pub(crate) fn op(fd: &FileFd, datasync: bool) -> io::Result<Op<Fsync>> {
        support::require(opcode::Fsync::CODE, "IORING_OP_FSYNC", "5.1")?;
        Ok(Op::new(Fsync {
            fd: fd.clone(),
            datasync,
        }))
    }
}

// SAFETY: the SQE carries no pointer (the fd, or its fixed slot, is kept by `self.fd`).
unsafe impl OpCode for Fsync {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        super::fd_target!(self.fd, |fd| opcode::Fsync::new(fd)
            .flags(if self.datasync {
                types::FsyncFlags::DATASYNC
            } else {
                types::FsyncFlags::empty()
            })
            .build())
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
