//! `IORING_OP_SEND_ZC`: zero-copy send; the buffer is the kernel's until its notification.

use std::io;

use io_uring::{opcode, squeue};

use super::{socket_target, OpCode, SharedFd};
use crate::buf::IoBuf;
use crate::driver::Completion;

/// Sends `buf`'s initialized bytes without copying them (kernel 6.0+), with `MSG_NOSIGNAL`.
///
/// Used with `MultiOp`: the first completion carries the result (with `F_MORE` when a
/// notification follows); the notification (`F_NOTIF`, no `F_MORE`) says the kernel no
/// longer reads the buffer. Only then may [`SendZc::take_buf`] hand it back.
#[derive(Debug)]
pub(crate) struct SendZc<B> {
    fd: SharedFd,
    /// `None` once handed back, after the final completion.
    buf: Option<B>,
}

impl<B: IoBuf> SendZc<B> {
    pub(crate) fn new(fd: SharedFd, buf: B) -> SendZc<B> {
        SendZc { fd, buf: Some(buf) }
    }

    /// The buffer, once the operation's final completion was seen (the caller's duty).
    pub(crate) fn take_buf(&mut self) -> Option<B> {
        self.buf.take()
    }
}

/// Whether this thread's ring has `IORING_OP_SEND_ZC` (false outside a runtime).
pub(crate) fn send_zc_supported() -> bool {
    crate::runtime::context::driver()
        .map(|d| d.is_supported(opcode::SendZc::CODE))
        .unwrap_or(false)
}

// SAFETY: the SQE points at `buf`'s storage, stable while the op owns it; the op keeps it
// until the final completion (the notification), as `MultiOp` keeps the op.
unsafe impl<B: IoBuf> OpCode for SendZc<B> {
    type Output = ();

    fn fail(self, _err: io::Error) {}

    fn create_entry(&mut self) -> squeue::Entry {
        self.create_entry_on(0)
    }

    fn create_entry_on(&mut self, ring: u64) -> squeue::Entry {
        let buf = self
            .buf
            .as_ref()
            .expect("send_zc buffer present until done");
        let len = u32::try_from(buf.bytes_init()).unwrap_or(u32::MAX);
        let ptr = buf.stable_ptr();
        socket_target!(self.fd, ring, |fd| opcode::SendZc::new(fd, ptr, len)
            .flags(libc::MSG_NOSIGNAL)
            .build())
    }

    fn complete(self, _c: Completion) {}
}
