//! `IORING_OP_READV`: `preadv(2)` through the ring (kernel 5.1+).

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, FileFd, IoVecs, Op, OpCode};
use crate::buf::{BufResult, IoBufMut};
use crate::driver::Completion;

/// Reads at `pos` of `fd` into the buffers in order, each up to its `bytes_total()`.
#[derive(Debug)]
pub(crate) struct Readv<B> {
    fd: FileFd,
    bufs: Vec<B>,
    /// Points into `bufs`' heap bytes.
    iovecs: IoVecs,
    pos: u64,
}

impl<B: IoBufMut> Readv<B> {
    /// The op; the `iovec` array and the buffers it points into are owned by it (both on the
    /// heap, so moves keep the SQE's pointers valid) until the completion.
    ///
    /// # Errors
    /// None today (the `Result` stays for the callers): the op's first poll fails it with
    /// `Unsupported` when the kernel lacks the opcode, and outside a runtime.
    pub(crate) fn op(
        fd: &FileFd,
        mut bufs: Vec<B>,
        pos: u64,
    ) -> Result<Op<Readv<B>>, (io::Error, Vec<B>)> {
        // The kernel support is checked at first poll (`OpCode::required`).
        let iovecs = IoVecs::new(
            bufs.iter_mut()
                .map(|b| (b.stable_mut_ptr(), b.bytes_total())),
        );
        Ok(Op::new(Readv {
            fd: fd.clone(),
            bufs,
            iovecs,
            pos,
        }))
    }
}

// SAFETY: the SQE points to the heap `iovec` array, whose entries point to the buffers'
// stable heap bytes (`IoBufMut`), all owned by `self`.
unsafe impl<B: IoBufMut> OpCode for Readv<B> {
    type Output = BufResult<usize, Vec<B>>;

    fn required(&self) -> Option<(u8, &'static str, &'static str)> {
        Some((opcode::Readv::CODE, "IORING_OP_READV", "5.1"))
    }

    fn fail(self, err: io::Error) -> BufResult<usize, Vec<B>> {
        (Err(err), self.bufs)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        super::fd_target!(self.fd, |fd| opcode::Readv::new(
            fd,
            self.iovecs.as_ptr(),
            self.iovecs.len(),
        )
        .offset(self.pos)
        .build())
    }

    fn complete(self, c: Completion) -> BufResult<usize, Vec<B>> {
        let mut bufs = self.bufs;
        match cqe_result(c) {
            Ok(n) => {
                let mut left = n as usize;
                for b in &mut bufs {
                    let here = left.min(b.bytes_total());
                    // SAFETY: the kernel filled the buffers in order; this one got its first
                    // `here <= bytes_total()` bytes.
                    unsafe { b.set_init(here) };
                    left -= here;
                }
                (Ok(n as usize), bufs)
            }
            Err(e) => (Err(e), bufs),
        }
    }
}
