//! `IORING_OP_READ_FIXED`: `pread(2)` with a registered buffer (kernel 5.1+).

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, support, FileFd, Op, OpCode};
use crate::buf::{BufResult, FixedIoBuf};
use crate::driver::Completion;
use crate::runtime::context;

/// Reads at `pos` of `fd` using a buffer registered with this ring.
#[derive(Debug)]
pub(crate) struct ReadFixed<B> {
    fd: FileFd,
    buf: B,
    pos: u64,
}

impl<B: FixedIoBuf> ReadFixed<B> {
    /// The op; it owns the buffer (registered memory kept alive by its pool storage) and a
    /// clone of the fd until the completion.
    ///
    /// # Errors
    /// `Unsupported` without the opcode; `InvalidInput` when `buf` is registered with
    /// another thread's ring; no runtime on this thread.
    pub(crate) fn op(fd: &FileFd, buf: B, pos: u64) -> Result<Op<ReadFixed<B>>, (io::Error, B)> {
        let check = support::require(opcode::ReadFixed::CODE, "IORING_OP_READ_FIXED", "5.1")
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
        Ok(Op::new(ReadFixed {
            fd: fd.clone(),
            buf,
            pos,
        }))
    }
}

// SAFETY: the only pointer is into the registered buffer (a slice's window stays inside it),
// whose storage the `FixedBuf` keeps alive (and stable) while `self` lives.
unsafe impl<B: FixedIoBuf> OpCode for ReadFixed<B> {
    type Output = BufResult<usize, B>;

    fn fail(self, err: io::Error) -> BufResult<usize, B> {
        (Err(err), self.buf)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        let index = self.buf.fixed_index();
        let len = u32::try_from(self.buf.bytes_total()).unwrap_or(u32::MAX);
        let ptr = self.buf.stable_mut_ptr();
        super::fd_target!(self.fd, |fd| opcode::ReadFixed::new(fd, ptr, len, index)
            .offset(self.pos)
            .build())
    }

    fn complete(self, c: Completion) -> BufResult<usize, B> {
        let mut buf = self.buf;
        match cqe_result(c) {
            Ok(n) => {
                // SAFETY: the kernel wrote the first `n <= bytes_total()` bytes.
                unsafe { buf.set_init(n as usize) };
                (Ok(n as usize), buf)
            }
            Err(e) => (Err(e), buf),
        }
    }
}
