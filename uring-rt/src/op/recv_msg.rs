//! `IORING_OP_RECVMSG`: receives into several buffers, with the sender's address.

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, socket_target, InputPermit, MsgHdr, OpCode, RawAddr};
use crate::buf::{BufResult, IoBufMut};
use crate::driver::Completion;

/// Receives into the free room of `bufs`, in order (kernel 5.3+), and the sender's address.
/// Bytes that arrive after the future was dropped go to the fd kind's extension (a stream
/// stashes them).
#[derive(Debug)]
pub(crate) struct RecvMsg<B> {
    permit: InputPermit,
    bufs: Vec<B>,
    msg: Box<MsgHdr>,
    /// `MSG_PEEK`: the data stays queued; a dropped peek keeps none of it.
    peek: bool,
}

impl<B: IoBufMut> RecvMsg<B> {
    pub(crate) fn new(permit: InputPermit, mut bufs: Vec<B>) -> RecvMsg<B> {
        let iov = bufs
            .iter_mut()
            .map(|b| libc::iovec {
                iov_base: b.stable_mut_ptr().cast(),
                iov_len: b.bytes_total(),
            })
            .collect();
        let mut msg = MsgHdr::new(iov, None);
        msg.want_addr();
        RecvMsg {
            permit,
            bufs,
            msg,
            peek: false,
        }
    }

    /// A receive with `MSG_PEEK`: copies the next datagram (or queued bytes) and the
    /// sender's address without consuming them.
    pub(crate) fn peek(permit: InputPermit, bufs: Vec<B>) -> RecvMsg<B> {
        RecvMsg {
            peek: true,
            ..RecvMsg::new(permit, bufs)
        }
    }
}

// SAFETY: the SQE points at `*self.msg` (boxed), whose pointers lead into the box itself, into
// its `iov` vector's heap storage, and into the storage of `bufs`, which `IoBufMut` keeps
// stable while the op owns them.
unsafe impl<B: IoBufMut> OpCode for RecvMsg<B> {
    fn leak(self) {
        // The buffers and the header may still be used: they stay allocated; the stream's
        // reads go on.
        let RecvMsg {
            permit, bufs, msg, ..
        } = self;
        std::mem::forget((bufs, msg));
        drop(permit);
    }

    type Output = BufResult<(usize, RawAddr), Vec<B>>;

    fn fail(self, err: io::Error) -> BufResult<(usize, RawAddr), Vec<B>> {
        (Err(err), self.bufs)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        self.create_entry_on(0)
    }

    fn create_entry_on(&mut self, ring: u64) -> squeue::Entry {
        let hdr = &mut self.msg.hdr as *mut libc::msghdr;
        let flags = if self.peek { libc::MSG_PEEK as u32 } else { 0 };
        socket_target!(self.permit.fd(), ring, |fd| opcode::RecvMsg::new(fd, hdr)
            .flags(flags)
            .build())
    }

    fn complete(mut self, c: Completion) -> BufResult<(usize, RawAddr), Vec<B>> {
        let res = cqe_result(c).map(|n| {
            let mut left = n as usize;
            for b in &mut self.bufs {
                let k = left.min(b.bytes_total());
                // SAFETY: the kernel filled the iovecs in order; this one got `k` bytes, at
                // most its `bytes_total()`.
                unsafe { b.set_init(k) };
                left -= k;
            }
            (n as usize, self.msg.received_addr())
        });
        (res, self.bufs)
    }

    fn orphan_completion(&mut self, c: Completion) {
        let Ok(n) = cqe_result(c) else {
            self.permit.keep_error(-c.result);
            return;
        };
        if self.peek {
            // Peeked bytes are still queued: the next read gets them from the kernel.
            return;
        }
        let mut left = n as usize;
        for b in &self.bufs {
            let k = left.min(b.bytes_total());
            // SAFETY: the kernel wrote `k` bytes at this buffer's stable address, which
            // `self` still owns.
            let got = unsafe { std::slice::from_raw_parts(b.stable_ptr(), k) };
            self.permit.keep_bytes(got);
            left -= k;
        }
    }
}
