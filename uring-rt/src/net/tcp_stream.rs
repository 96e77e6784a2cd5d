//! [`TcpStream`]: a TCP connection.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use socket2::{SockAddr, SockRef, Type};

use super::addr::{resolve, ToSocketAddrs};
use super::socket::connect;
use super::split::{OwnedReadHalf, OwnedWriteHalf};
use super::stream::StreamCore;
use super::tcp_listener::inet;
use super::BufRing;
use super::RecvStream;
use crate::buf::{BufResult, IoBuf, IoBufMut};

/// A TCP connection.
///
/// Reads and writes take buffers by value and give them back ([`BufResult`]). One SQE per
/// call: `read` is `IORING_OP_RECV`, `write` is `IORING_OP_SEND` with `MSG_NOSIGNAL` (a
/// closed peer is `BrokenPipe`, never `SIGPIPE`).
///
/// `Send` and `Sync`: the fd is shared (an `Arc`) with the operations in flight on it and
/// closed (asynchronously, through the ring) only after the last of them completed.
///
/// **No byte is lost to cancellation.** If a `read` future (or `readv`, or a
/// [`RecvStream`]) is dropped after the kernel already received data into its buffer, the
/// stream keeps those bytes and the next read returns them first. Reads run one at a time
/// (a second concurrent read waits for the first) so bytes always come out in order. Your
/// buffer is never written after its future was dropped: it is kept alive and freed by the
/// runtime once the kernel is done with it.
///
/// # Examples
///
/// ```
/// use uring_rt::net::{TcpListener, TcpStream};
/// uring_rt::start(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let (server, _) = listener.accept().await.unwrap();
///     let (res, _) = client.write_all(b"hello".to_vec()).await;
///     res.unwrap();
///     let (res, buf) = server.read(Vec::with_capacity(16)).await;
///     assert_eq!(res.unwrap(), 5);
///     assert_eq!(buf, b"hello");
/// });
/// ```
pub struct TcpStream {
    core: StreamCore,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.core.fd)
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

impl TcpStream {
    pub(crate) fn from_core(core: StreamCore) -> TcpStream {
        TcpStream { core }
    }

    /// Connects to `addr`: the socket is made with `IORING_OP_SOCKET` (where the kernel has
    /// it) and connected with `IORING_OP_CONNECT`. A name (`("localhost", 80)`) is resolved
    /// on the blocking pool; each address is tried in turn.
    ///
    /// # Errors
    ///
    /// The last address's error: `ConnectionRefused` (nobody listens), `TimedOut`,
    /// `HostUnreachable`, ...; a resolution error; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let port = listener.local_addr().unwrap().port();
    ///     let stream = TcpStream::connect(("localhost", port)).await.unwrap();
    ///     assert_eq!(stream.peer_addr().unwrap().port(), port);
    /// });
    /// ```
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let addrs = resolve(&addr).await?;
        let mut last = None;
        for a in addrs {
            match connect(&SockAddr::from(a), Type::STREAM).await {
                Ok(fd) => return Ok(TcpStream::from_core(StreamCore::new(fd))),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
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
    /// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    /// let s = uring_rt::net::TcpStream::from_std(s).unwrap();
    /// assert_eq!(s.peer_addr().unwrap(), l.local_addr().unwrap());
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream::from_core(StreamCore::new(stream.into())))
    }

