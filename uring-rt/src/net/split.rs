//! [`OwnedReadHalf`] and [`OwnedWriteHalf`]: a stream split for two tasks.

use std::io;
use std::net::Shutdown;

use super::stream::StreamCore;
use super::BufRing;
use super::RecvStream;
use crate::buf::{BufResult, IoBuf, IoBufMut};

pub(crate) fn split(core: StreamCore) -> (OwnedReadHalf, OwnedWriteHalf) {
    (
        OwnedReadHalf { core: core.clone() },
        OwnedWriteHalf { core },
    )
}

/// The read half of a [`TcpStream`](super::TcpStream) or [`UnixStream`](super::UnixStream),
/// made by `into_split`. `Send`; keeps the stream's no-lost-bytes guarantee.
///
/// # Examples
///
/// ```
/// use uring_rt::net::UnixStream;
/// uring_rt::start(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     let (rd, _wr) = b.into_split();
///     a.write_all(b"x".to_vec()).await.0.unwrap();
///     let (res, buf) = rd.read(Vec::with_capacity(4)).await;
///     assert_eq!(res.unwrap(), 1);
///     assert_eq!(buf, b"x");
/// });
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf {
    core: StreamCore,
}

impl OwnedReadHalf {
    /// As [`TcpStream::read`](super::TcpStream::read).
    ///
    /// # Errors
    ///
    /// As [`TcpStream::read`](super::TcpStream::read).
    ///
    /// # Examples
    ///
    /// See [`OwnedReadHalf`].
    #[must_use = "the buffer comes back with the result"]
    pub async fn read<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        self.core.read(buf).await
    }

    /// As [`TcpStream::readv`](super::TcpStream::readv).
    ///
    /// # Errors
    ///
    /// As [`TcpStream::read`](super::TcpStream::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     let (rd, _wr) = b.into_split();
    ///     a.write_all(b"xyz".to_vec()).await.0.unwrap();
    ///     let (res, bufs) = rd.readv(vec![Vec::with_capacity(1), Vec::with_capacity(4)]).await;
    ///     assert_eq!(res.unwrap(), 3);
    ///     assert_eq!(bufs[1], b"yz");
    /// });
    /// ```
    #[must_use = "the buffers come back with the result"]
    pub async fn readv<B: IoBufMut>(&self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.core.readv(bufs).await
    }

    /// As [`TcpStream::recv_stream`](super::TcpStream::recv_stream).
    ///
    /// # Errors
    ///
    /// `Other` outside a runtime; `InvalidInput` when `ring` was made under another runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{BufRing, UnixStream};
    /// uring_rt::start(async {
    ///     let ring = BufRing::new(4, 256).unwrap();
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     let (rd, _wr) = b.into_split();
    ///     a.write_all(b"hey".to_vec()).await.0.unwrap();
    ///     let buf = rd.recv_stream(&ring).unwrap().next().await.unwrap().unwrap();
    ///     assert_eq!(&buf[..], b"hey");
    /// });
    /// ```
    pub fn recv_stream(&self, ring: &BufRing) -> io::Result<RecvStream> {
        self.core.recv_stream(ring)
    }
}

/// The write half of a [`TcpStream`](super::TcpStream) or
/// [`UnixStream`](super::UnixStream), made by `into_split`. `Send`.
///
/// Dropping it shuts down the write side, as tokio's `OwnedWriteHalf` does: the peer reads
/// end of stream once the bytes already written arrived, while the read half keeps
/// receiving. (The socket itself closes when both halves are gone.)
///
/// # Examples
///
/// ```
/// use uring_rt::net::UnixStream;
/// uring_rt::start(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     let (_rd, wr) = a.into_split();
///     wr.write_all(b"hi".to_vec()).await.0.unwrap();
///     let (res, buf) = b.read(Vec::with_capacity(4)).await;
///     assert_eq!(res.unwrap(), 2);
///     assert_eq!(buf, b"hi");
///     drop(wr); // end of stream for the peer
///     assert_eq!(b.read(Vec::with_capacity(4)).await.0.unwrap(), 0);
/// });
/// ```
#[derive(Debug)]
pub struct OwnedWriteHalf {
    core: StreamCore,
}

impl OwnedWriteHalf {
    /// As [`TcpStream::write`](super::TcpStream::write).
    ///
    /// # Errors
    ///
    /// As [`TcpStream::write`](super::TcpStream::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, _b) = UnixStream::pair().unwrap();
    ///     let (_rd, wr) = a.into_split();
    ///     assert_eq!(wr.write(b"abc".to_vec()).await.0.unwrap(), 3);
    /// });
    /// ```
    #[must_use = "the buffer comes back with the result"]
    pub async fn write<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        self.core.write(buf).await
    }

    /// As [`TcpStream::write_all`](super::TcpStream::write_all).
    ///
    /// # Errors
    ///
    /// As [`TcpStream::write_all`](super::TcpStream::write_all).
    ///
    /// # Examples
    ///
    /// See [`OwnedWriteHalf`].
    #[must_use = "the buffer comes back with the result"]
    pub async fn write_all<B: IoBuf>(&self, buf: B) -> BufResult<(), B> {
        self.core.write_all(buf).await
    }

    /// As [`TcpStream::writev`](super::TcpStream::writev).
    ///
    /// # Errors
    ///
    /// As [`TcpStream::write`](super::TcpStream::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, _b) = UnixStream::pair().unwrap();
    ///     let (_rd, wr) = a.into_split();
    ///     assert_eq!(wr.writev(vec![b"a".to_vec(), b"b".to_vec()]).await.0.unwrap(), 2);
    /// });
    /// ```
    #[must_use = "the buffers come back with the result"]
    pub async fn writev<B: IoBuf>(&self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.core.writev(bufs).await
    }

    /// As [`TcpStream::send_zc`](super::TcpStream::send_zc).
    ///
    /// # Errors
    ///
    /// As [`TcpStream::send_zc`](super::TcpStream::send_zc).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, _b) = UnixStream::pair().unwrap();
    ///     let (_rd, wr) = a.into_split();
    ///     let (_res, buf) = wr.send_zc(vec![1u8; 64]).await;
    ///     assert_eq!(buf.len(), 64);
    /// });
    /// ```
    #[must_use = "the buffer comes back with the result"]
    pub async fn send_zc<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        self.core.send_zc(buf).await
    }

    /// Shuts down the write side: the peer reads end of stream.
    ///
    /// # Errors
    ///
    /// `NotConnected` when the connection is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     let (_rd, wr) = a.into_split();
    ///     wr.shutdown().unwrap();
    ///     assert_eq!(b.read(Vec::with_capacity(4)).await.0.unwrap(), 0);
    /// });
    /// ```
    pub fn shutdown(&self) -> io::Result<()> {
        self.core.shutdown(Shutdown::Write)
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        // End of stream for the peer. Writes borrow the half, so every awaited one is done;
        // a write whose future was dropped carries no promise, as its future did not. An
        // error (the connection is gone, already shut down) changes nothing.
        let _ = self.core.shutdown(Shutdown::Write);
    }
}
