//! [`OwnedReadHalf`] and [`OwnedWriteHalf`]: a stream split for two tasks, and
//! [`reunite`](OwnedReadHalf::reunite) to make the stream again.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::io;

use super::stream::StreamCore;
use super::BufRing;
use super::RecvStream;
use super::{TcpStream, UnixStream};
use crate::buf::{BufResult, IoBuf, IoBufMut};

/// Which stream type a pair of halves was split from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Tcp,
    Unix,
}

pub(crate) fn split(core: StreamCore, kind: Kind) -> (OwnedReadHalf, OwnedWriteHalf) {
    (
        OwnedReadHalf {
            core: core.clone(),
            kind,
        },
        OwnedWriteHalf {
            core,
            kind,
            shut_on_drop: true,
        },
    )
}

/// A stream type that [`OwnedReadHalf::reunite`] can make of its halves:
/// [`TcpStream`] and [`UnixStream`]. Sealed.
pub trait Reunite: sealed::Sealed + Sized {}

#[allow(unreachable_pub)] // sealed: reachable only inside the crate
mod sealed {
    use super::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};

    pub trait Sealed: Sized {
        fn reunite_from(rd: OwnedReadHalf, wr: OwnedWriteHalf) -> Result<Self, ReuniteError>;
    }
}

impl Reunite for TcpStream {}
impl sealed::Sealed for TcpStream {
    fn reunite_from(rd: OwnedReadHalf, wr: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        rd.join(wr, Kind::Tcp).map(TcpStream::from_core)
    }
}

impl Reunite for UnixStream {}
impl sealed::Sealed for UnixStream {
    fn reunite_from(rd: OwnedReadHalf, wr: OwnedWriteHalf) -> Result<UnixStream, ReuniteError> {
        rd.join(wr, Kind::Unix).map(UnixStream::from_core)
    }
}

/// The halves given to [`OwnedReadHalf::reunite`] when they are not the two halves of one
/// stream of the asked type; they come back unchanged. As tokio's `ReuniteError`.
///
/// # Examples
///
/// ```
/// use uring_rt::net::{UnixStream, ReuniteError};
/// let (a, b) = UnixStream::pair().unwrap();
/// let (a_rd, _a_wr) = a.into_split();
/// let (_b_rd, b_wr) = b.into_split();
/// let ReuniteError(_rd, _wr) = a_rd.reunite::<UnixStream>(b_wr).unwrap_err();
/// ```
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl Error for ReuniteError {}

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
    kind: Kind,
}

impl OwnedReadHalf {
    /// Puts the halves of one stream back together, as tokio's `reunite`. The stream type
    /// is named by the caller: `let s: TcpStream = rd.reunite(wr)?` (the halves are the same
    /// types for TCP and Unix streams).
    ///
    /// # Errors
    ///
    /// [`ReuniteError`], with both halves, when `other` is the write half of another stream
    /// or the halves are of another stream type than `S`.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     let (rd, wr) = a.into_split();
    ///     let a: UnixStream = rd.reunite(wr).unwrap();
    ///     a.write_all(b"whole".to_vec()).await.0.unwrap();
    ///     assert_eq!(b.read(Vec::with_capacity(8)).await.1, b"whole");
    /// });
    /// ```
    pub fn reunite<S: Reunite>(self, other: OwnedWriteHalf) -> Result<S, ReuniteError> {
        S::reunite_from(self, other)
    }

    /// The stream of both halves, when they are the halves of one stream of kind `kind`.
    fn join(self, mut other: OwnedWriteHalf, kind: Kind) -> Result<StreamCore, ReuniteError> {
        // Two live streams never share an fd number, so equal numbers mean one stream.
        let same = self.core.fd.raw() == other.core.fd.raw();
        if !same || self.kind != kind || other.kind != kind {
            return Err(ReuniteError(self, other));
        }
        // The stream lives on: dropping the write half must not shut it down.
        other.shut_on_drop = false;
        drop(other);
        Ok(self.core)
    }

    /// As [`TcpStream::peek`](super::TcpStream::peek): copies received bytes without
    /// consuming them; the next `read` or `peek` sees them again.
    ///
    /// # Errors
    ///
    /// As [`TcpStream::peek`](super::TcpStream::peek).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     let (rd, _wr) = b.into_split();
    ///     a.write_all(b"look".to_vec()).await.0.unwrap();
    ///     let (n, buf) = rd.peek(Vec::with_capacity(8)).await;
    ///     assert_eq!(&buf[..n.unwrap()], b"look");
    ///     assert_eq!(rd.read(Vec::with_capacity(8)).await.1, b"look");
    /// });
    /// ```
    #[must_use = "the buffer comes back with the result"]
    pub async fn peek<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        self.core.peek(buf).await
    }

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
    pub fn read<B: IoBufMut>(&self, buf: B) -> impl Future<Output = BufResult<usize, B>> + '_ {
        self.core.read(buf)
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
    kind: Kind,
    /// Cleared by `reunite`, whose stream lives on.
    shut_on_drop: bool,
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
    pub fn write<B: IoBuf>(&self, buf: B) -> impl Future<Output = BufResult<usize, B>> + '_ {
        self.core.write(buf)
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
    pub fn write_all<B: IoBuf>(&self, buf: B) -> impl Future<Output = BufResult<(), B>> + '_ {
        self.core.write_all(buf)
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

    /// Shuts down the write side: the peer reads end of stream. As tokio's
    /// `AsyncWriteExt::shutdown`, a connection already gone (reset by the peer) is `Ok`:
    /// there is nothing left to shut down.
    ///
    /// # Errors
    ///
    /// The error of `shutdown(2)` other than `ENOTCONN`.
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
        self.core.shutdown_write()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        // End of stream for the peer. Writes borrow the half, so every awaited one is done;
        // a write whose future was dropped carries no promise, as its future did not. An
        // error (the connection is gone, already shut down) changes nothing.
        if self.shut_on_drop {
            let _ = self.core.shutdown_write();
        }
    }
}
