//! `IORING_OP_SEND`: sends from one buffer.

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, socket_target, OpCode, SharedFd};
use crate::buf::{BufResult, IoBuf};
use crate::driver::Completion;

/// Sends `buf`'s initialized bytes (kernel 5.6+), with `MSG_NOSIGNAL`: a closed peer is
/// `EPIPE`, never `SIGPIPE`.
#[derive(Debug)]
pub(crate) struct Send<B> {
    fd: SharedFd,
    buf: B,
}

impl<B: IoBuf> Send<B> {
    pub(crate) fn new(fd: SharedFd, buf: B) -> Send<B> {
        Send { fd, buf }
    }
}

// SAFETY: the SQE points at `buf`'s storage, which `IoBuf` keeps at a stable address for as
// long as the op owns `buf`.
unsafe impl<B: IoBuf> OpCode for Send<B> {
    type Output = BufResult<usize, B>;

    fn fail(self, err: io::Error) -> BufResult<usize, B> {
        (Err(err), self.buf)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        self.create_entry_on(0)
    }

    fn create_entry_on(&mut self, ring: u64) -> squeue::Entry {
        let len = u32::try_from(self.buf.bytes_init()).unwrap_or(u32::MAX);
        let ptr = self.buf.stable_ptr();
        socket_target!(self.fd, ring, |fd| opcode::Send::new(fd, ptr, len)
            .flags(libc::MSG_NOSIGNAL)
            .build())
    }

    fn complete(self, c: Completion) -> BufResult<usize, B> {
        (cqe_result(c).map(|n| n as usize), self.buf)
    }
}
