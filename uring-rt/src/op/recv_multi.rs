//! `IORING_OP_RECV` with `IORING_RECV_MULTISHOT` and a provided-buffer ring.

use std::io;
use std::rc::Rc;

use io_uring::{cqueue, opcode, squeue};

use super::{cqe_result, socket_target, InputPermit, OpCode, ProvidedBufs};
use crate::driver::Completion;

/// Receives into buffers the kernel picks from `ring`, one completion per chunk, until an
/// error, end of stream, `ENOBUFS` or cancellation (kernel 6.0+). Used with `MultiOp`. Holds
/// the stream's input permit; chunks that arrive after the stream of buffers was dropped go
/// to the fd kind (a stream stashes a copy) and their buffers go back to the ring.
#[derive(Debug)]
pub(crate) struct RecvMulti {
    permit: InputPermit,
    ring: Rc<ProvidedBufs>,
}

impl RecvMulti {
    /// The caller checked that `ring` is registered with this thread's ring.
    pub(crate) fn new(permit: InputPermit, ring: Rc<ProvidedBufs>) -> RecvMulti {
        RecvMulti { permit, ring }
    }
}

// SAFETY: the SQE carries no pointer; the kernel writes into buffers of `ring`, which the op
// keeps alive (an `Rc`) and which stay allocated until unregistered.
unsafe impl OpCode for RecvMulti {
    fn leak(self) {
        // The buffer ring may still be written: it stays allocated; the stream's reads go on.
        let RecvMulti { permit, ring } = self;
        std::mem::forget(ring);
        drop(permit);
    }

    type Output = ();

    fn fail(self, _err: io::Error) {}

    fn create_entry(&mut self) -> squeue::Entry {
        self.create_entry_on(0)
    }

    fn create_entry_on(&mut self, ring: u64) -> squeue::Entry {
        let bgid = self.ring.bgid();
        socket_target!(self.permit.fd(), ring, |fd| opcode::RecvMulti::new(
            fd, bgid
        )
        .build())
    }

    fn complete(self, _c: Completion) {}

    fn orphan_completion(&mut self, c: Completion) {
        let Some(bid) = cqueue::buffer_select(c.flags) else {
            // Out of provided buffers is the ring's state, not the socket's.
            if c.result < 0 && c.result != -libc::ENOBUFS {
                self.permit.keep_error(-c.result);
            }
            return;
        };
        let n = cqe_result(c).unwrap_or(0) as usize;
        let permit = &self.permit;
        self.ring
            .recycle_with(bid, n, |bytes| permit.keep_bytes(bytes));
    }
}
