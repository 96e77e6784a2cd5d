//! `IORING_OP_SOCKET`: creates a socket.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use io_uring::{opcode, squeue};

use super::{cqe_result, OpCode};
use crate::driver::Completion;

/// Creates a socket (kernel 5.19+; check the probe, else use `socket(2)`). Always
/// `SOCK_CLOEXEC`.
#[derive(Debug)]
pub(crate) struct Socket {
    domain: i32,
    ty: i32,
    protocol: i32,
}

impl Socket {
    pub(crate) fn new(domain: i32, ty: i32, protocol: i32) -> Socket {
        Socket {
            domain,
            ty: ty | libc::SOCK_CLOEXEC,
            protocol,
        }
    }
}

/// Owns a fd the kernel returned.
///
/// # Safety
/// `fd` is the non-negative result of a SOCKET or ACCEPT completion: a new fd nobody else
/// owns.
pub(crate) unsafe fn own_fd(fd: u32) -> OwnedFd {
    // SAFETY: the caller passes a fresh fd nobody else owns.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

/// Whether this thread's ring has `IORING_OP_SOCKET` (false outside a runtime).
pub(crate) fn socket_supported() -> bool {
    crate::runtime::context::driver()
        .map(|d| d.is_supported(opcode::Socket::CODE))
        .unwrap_or(false)
}

// SAFETY: the SQE carries no pointer.
unsafe impl OpCode for Socket {
    type Output = io::Result<OwnedFd>;

    fn fail(self, err: io::Error) -> io::Result<OwnedFd> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        opcode::Socket::new(self.domain, self.ty, self.protocol).build()
    }

    fn complete(self, c: Completion) -> io::Result<OwnedFd> {
        // SAFETY: a successful SOCKET result is a new fd.
        cqe_result(c).map(|fd| unsafe { own_fd(fd) })
    }

    fn orphan_completion(&mut self, c: Completion) {
        if let Ok(fd) = cqe_result(c) {
            // SAFETY: a successful SOCKET result is a new fd; nobody else will see it.
            drop(unsafe { own_fd(fd) });
        }
    }
}
