//! [`UnixStream`]: a Unix-domain stream connection.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use socket2::{Domain, SockRef, Type};

use super::socket::connect;
use super::socket::unix_path_addr;
use super::split::{OwnedReadHalf, OwnedWriteHalf};
use super::stream::StreamCore;
use super::BufRing;
use super::RecvStream;
use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::op::{unix_addr, unix_sock};

/// A Unix-domain stream connection.
///
/// The same I/O as [`TcpStream`](super::TcpStream), with the same guarantee: bytes received
/// for a dropped read are kept for the next one.
///
/// # Examples
///
/// ```
/// use uring_rt::net::UnixStream;
/// uring_rt::start(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     a.write_all(b"ping".to_vec()).await.0.unwrap();
///     let (res, buf) = b.read(Vec::with_capacity(8)).await;
///     assert_eq!(res.unwrap(), 4);
///     assert_eq!(buf, b"ping");
/// });
/// ```
pub struct UnixStream {
    core: StreamCore,
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.core.fd)
            .finish()
    }
}

impl UnixStream {
    pub(crate) fn from_core(core: StreamCore) -> UnixStream {
        UnixStream { core }
    }

    /// Connects to the socket at `path` (`IORING_OP_SOCKET` + `IORING_OP_CONNECT`). As in
    /// tokio, a path that starts with a NUL byte (`"\0name"`) is an abstract name.
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing is at `path`, `ConnectionRefused` when nobody listens there;
    /// `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`UnixListener`](super::UnixListener).
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let addr = unix_path_addr(path.as_ref())?;
        Ok(UnixStream::from_core(StreamCore::new(
            connect(&addr, Type::STREAM).await?,
        )))
    }

    /// Connects to `addr`, which may be an abstract name.
    ///
    /// # Errors
    ///
    /// As [`connect`](UnixStream::connect).
    ///
    /// # Examples
    ///
    /// See [`UnixListener::bind_addr`](super::UnixListener::bind_addr).
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        let addr = unix_sock(addr)?;
        Ok(UnixStream::from_core(StreamCore::new(
            connect(&addr, Type::STREAM).await?,
        )))
    }

    /// A pair of connected streams (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// The error of `socketpair` (`EMFILE`, ...).
    ///
    /// # Examples
    ///
    /// See [`UnixStream`].
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = socket2::Socket::pair(Domain::UNIX, Type::STREAM, None)?;
        let wrap = |s: socket2::Socket| UnixStream::from_core(StreamCore::new(s.into()));
        Ok((wrap(a), wrap(b)))
    }

    /// Makes a stream of a connected std one.
    ///
    /// # Errors
    ///
    /// None today; kept fallible for parity with other runtimes.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let s = uring_rt::net::UnixStream::from_std(a).unwrap();
    /// assert!(s.peer_addr().is_ok());
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream::from_core(StreamCore::new(stream.into())))
    }

    /// As [`TcpStream::read`](super::TcpStream::read).
    ///
    /// # Errors
    ///
    /// As [`TcpStream::read`](super::TcpStream::read).
    ///
    /// # Examples
    ///
    /// See [`UnixStream`].
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
    ///     a.write_all(b"abc".to_vec()).await.0.unwrap();
    ///     let (res, bufs) = b.readv(vec![Vec::with_capacity(1), Vec::with_capacity(4)]).await;
    ///     assert_eq!(res.unwrap(), 3);
    ///     assert_eq!((&bufs[0][..], &bufs[1][..]), (&b"a"[..], &b"bc"[..]));
    /// });
    /// ```
    #[must_use = "the buffers come back with the result"]
    pub async fn readv<B: IoBufMut>(&self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.core.readv(bufs).await
    }

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
    ///     assert_eq!(a.write(b"abc".to_vec()).await.0.unwrap(), 3);
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
    /// See [`UnixStream`].
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
    ///     assert_eq!(a.writev(vec![b"a".to_vec(), b"bc".to_vec()]).await.0.unwrap(), 3);
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
    ///     let (_res, buf) = a.send_zc(vec![0u8; 128]).await;
    ///     assert_eq!(buf.len(), 128);
    /// });
    /// ```
    #[must_use = "the buffer comes back with the result"]
    pub async fn send_zc<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        self.core.send_zc(buf).await
    }

    /// As [`TcpStream::recv_stream`](super::TcpStream::recv_stream).
    ///
    /// # Errors
    ///
    /// `Other` outside a runtime; `InvalidInput` when `ring` was made under another runtime.
    ///
    /// # Examples
    ///
    /// See [`RecvStream::poll_next`].
    pub fn recv_stream(&self, ring: &BufRing) -> io::Result<RecvStream> {
        self.core.recv_stream(ring)
    }

    /// Shuts down the read, write or both sides.
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
    ///     a.shutdown(std::net::Shutdown::Write).unwrap();
    ///     assert_eq!(b.read(Vec::with_capacity(4)).await.0.unwrap(), 0);
    /// });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.core.shutdown(how)
    }

    /// This end's address.
    ///
    /// # Errors
    ///
    /// The error of `getsockname`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = uring_rt::net::UnixStream::pair().unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        unix_addr(&SockRef::from(&self.core.fd).local_addr()?)
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` when the connection is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = uring_rt::net::UnixStream::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed());
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        unix_addr(&SockRef::from(&self.core.fd).peer_addr()?)
    }

    /// The credentials of the peer process (`SO_PEERCRED`), as tokio's `peer_cred`.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`UCred`](super::UCred).
    pub fn peer_cred(&self) -> io::Result<super::UCred> {
        super::ucred::peer_cred(std::os::fd::AsFd::as_fd(&self.core.fd))
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it: `None` when there is none.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = uring_rt::net::UnixStream::pair().unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.core.take_error()
    }

    /// Turns the stream into a std one, in nonblocking mode as tokio's `into_std` does
    /// (call `set_nonblocking(false)` for blocking I/O). Bytes a dropped read left with the
    /// stream are not carried over.
    ///
    /// # Errors
    ///
    /// The error of `fcntl`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = uring_rt::net::UnixStream::pair().unwrap();
    /// let a = a.into_std().unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.core.into_std()
    }

    /// Shuts down the write side as tokio's `AsyncWriteExt::shutdown` does (a connection
    /// already gone is `Ok`).
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        self.core.shutdown_write()
    }

    /// Splits into read and write halves usable from two tasks at once.
    ///
    /// # Examples
    ///
    /// See [`OwnedReadHalf`].
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split::split(self.core, super::split::Kind::Unix)
    }
}

super::fd_traits::fd_traits!(UnixStream, core.fd, |fd| UnixStream::from_core(
    StreamCore::new(fd)
));
