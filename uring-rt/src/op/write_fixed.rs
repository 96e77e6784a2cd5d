//! `IORING_OP_WRITE_FIXED`: `pwrite(2)` with a registered buffer (kernel 5.1+).

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, support, FileFd, Op, OpCode};
use crate::buf::{BufResult, FixedIoBuf};
use crate::driver::Completion;
use crate::runtime::context;

/// Writes at `pos` of `fd` using a buffer registered with this ring.
#[derive(Debug)]
pub(crate) struct WriteFixed<B> {
    fd: FileFd,
    buf: B,
    pos: u64,
}

impl<B: FixedIoBuf> WriteFixed<B> {
    /// The op; it owns the buffer (registered memory kept alive by its pool storage) and a
    /// clone of the fd until the completion.
    ///
    /// # Errors
    /// `Unsupported` without the opcode; `InvalidInput` when `buf` is registered with
    /// another thread's ring; no runtime on this thread.
    pub(crate) fn op(fd: &FileFd, buf: B, pos: u64) -> Result<Op<WriteFixed<B>>, (io::Error, B)> {
        let check = support::require(opcode::WriteFixed::CODE, "IORING_OP_WRITE_FIXED", "5.1")
            .and_then(|()| context::driver())
            .and_then(|d| {
                if d.id() == buf.fixed_ring() {
                    Ok(())
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "this FixedBuf is registered with another runtime's ring",
                    ))
                }
            });
        if let Err(e) = check {
            return Err((e, buf));
        }
        Ok(Op::new(WriteFixed {
            fd: fd.clone(),
            buf,
            pos,
        }))
    }
}

// SAFETY: the only pointer is into the registered buffer (a slice's window stays inside it),
// whose storage the `FixedBuf` keeps alive (and stable) while `self` lives.
unsafe impl<B: FixedIoBuf> OpCode for WriteFixed<B> {
    type Output = BufResult<usize, B>;

    fn fail(self, err: io::Error) -> BufResult<usize, B> {
        (Err(err), self.buf)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        let index = self.buf.fixed_index();
        let len = u32::try_from(self.buf.bytes_init()).unwrap_or(u32::MAX);
        let ptr = self.buf.stable_ptr();
        super::fd_target!(self.fd, |fd| opcode::WriteFixed::new(fd, ptr, len, index)
            .offset(self.pos)
            .build())
    }

    fn complete(self, c: Completion) -> BufResult<usize, B> {
        (cqe_result(c).map(|n| n as usize), self.buf)
    }
}
