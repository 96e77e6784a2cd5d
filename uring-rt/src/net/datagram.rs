//! The I/O shared by `UdpSocket` and `UnixDatagram`: one datagram per operation, with or
//! without an address. Each socket type only converts addresses.

use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::op::{self, InputPermit, Op, RawAddr, SharedFd};

/// Sends `buf` as one datagram to the connected peer.
pub(crate) async fn send<B: IoBuf>(fd: &SharedFd<()>, buf: B) -> BufResult<usize, B> {
    Op::new(op::Send::new(fd.share(), buf)).await
}

/// Receives one datagram from the connected peer into `buf`.
pub(crate) async fn recv<B: IoBufMut>(fd: &SharedFd<()>, buf: B) -> BufResult<usize, B> {
    Op::new(op::Recv::new(InputPermit::new(fd.share()), buf)).await
}

/// Sends `buf` as one datagram to `target` (`sendmsg`).
pub(crate) async fn send_to<B: IoBuf>(
    fd: &SharedFd<()>,
    buf: B,
    target: RawAddr,
) -> BufResult<usize, B> {
    let (res, bufs) = Op::new(op::SendMsg::new(fd.share(), vec![buf], Some(target))).await;
    (res, one(bufs))
}

/// Receives one datagram into `buf` with its sender's address (`recvmsg`).
pub(crate) async fn recv_from<B: IoBufMut>(
    fd: &SharedFd<()>,
    buf: B,
) -> BufResult<(usize, RawAddr), B> {
    let (res, bufs) = Op::new(op::RecvMsg::new(InputPermit::new(fd.share()), vec![buf])).await;
    (res, one(bufs))
}

/// Copies the next datagram into `buf` with its sender's address, leaving it queued
/// (`recvmsg` with `MSG_PEEK`).
pub(crate) async fn peek_from<B: IoBufMut>(
    fd: &SharedFd<()>,
    buf: B,
) -> BufResult<(usize, RawAddr), B> {
    let (res, bufs) = Op::new(op::RecvMsg::peek(InputPermit::new(fd.share()), vec![buf])).await;
    (res, one(bufs))
}

fn one<B>(mut bufs: Vec<B>) -> B {
    bufs.pop().expect("one buffer in, one buffer out")
}
