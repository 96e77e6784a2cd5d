//! `IORING_OP_ACCEPT` (single-shot): takes one connection from a listener.

use std::io;
use std::os::fd::OwnedFd;

use io_uring::{opcode, squeue, types};

use super::socket::own_fd;
use super::{cqe_result, InputPermit, OpCode, RawAddr};
use crate::driver::Completion;

/// Accepts one connection (kernel 5.5+), `SOCK_CLOEXEC`. Holds the listener's input permit;
/// a connection accepted after the future was dropped goes to the listener's stash.
#[derive(Debug)]
pub(crate) struct Accept {
    permit: InputPermit,
    /// Boxed: the SQE points at the storage and at the length.
    addr: Box<RawAddr>,
}

impl Accept {
    pub(crate) fn new(permit: InputPermit) -> Accept {
        Accept {
            permit,
            addr: Box::new(RawAddr::empty()),
        }
    }
}

// SAFETY: the SQE points at `self.addr.storage` and `self.addr.len`, inside a heap allocation
// owned by the op.
unsafe impl OpCode for Accept {
    fn leak(self) {
        // The address storage may still be written: it stays allocated; accepts go on.
        let Accept { permit, addr } = self;
        std::mem::forget(addr);
        drop(permit);
    }

    type Output = io::Result<(OwnedFd, RawAddr)>;

    fn fail(self, err: io::Error) -> io::Result<(OwnedFd, RawAddr)> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        let addr = (&mut self.addr.storage as *mut libc::sockaddr_storage).cast();
        let len = &mut self.addr.len as *mut libc::socklen_t;
        opcode::Accept::new(types::Fd(self.permit.raw()), addr, len)
            .flags(libc::SOCK_CLOEXEC)
            .build()
    }

    fn complete(self, c: Completion) -> io::Result<(OwnedFd, RawAddr)> {
        // SAFETY: a successful ACCEPT result is a new fd.
        cqe_result(c).map(|fd| (unsafe { own_fd(fd) }, *self.addr))
    }

    fn orphan_completion(&mut self, c: Completion) {
        if let Ok(fd) = cqe_result(c) {
            // SAFETY: a successful ACCEPT result is a new fd; the fd kind becomes its owner.
            self.permit.keep_conn(unsafe { own_fd(fd) });
        }
    }
}
