//! `IORING_OP_ACCEPT` with `IORING_ACCEPT_MULTISHOT`: one SQE, a completion per connection.

use std::io;

use io_uring::{opcode, squeue, types};

use super::socket::own_fd;
use super::{cqe_result, InputPermit, OpCode};
use crate::driver::Completion;

/// Accepts connections until cancelled or an error (kernel 5.19+), `SOCK_CLOEXEC`. Used with
/// `MultiOp`; each completion's result is a new fd. Holds the listener's input permit;
/// connections accepted after the stream was dropped go to the listener's stash.
#[derive(Debug)]
pub(crate) struct AcceptMulti {
    permit: InputPermit,
}

impl AcceptMulti {
    pub(crate) fn new(permit: InputPermit) -> AcceptMulti {
        AcceptMulti { permit }
    }
}

/// The connection a completion of an `AcceptMulti` reports. Pass only completions of
/// `MultiOp<AcceptMulti>` (the type of `MultiOp::poll_next`'s owner says so at the call).
pub(crate) fn accepted(c: Completion) -> std::io::Result<std::os::fd::OwnedFd> {
    // SAFETY: a successful ACCEPT result is a new fd nobody else owns.
    cqe_result(c).map(|fd| unsafe { own_fd(fd) })
}

// SAFETY: the SQE carries no pointer.
unsafe impl OpCode for AcceptMulti {
    fn leak(self) {
        // No memory of ours in the SQE: only the permit matters.
        drop(self.permit);
    }

    type Output = ();

    fn fail(self, _err: io::Error) {}

    fn create_entry(&mut self) -> squeue::Entry {
        opcode::AcceptMulti::new(types::Fd(self.permit.raw()))
            .flags(libc::SOCK_CLOEXEC)
            .build()
    }

    fn complete(self, _c: Completion) {}

    fn orphan_completion(&mut self, c: Completion) {
        if let Ok(fd) = cqe_result(c) {
            // SAFETY: a successful ACCEPT result is a new fd; the fd kind becomes its owner.
            self.permit.keep_conn(unsafe { own_fd(fd) });
        }
    }
}
