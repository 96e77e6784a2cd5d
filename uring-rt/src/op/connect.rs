//! `IORING_OP_CONNECT`: connects a socket to an address.

use std::io;

use io_uring::{opcode, squeue, types};

use super::{cqe_result, OpCode, RawAddr, SharedFd};
use crate::driver::Completion;

/// Connects `fd` to `addr` (kernel 5.5+).
#[derive(Debug)]
pub(crate) struct Connect {
    fd: SharedFd,
    /// Boxed: the SQE points at it.
    addr: Box<RawAddr>,
}

impl Connect {
    pub(crate) fn new(fd: SharedFd, addr: RawAddr) -> Connect {
        Connect {
            fd,
            addr: Box::new(addr),
        }
    }
}

// SAFETY: the SQE points at `*self.addr`, a heap allocation owned by the op.
unsafe impl OpCode for Connect {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        let ptr = (&self.addr.storage as *const libc::sockaddr_storage).cast();
        opcode::Connect::new(types::Fd(self.fd.raw()), ptr, self.addr.len).build()
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(drop)
    }
}
