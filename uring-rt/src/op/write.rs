//! `IORING_OP_WRITE`: `pwrite(2)` through the ring (kernel 5.6+).

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, FileFd, Op, OpCode};
use crate::buf::{BufResult, IoBuf};
use crate::driver::Completion;

/// Writes at `pos` of `fd`; the kernel reads the buffer's `bytes_init()` bytes.
#[derive(Debug)]
pub(crate) struct Write<B> {
    /// Keeps the fd open until the completion.
    fd: FileFd,
    buf: B,
    pos: u64,
}

impl<B: IoBuf> Write<B> {
    /// The op; it owns the buffer (whose bytes stay put when moved, by `IoBuf`'s contract)
    /// and a clone of the fd until the completion.
    ///
    /// # Errors
    /// None today (the `Result` stays for the callers): the op's first poll fails it with
    /// `Unsupported` when the kernel lacks the opcode, and outside a runtime.
    pub(crate) fn op(fd: &FileFd, buf: B, pos: u64) -> Result<Op<Write<B>>, (io::Error, B)> {
        // The kernel support is checked at first poll (`OpCode::required`).
        Ok(Op::new(Write {
            fd: fd.clone(),
            buf,
            pos,
        }))
    }
}

// SAFETY: the only pointer is the buffer's, stable across moves and valid for
// `bytes_total()` bytes while `self.buf` lives (`IoBuf`/`IoBufMut` contracts).
unsafe impl<B: IoBuf> OpCode for Write<B> {
    type Output = BufResult<usize, B>;

    fn required(&self) -> Option<(u8, &'static str, &'static str)> {
        Some((opcode::Write::CODE, "IORING_OP_WRITE", "5.6"))
    }

    fn fail(self, err: io::Error) -> BufResult<usize, B> {
        (Err(err), self.buf)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        let len = u32::try_from(self.buf.bytes_init()).unwrap_or(u32::MAX);
        super::fd_target!(self.fd, |fd| opcode::Write::new(
            fd,
            self.buf.stable_ptr(),
            len
        )
        .offset(self.pos)
        .build())
    }

    fn complete(self, c: Completion) -> BufResult<usize, B> {
        let buf = self.buf;
        match cqe_result(c) {
            Ok(n) => (Ok(n as usize), buf),
            Err(e) => (Err(e), buf),
        }
    }
}
