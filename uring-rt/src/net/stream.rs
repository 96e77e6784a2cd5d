//! The byte-stream I/O shared by TCP and Unix streams and their owned halves: read, write,
//! vectored I/O, zero-copy send, multishot receive.

use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::os::fd::OwnedFd;

use socket2::SockRef;

use super::gate::{connected_fd, StreamFd};
use super::recv_stream::RecvStream;
use super::socket::{in_runtime, no_runtime};
use super::BufRing;
use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::op::{self, MultiOp, Op};

/// A connected stream socket's fd and its I/O.
#[derive(Debug, Clone)]
pub(crate) struct StreamCore {
    pub(crate) fd: StreamFd,
}

impl StreamCore {
    /// The stream of the connected socket `fd`: with a direct-descriptor slot in the current
    /// ring when the runtime has them (see `gate::connected_fd`).
    pub(crate) fn new(fd: OwnedFd) -> StreamCore {
        StreamCore {
            fd: connected_fd(fd),
        }
    }

    /// A read into no room at all: `Ok(0)` at once, as std's `Read` documents, instead of a
    /// receive that the kernel would hold until a byte arrives.
    fn no_room(room: usize) -> Option<io::Result<usize>> {
        if room > 0 {
            return None;
        }
        Some(if in_runtime() {
            Ok(0)
        } else {
            Err(no_runtime())
        })
    }

    pub(crate) async fn read<B: IoBufMut>(&self, mut buf: B) -> BufResult<usize, B> {
        if let Some(res) = Self::no_room(buf.bytes_total()) {
            return (res, buf);
        }
        let permit = self.fd.input().await;
        if let Some(n) = self.fd.take_bytes(&mut buf) {
            return (Ok(n), buf);
        }
        if let Some(e) = self.fd.take_error() {
            return (Err(e), buf);
        }
        Op::new(op::Recv::new(permit, buf)).await
    }

    pub(crate) async fn peek<B: IoBufMut>(&self, mut buf: B) -> BufResult<usize, B> {
        if let Some(res) = Self::no_room(buf.bytes_total()) {
            return (res, buf);
        }
        let permit = self.fd.input().await;
        if let Some(n) = self.fd.peek_bytes(&mut buf) {
            return (Ok(n), buf);
        }
        // As the kernel does: a pending socket error is reported (and cleared) by a peek too.
        if let Some(e) = self.fd.take_error() {
            return (Err(e), buf);
        }
        Op::new(op::Recv::peek(permit, buf)).await
    }

    pub(crate) async fn readv<B: IoBufMut>(&self, mut bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        if let Some(res) = Self::no_room(bufs.iter().map(|b| b.bytes_total()).sum()) {
            return (res, bufs);
        }
        let permit = self.fd.input().await;
        if self.fd.has_stash() {
            let mut total = 0;
            for b in &mut bufs {
                match self.fd.take_bytes(b) {
                    Some(n) => total += n,
                    None => break,
                }
            }
            if total > 0 {
                return (Ok(total), bufs);
            }
            if let Some(e) = self.fd.take_error() {
                return (Err(e), bufs);
            }
        }
        let (res, bufs) = Op::new(op::RecvMsg::new(permit, bufs)).await;
        (res.map(|(n, _)| n), bufs)
    }

    pub(crate) fn write<B: IoBuf>(&self, buf: B) -> Op<op::Send<B>> {
        Op::new(op::Send::new(self.fd.share(), buf))
    }

    pub(crate) async fn writev<B: IoBuf>(&self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        Op::new(op::SendMsg::new(self.fd.share(), bufs, None)).await
    }

    pub(crate) async fn write_all<B: IoBuf>(&self, buf: B) -> BufResult<(), B> {
        let len = buf.bytes_init();
        let (res, buf) = self.write(buf).await;
        let mut done = match res {
            Ok(n) if n == len => return (Ok(()), buf),
            Ok(0) => return (Err(io::ErrorKind::WriteZero.into()), buf),
            Ok(n) => n,
            Err(e) => return (Err(e), buf),
        };
        // Partial write: go on from a window of the same buffer.
        let mut slice = buf.slice(done..len);
        loop {
            let (res, s) = self.write(slice).await;
            match res {
                Ok(0) => return (Err(io::ErrorKind::WriteZero.into()), s.into_inner()),
                Ok(n) => done += n,
                Err(e) => return (Err(e), s.into_inner()),
            }
            if done == len {
                return (Ok(()), s.into_inner());
            }
            slice = s.into_inner().slice(done..len);
        }
    }

    pub(crate) async fn send_zc<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        if !op::send_zc_supported() {
            let err = io::Error::new(
                io::ErrorKind::Unsupported,
                "zero-copy send (IORING_OP_SEND_ZC) needs Linux 6.0 or newer",
            );
            return (Err(err), buf);
        }
        let mut op = MultiOp::new(op::SendZc::new(self.fd.share(), buf));
        let mut result = None;
        // Take completions until the slot is gone: the result, then (if the kernel used the
        // buffer) the notification that it no longer does.
        while let Some(c) = poll_fn(|cx| op.poll_next(cx)).await {
            let c = match c {
                Ok(c) => c,
                Err(e) => {
                    // Never armed: the buffer is still in the op.
                    result = Some(Err(e));
                    break;
                }
            };
            if !io_uring::cqueue::notif(c.flags) {
                result = Some(op::cqe_result(c).map(|n| n as usize));
            }
        }
        let buf = op
            .data_mut()
            .and_then(|d| d.take_buf())
            .expect("send_zc buffer is handed back after the final completion");
        let result = result.unwrap_or_else(|| Err(io::Error::from_raw_os_error(libc::ECANCELED)));
        (result, buf)
    }

    pub(crate) fn recv_stream(&self, ring: &BufRing) -> io::Result<RecvStream> {
        if !in_runtime() {
            return Err(no_runtime());
        }
        ring.check_current()?;
        Ok(RecvStream::new(self.fd.clone(), ring.clone()))
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        SockRef::from(&self.fd).shutdown(how)
    }

    /// Shuts down the write side as `AsyncWrite::poll_shutdown` does in tokio: a connection
    /// that is already gone (`ENOTCONN`: reset by the peer, or closed on both sides) has
    /// nothing left to shut down, so that is `Ok`.
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        match self.shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            res => res,
        }
    }

    /// The pending socket error (`SO_ERROR`), cleared by reading it.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(&self.fd).take_error()
    }

    /// The stream's fd for a std socket, in nonblocking mode as tokio's `into_std` gives it.
    pub(crate) fn into_std<T: From<OwnedFd>>(self) -> io::Result<T> {
        super::fd_traits::into_std_socket(self.fd)
    }
}
