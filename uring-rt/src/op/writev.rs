//! `IORING_OP_WRITEV`: `pwritev(2)` through the ring (kernel 5.1+).

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, FileFd, IoVecs, Op, OpCode};
use crate::buf::{BufResult, IoBuf};
use crate::driver::Completion;

/// Writes the buffers' initialized bytes, in order, at `pos` of `fd`.
#[derive(Debug)]
pub(crate) struct Writev<B> {
    fd: FileFd,
    bufs: Vec<B>,
    /// Points into `bufs`' heap bytes.
    iovecs: IoVecs,
    pos: u64,
}

impl<B: IoBuf> Writev<B> {
    /// The op; the `iovec` array and the buffers it points into are owned by it (both on the
    /// heap, so moves keep the SQE's pointers valid) until the completion.
    ///
    /// # Errors
    /// None today (the `Result` stays for the callers): the op's first poll fails it with
    /// `Unsupported` when the kernel lacks the opcode, and outside a runtime.
    pub(crate) fn op(
        fd: &FileFd,
        bufs: Vec<B>,
        pos: u64,
    ) -> Result<Op<Writev<B>>, (io::Error, Vec<B>)> {
        // The kernel support is checked at first poll (`OpCode::required`).
        let iovecs = IoVecs::new(
            bufs.iter()
                .map(|b| (b.stable_ptr().cast_mut(), b.bytes_init())),
        );
        Ok(Op::new(Writev {
            fd: fd.clone(),
            bufs,
            iovecs,
            pos,
        }))
    }
}

// SAFETY: the SQE points to the heap `iovec` array, whose entries point to the buffers'
// stable heap bytes (`IoBuf`), all owned by `self`. The kernel only reads them.
unsafe impl<B: IoBuf> OpCode for Writev<B> {
    type Output = BufResult<usize, Vec<B>>;

    fn required(&self) -> Option<(u8, &'static str, &'static str)> {
        Some((opcode::Writev::CODE, "IORING_OP_WRITEV", "5.1"))
    }

    fn fail(self, err: io::Error) -> BufResult<usize, Vec<B>> {
        (Err(err), self.bufs)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        super::fd_target!(self.fd, |fd| opcode::Writev::new(
            fd,
            self.iovecs.as_ptr(),
            self.iovecs.len(),
        )
        .offset(self.pos)
        .build())
    }

    fn complete(self, c: Completion) -> BufResult<usize, Vec<B>> {
        (cqe_result(c).map(|n| n as usize), self.bufs)
    }
}
