//! The I/O shared by `UdpSocket` and `UnixDatagram`: one datagram per operation, with or
//! without an address. Each socket type only converts addresses.

use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::op::{self, Op, RawAddr, SharedFd};

use super::socket::{in_runtime, no_runtime};

/// Sends `buf` as one datagram to the connected peer.
pub(crate) async fn send<B: IoBuf>(fd: &SharedFd, buf: B) -> BufResult<usize, B> {
    if !in_runtime() {
        return (Err(no_runtime()), buf);
    }
    match Op::new(op::Send::new(fd.clone(), buf)) {
        Ok(op) => op.await,
        Err(_) => unreachable!("runtime checked above"),
    }
}

/// Receives one datagram from the connected peer into `buf`.
pub(crate) async fn recv<B: IoBufMut>(fd: &SharedFd, buf: B) -> BufResult<usize, B> {
    if !in_runtime() {
        return (Err(no_runtime()), buf);
    }
    match Op::new(op::Recv::new(fd.ungated(), buf)) {
        Ok(op) => op.await,
        Err(_) => unreachable!("runtime checked above"),
    }
}

/// Sends `buf` as one datagram to `target` (`sendmsg`).
pub(crate) async fn send_to<B: IoBuf>(
    fd: &SharedFd,
    buf: B,
    target: RawAddr,
) -> BufResult<usize, B> {
    if !in_runtime() {
        return (Err(no_runtime()), buf);
    }
    match Op::new(op::SendMsg::new(fd.clone(), vec![buf], Some(target))) {
        Ok(op) => {
            let (res, bufs) = op.await;
            (res, one(bufs))
        }
        Err(_) => unreachable!("runtime checked above"),
    }
}

/// Receives one datagram into `buf` with its sender's address (`recvmsg`).
pub(crate) async fn recv_from<B: IoBufMut>(
    fd: &SharedFd,
    buf: B,
) -> BufResult<(usize, RawAddr), B> {
    if !in_runtime() {
        return (Err(no_runtime()), buf);
    }
    match Op::new(op::RecvMsg::new(fd.ungated(), vec![buf])) {
        Ok(op) => {
            let (res, bufs) = op.await;
            (res, one(bufs))
        }
        Err(_) => unreachable!("runtime checked above"),
    }
}

fn one<B>(mut bufs: Vec<B>) -> B {
    bufs.pop().expect("one buffer in, one buffer out")
}
