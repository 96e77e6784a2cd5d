//! `IORING_OP_RECV`: receives into one buffer.

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, socket_target, InputPermit, OpCode};
use crate::buf::{BufResult, IoBufMut};
use crate::driver::Completion;

/// Receives into `buf`'s free room (kernel 5.6+). Bytes that arrive after the future was
/// dropped go to the fd kind's extension (a stream stashes them, so none is lost).
#[derive(Debug)]
pub(crate) struct Recv<B> {
    permit: InputPermit,
    buf: B,
    /// `MSG_PEEK`: the bytes stay in the socket; a dropped peek keeps none of them.
    peek: bool,
}

impl<B: IoBufMut> Recv<B> {
    pub(crate) fn new(permit: InputPermit, buf: B) -> Recv<B> {
        Recv {
            permit,
            buf,
            peek: false,
        }
    }

    /// A receive with `MSG_PEEK`: copies what is queued without consuming it.
    pub(crate) fn peek(permit: InputPermit, buf: B) -> Recv<B> {
        Recv {
            permit,
            buf,
            peek: true,
        }
    }
}

// SAFETY: the SQE points at `buf`'s storage, which `IoBufMut` keeps at a stable address
// (on the heap or static) for as long as the op owns `buf`.
unsafe impl<B: IoBufMut> OpCode for Recv<B> {
    fn leak(self) {
        // The buffer may still be written: it stays allocated; the stream's reads go on.
        let Recv { permit, buf, .. } = self;
        std::mem::forget(buf);
        drop(permit);
    }

    type Output = BufResult<usize, B>;

    fn fail(self, err: io::Error) -> BufResult<usize, B> {
        (Err(err), self.buf)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        self.create_entry_on(0)
    }

    fn create_entry_on(&mut self, ring: u64) -> squeue::Entry {
        let len = u32::try_from(self.buf.bytes_total()).unwrap_or(u32::MAX);
        let flags = if self.peek { libc::MSG_PEEK } else { 0 };
        let ptr = self.buf.stable_mut_ptr();
        socket_target!(self.permit.fd(), ring, |fd| opcode::Recv::new(fd, ptr, len)
            .flags(flags)
            .build())
    }

    fn complete(mut self, c: Completion) -> BufResult<usize, B> {
        let res = cqe_result(c).map(|n| {
            // SAFETY: the kernel wrote `n <= bytes_total()` bytes at `stable_mut_ptr`.
            unsafe { self.buf.set_init(n as usize) };
            n as usize
        });
        (res, self.buf)
    }

    fn orphan_completion(&mut self, c: Completion) {
        match cqe_result(c) {
            // Peeked bytes are still in the socket: the next read gets them from the kernel.
            Ok(_) if self.peek => {}
            Ok(n) => {
                // SAFETY: the kernel wrote `n <= bytes_total()` bytes at the buffer's stable
                // address, which `self` still owns.
                let got = unsafe { std::slice::from_raw_parts(self.buf.stable_ptr(), n as usize) };
                self.permit.keep_bytes(got);
            }
            Err(_) => self.permit.keep_error(-c.result),
        }
    }
}