    /// Reads into `buf`'s free room (`bytes_total()`), returning how many bytes arrived;
    /// 0 means the peer closed its side. Bytes kept from a dropped read come first. A buffer
    /// with no room (`bytes_total() == 0`) returns 0 at once without waiting for data.
    ///
    /// # Errors
    ///
    /// `ConnectionReset` when the peer reset the connection; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    #[must_use = "the buffer comes back with the result"]
    pub fn read<B: IoBufMut>(&self, buf: B) -> impl Future<Output = BufResult<usize, B>> + '_ {
        self.core.read(buf)
    }

    /// Copies received bytes into `buf`'s free room without consuming them (`MSG_PEEK`): the
    /// next `read` returns the same bytes. Waits until at least one byte arrived; 0 means the
    /// peer closed its side.
    ///
    /// # Errors
    ///
    /// As [`read`](TcpStream::read); a pending socket error (`ConnectionReset`) is reported
    /// by a peek too, and then not again, as the kernel does.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    ///
    /// uring_rt::start(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (server, _) = listener.accept().await.unwrap();
    ///     client.write_all(b"hello").await.0.unwrap();
    ///
    ///     let (n, peeked) = server.peek(Vec::with_capacity(16)).await;
    ///     assert_eq!(&peeked[..n.unwrap()], b"hello");
    ///     let (n, read) = server.read(Vec::with_capacity(16)).await;
    ///     assert_eq!(&read[..n.unwrap()], b"hello");
    /// });
    /// ```
    #[must_use = "the buffer comes back with the result"]
    pub async fn peek<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        self.core.peek(buf).await
    }

    /// Reads into several buffers in order (`IORING_OP_RECVMSG`); the total count.
    ///
    /// # Errors
    ///
    /// As [`read`](TcpStream::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (s, _) = l.accept().await.unwrap();
    ///     c.write_all(b"abcdef".to_vec()).await.0.unwrap();
    ///     let bufs = vec![Vec::with_capacity(2), Vec::with_capacity(8)];
    ///     let (res, bufs) = s.readv(bufs).await;
    ///     assert_eq!(res.unwrap(), 6);
    ///     assert_eq!(bufs[0], b"ab");
    ///     assert_eq!(bufs[1], b"cdef");
    /// });
    /// ```
    #[must_use = "the buffers come back with the result"]
    pub async fn readv<B: IoBufMut>(&self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.core.readv(bufs).await
    }

    /// Writes some of `buf`'s initialized bytes, returning how many were sent.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` when the peer closed, `ConnectionReset` when it reset; `Other` outside
    /// a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (res, _) = c.write(b"hi".to_vec()).await;
    ///     assert_eq!(res.unwrap(), 2);
    /// });
    /// ```
    #[must_use = "the buffer comes back with the result"]
    pub fn write<B: IoBuf>(&self, buf: B) -> impl Future<Output = BufResult<usize, B>> + '_ {
        self.core.write(buf)
    }

    /// Writes all of `buf`'s initialized bytes, in as many sends as it takes.
    ///
    /// # Errors
    ///
    /// As [`write`](TcpStream::write); `WriteZero` if the kernel accepted nothing.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    #[must_use = "the buffer comes back with the result"]
    pub fn write_all<B: IoBuf>(&self, buf: B) -> impl Future<Output = BufResult<(), B>> + '_ {
        self.core.write_all(buf)
    }

    /// Writes several buffers in order in one send (`IORING_OP_SENDMSG`, `MSG_NOSIGNAL`).
    ///
    /// # Errors
    ///
    /// As [`write`](TcpStream::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (res, _) = c.writev(vec![b"ab".to_vec(), b"cd".to_vec()]).await;
    ///     assert_eq!(res.unwrap(), 4);
    /// });
    /// ```
    #[must_use = "the buffers come back with the result"]
    pub async fn writev<B: IoBuf>(&self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.core.writev(bufs).await
    }

    /// Sends `buf` without copying it (`IORING_OP_SEND_ZC`, kernel 6.0+). The buffer comes
    /// back only after the kernel's notification that it no longer reads it, so reusing it
    /// is safe. Worth it for large buffers; small ones are cheaper to copy with `write`.
    ///
    /// # Errors
    ///
    /// As [`write`](TcpStream::write); `Unsupported` on kernels without `SEND_ZC`.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (res, buf) = c.send_zc(vec![7u8; 4096]).await;
    ///     if let Ok(n) = res {
    ///         assert!(n > 0);
    ///     }
    ///     assert_eq!(buf.len(), 4096); // ours again
    /// });
    /// ```
    #[must_use = "the buffer comes back with the result"]
    pub async fn send_zc<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        self.core.send_zc(buf).await
    }

    /// The incoming bytes as buffers of `ring`, from one multishot receive. See
    /// [`RecvStream`].
    ///
    /// # Errors
    ///
    /// `Other` outside a runtime; `InvalidInput` when `ring` was made under another runtime.
    ///
    /// # Examples
    ///
    /// See [`RecvStream`].
    pub fn recv_stream(&self, ring: &BufRing) -> io::Result<RecvStream> {
        self.core.recv_stream(ring)
    }

    /// Shuts down the read, write or both sides (`shutdown(2)`).
    ///
    /// # Errors
    ///
    /// `NotConnected` when the connection is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (s, _) = l.accept().await.unwrap();
    ///     c.shutdown(std::net::Shutdown::Write).unwrap();
    ///     let (res, _) = s.read(Vec::with_capacity(8)).await;
    ///     assert_eq!(res.unwrap(), 0); // end of stream
    /// });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.core.shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     c.set_nodelay(true).unwrap();
    ///     assert!(c.nodelay().unwrap());
    /// });
    /// ```
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        SockRef::from(&self.core.fd).set_nodelay(on)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_nodelay`](TcpStream::set_nodelay).
    pub fn nodelay(&self) -> io::Result<bool> {
        SockRef::from(&self.core.fd).nodelay()
    }

    /// Sets `SO_LINGER`: how long dropping the stream may wait for unsent bytes
    /// (`None`: the kernel sends them in the background). The close is an `IORING_OP_CLOSE`
    /// queued with the ring's next submission; with a non-zero linger the kernel may still
    /// wait for unsent bytes on the ring's thread when it runs the close (not measured here).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     assert_eq!(c.linger().unwrap(), None);
    ///     c.set_linger(Some(Duration::from_secs(1))).unwrap();
    ///     assert_eq!(c.linger().unwrap(), Some(Duration::from_secs(1)));
    /// });
    /// ```
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        SockRef::from(&self.core.fd).set_linger(dur)
    }

    /// Sets `SO_LINGER` to zero: dropping the stream resets the connection (`RST`) instead
    /// of closing it, as tokio's `set_zero_linger`.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     c.set_zero_linger().unwrap();
    ///     assert_eq!(c.linger().unwrap(), Some(Duration::ZERO));
    /// });
    /// ```
    pub fn set_zero_linger(&self) -> io::Result<()> {
        self.set_linger(Some(Duration::ZERO))
    }

    /// The `SO_LINGER` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_linger`](TcpStream::set_linger).
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        SockRef::from(&self.core.fd).linger()
    }

    /// Sets `IP_TTL`: the time to live of sent packets.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt` (`InvalidInput` for a value over 255).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     c.set_ttl(42).unwrap();
    ///     assert_eq!(c.ttl().unwrap(), 42);
    /// });
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        SockRef::from(&self.core.fd).set_ttl(ttl)
    }

    /// The `IP_TTL` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_ttl`](TcpStream::set_ttl).
    pub fn ttl(&self) -> io::Result<u32> {
        SockRef::from(&self.core.fd).ttl()
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
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     assert!(c.take_error().unwrap().is_none());
    /// });
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
    /// The error of `fcntl` (making the socket nonblocking, or duplicating an fd that an
    /// operation whose future was dropped still uses).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (s, _) = l.accept().await.unwrap();
    ///     let mut s = s.into_std().unwrap();
    ///     s.set_nonblocking(false).unwrap();
    ///     c.write_all(b"std").await.0.unwrap();
    ///     let mut buf = [0; 3];
    ///     s.read_exact(&mut buf).unwrap();
    ///     assert_eq!(&buf, b"std");
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.core.into_std()
    }

    /// Shuts down the write side as tokio's `AsyncWriteExt::shutdown` does (a connection
    /// already gone is `Ok`).
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        self.core.shutdown_write()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` when the connection is gone.
    ///
    /// # Examples
    ///
    /// See [`connect`](TcpStream::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        inet(SockRef::from(&self.core.fd).peer_addr()?)
    }

    /// This end's address.
    ///
    /// # Errors
    ///
    /// The error of `getsockname`.
    ///
    /// # Examples
    ///
    /// See [`TcpListener`](super::TcpListener).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        inet(SockRef::from(&self.core.fd).local_addr()?)
    }

    /// Splits into a read half and a write half that can be moved to two tasks (or threads)
    /// and used at the same time. The fd is closed when both halves (and every operation in
    /// flight) are gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (s, _) = l.accept().await.unwrap();
    ///     let (rd, wr) = s.into_split();
    ///     let echo = uring_rt::spawn(async move {
    ///         let (res, buf) = rd.read(Vec::with_capacity(8)).await;
    ///         res.unwrap();
    ///         wr.write_all(buf).await.0.unwrap();
    ///     });
    ///     c.write_all(b"ping".to_vec()).await.0.unwrap();
    ///     let (res, buf) = c.read(Vec::with_capacity(8)).await;
    ///     assert_eq!(res.unwrap(), 4);
    ///     assert_eq!(buf, b"ping");
    ///     echo.await.unwrap();
    /// });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split::split(self.core, super::split::Kind::Tcp)
    }
}

super::fd_traits::fd_traits!(TcpStream, core.fd, |fd| TcpStream::from_core(
    StreamCore::new(fd)
));
