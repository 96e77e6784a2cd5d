//! `IORING_OP_SENDMSG`: sends from several buffers, optionally to an address.

use std::io;

use io_uring::{opcode, squeue};

use super::{cqe_result, socket_target, MsgHdr, OpCode, RawAddr, SharedFd};
use crate::buf::{BufResult, IoBuf};
use crate::driver::Completion;

/// Sends the initialized bytes of `bufs` in order (kernel 5.3+), to `addr` if given, with
/// `MSG_NOSIGNAL`.
#[derive(Debug)]
pub(crate) struct SendMsg<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    msg: Box<MsgHdr>,
}

impl<B: IoBuf> SendMsg<B> {
    pub(crate) fn new(fd: SharedFd, bufs: Vec<B>, addr: Option<RawAddr>) -> SendMsg<B> {
        let iov = bufs
            .iter()
            .map(|b| libc::iovec {
                iov_base: b.stable_ptr() as *mut libc::c_void,
                iov_len: b.bytes_init(),
            })
            .collect();
        SendMsg {
            fd,
            bufs,
            msg: MsgHdr::new(iov, addr),
        }
    }
}

// SAFETY: the SQE points at `*self.msg` (boxed), whose pointers lead into the box itself, into
// its `iov` vector's heap storage, and into the storage of `bufs`, which `IoBuf` keeps stable
// while the op owns them.
unsafe impl<B: IoBuf> OpCode for SendMsg<B> {
    type Output = BufResult<usize, Vec<B>>;

    fn fail(self, err: io::Error) -> BufResult<usize, Vec<B>> {
        (Err(err), self.bufs)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        self.create_entry_on(0)
    }

    fn create_entry_on(&mut self, ring: u64) -> squeue::Entry {
        let hdr = &self.msg.hdr as *const libc::msghdr;
        socket_target!(self.fd, ring, |fd| opcode::SendMsg::new(fd, hdr)
            .flags(libc::MSG_NOSIGNAL as u32)
            .build())
    }

    fn complete(self, c: Completion) -> BufResult<usize, Vec<B>> {
        (cqe_result(c).map(|n| n as usize), self.bufs)
    }
}
