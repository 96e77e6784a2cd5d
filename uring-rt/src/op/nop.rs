//! `IORING_OP_NOP`: a round trip through the ring that does nothing.

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, OpCode};
use crate::driver::Completion;

/// A no-op (kernel 5.1+).
#[derive(Debug)]
pub(crate) struct Nop;

// SAFETY: the SQE carries no pointer.
unsafe impl OpCode for Nop {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        opcode::Nop::new().build()
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}
