//! `IORING_OP_SYNC_FILE_RANGE`: `sync_file_range(2)` over `len` bytes at `offset` (kernel 5.2+).

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, support, FileFd, Op, OpCode};
use crate::driver::Completion;

/// `sync_file_range(2)` over `len` bytes at `offset`.
#[derive(Debug)]
pub(crate) struct SyncFileRange {
    /// Keeps the fd open until the completion.
    fd: FileFd,
    offset: u64,
    len: u32,
    flags: u32,
}

impl SyncFileRange {
    /// The op; it holds a clone of the fd until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.2; no runtime on this thread.
    pub(crate) fn op(
        fd: &FileFd,
        offset: u64,
        len: u32,
        flags: u32,
    ) -> io::Result<Op<SyncFileRange>> {
        support::require(
            opcode::SyncFileRange::CODE,
            "IORING_OP_SYNC_FILE_RANGE",
            "5.2",
        )?;
        Ok(Op::new(SyncFileRange {
            fd: fd.clone(),
            offset,
            len,
            flags,
        }))
    }
}

// SAFETY: the SQE carries no pointer (the fd, or its fixed slot, is kept by `self.fd`).
unsafe impl OpCode for SyncFileRange {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        super::fd_target!(self.fd, |fd| opcode::SyncFileRange::new(fd, self.len)
            .offset(self.offset)
            .flags(self.flags)
            .build())
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
