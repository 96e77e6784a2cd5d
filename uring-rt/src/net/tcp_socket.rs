//! [`TcpSocket`]: a TCP socket set up before it becomes a stream or a listener.

use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, Type};

use super::socket::connect_socket;
use super::stream::StreamCore;
use super::tcp_listener::inet;
use super::{TcpListener, TcpStream};

/// A TCP socket not yet connected or listening, as tokio's `TcpSocket`: set options, bind
/// (before connecting, too), then [`connect`](TcpSocket::connect) for a [`TcpStream`] or
/// [`listen`](TcpSocket::listen) for a [`TcpListener`].
///
/// Unlike [`TcpListener::bind`], nothing is set by default (no `SO_REUSEADDR`).
///
/// # Examples
///
/// ```
/// use uring_rt::net::TcpSocket;
/// uring_rt::start(async {
///     let srv = TcpSocket::new_v4().unwrap();
///     srv.set_reuseaddr(true).unwrap();
///     srv.bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let listener = srv.listen(128).unwrap();
///
///     let cli = TcpSocket::new_v4().unwrap();
///     cli.set_nodelay(true).unwrap();
///     let stream = cli.connect(listener.local_addr().unwrap()).await.unwrap();
///     let (_, peer) = listener.accept().await.unwrap();
///     assert_eq!(peer, stream.local_addr().unwrap());
///     assert!(stream.nodelay().unwrap());
/// });
/// ```
#[derive(Debug)]
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (close-on-exec).
    ///
    /// # Errors
    ///
    /// The error of `socket(2)` (`EMFILE`, ...).
    ///
    /// # Examples
    ///
    /// See [`TcpSocket`].
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// A new IPv6 TCP socket (close-on-exec).
    ///
    /// # Errors
    ///
    /// The error of `socket(2)` (`EAFNOSUPPORT` without IPv6).
    ///
    /// # Examples
    ///
    /// ```
    /// // The machine may have no IPv6 loopback; when it has, the socket binds to it.
    /// if let Ok(s) = uring_rt::net::TcpSocket::new_v6() {
    ///     if s.bind("[::1]:0".parse().unwrap()).is_ok() {
    ///         assert!(s.local_addr().unwrap().is_ipv6());
    ///     }
    /// }
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            inner: Socket::new(domain, Type::STREAM, None)?,
        })
    }

    /// Binds to `addr` (port 0: the kernel picks one).
    ///
    /// # Errors
    ///
    /// The error of `bind(2)` (`AddrInUse`, `AddrNotAvailable`, `InvalidInput` for an address
    /// of the other family).
    ///
    /// # Examples
    ///
    /// See [`TcpSocket`].
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&SockAddr::from(addr))
    }

    /// Connects to `addr` through the ring (`IORING_OP_CONNECT`), turning the socket into a
    /// stream. On failure the socket is closed.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused`, `TimedOut`, ...; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`TcpSocket`].
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let fd = connect_socket(self.inner.into(), &SockAddr::from(addr)).await?;
        Ok(TcpStream::from_core(StreamCore::new(fd)))
    }

    /// Listens with a backlog of `backlog` (capped by `net.core.somaxconn`), turning the
    /// socket into a listener. An unbound socket listens on a port the kernel picks.
    ///
    /// # Errors
    ///
    /// The error of `listen(2)`.
    ///
    /// # Examples
    ///
    /// See [`TcpSocket`].
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.inner.listen(backlog.min(i32::MAX as u32) as i32)?;
        TcpListener::from_std(OwnedFd::from(self.inner).into())
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    ///
    /// The error of `getsockname`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// assert!(s.local_addr().unwrap().port() > 0);
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        inet(self.inner.local_addr()?)
    }

    /// Takes the pending socket error (`SO_ERROR`): `None` when there is none.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// assert!(s.take_error().unwrap().is_none());
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Sets `SO_KEEPALIVE`.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// s.set_keepalive(true).unwrap();
    /// assert!(s.keepalive().unwrap());
    /// ```
    pub fn set_keepalive(&self, on: bool) -> io::Result<()> {
        self.inner.set_keepalive(on)
    }

    /// Whether `SO_KEEPALIVE` is set.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_keepalive`](TcpSocket::set_keepalive).
    pub fn keepalive(&self) -> io::Result<bool> {
        self.inner.keepalive()
    }

    /// Sets `SO_REUSEADDR`: bind a port whose old connections linger in `TIME_WAIT`.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// See [`TcpSocket`].
    pub fn set_reuseaddr(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_address(on)
    }

    /// Whether `SO_REUSEADDR` is set.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// assert!(!s.reuseaddr().unwrap());
    /// ```
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Sets `SO_REUSEPORT`: several sockets may bind the same port (one listener per core).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// s.set_reuseport(true).unwrap();
    /// assert!(s.reuseport().unwrap());
    /// ```
    pub fn set_reuseport(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_port(on)
    }

    /// Whether `SO_REUSEPORT` is set.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_reuseport`](TcpSocket::set_reuseport).
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Sets `SO_SNDBUF` (Linux doubles the value for its bookkeeping and reports that).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// s.set_send_buffer_size(4096).unwrap();
    /// assert_eq!(s.send_buffer_size().unwrap(), 8192);
    /// ```
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(size as usize)
    }

    /// The `SO_SNDBUF` size.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_send_buffer_size`](TcpSocket::set_send_buffer_size).
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner.send_buffer_size().map(clamp_u32)
    }

    /// Sets `SO_RCVBUF` (Linux doubles the value for its bookkeeping and reports that).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// s.set_recv_buffer_size(4096).unwrap();
    /// assert_eq!(s.recv_buffer_size().unwrap(), 8192);
    /// ```
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(size as usize)
    }

    /// The `SO_RCVBUF` size.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_recv_buffer_size`](TcpSocket::set_recv_buffer_size).
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner.recv_buffer_size().map(clamp_u32)
    }

    /// Sets `SO_LINGER` (see [`TcpStream::set_linger`]).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// assert_eq!(s.linger().unwrap(), None);
    /// s.set_linger(Some(Duration::from_secs(10))).unwrap();
    /// assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(10)));
    /// s.set_zero_linger().unwrap();
    /// assert_eq!(s.linger().unwrap(), Some(Duration::ZERO));
    /// ```
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(dur)
    }

    /// Sets `SO_LINGER` to zero: closing resets the connection.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_linger`](TcpSocket::set_linger).
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
    /// See [`set_linger`](TcpSocket::set_linger).
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// See [`TcpSocket`].
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.inner.set_nodelay(on)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// assert!(!s.nodelay().unwrap());
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Sets the IPv4 type-of-service byte (`IP_TOS`).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt` (an IPv6 socket has none).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::TcpSocket::new_v4().unwrap();
    /// s.set_tos_v4(96).unwrap();
    /// assert_eq!(s.tos_v4().unwrap(), 96);
    /// ```
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        self.inner.set_tos(tos)
    }

    /// The `IP_TOS` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_tos_v4`](TcpSocket::set_tos_v4).
    pub fn tos_v4(&self) -> io::Result<u32> {
        self.inner.tos()
    }

    /// Sets the IPv6 traffic class (`IPV6_TCLASS`).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt` (an IPv4 socket has none).
    ///
    /// # Examples
    ///
    /// ```
    /// if let Ok(s) = uring_rt::net::TcpSocket::new_v6() {
    ///     s.set_tclass_v6(96).unwrap();
    ///     assert_eq!(s.tclass_v6().unwrap(), 96);
    /// }
    /// ```
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        self.inner.set_tclass_v6(tclass)
    }

    /// The `IPV6_TCLASS` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_tclass_v6`](TcpSocket::set_tclass_v6).
    pub fn tclass_v6(&self) -> io::Result<u32> {
        self.inner.tclass_v6()
    }

    /// A socket of a std stream (to set options on it, then [`listen`](TcpSocket::listen)
    /// or [`connect`](TcpSocket::connect) it), as tokio's `from_std_stream`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    /// let sock = uring_rt::net::TcpSocket::from_std_stream(s);
    /// assert!(sock.local_addr().is_ok());
    /// ```
    pub fn from_std_stream(stream: std::net::TcpStream) -> TcpSocket {
        TcpSocket {
            inner: Socket::from(stream),
        }
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl std::os::fd::AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.as_raw_fd()
    }
}

impl std::os::fd::AsFd for TcpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl std::os::fd::IntoRawFd for TcpSocket {
    fn into_raw_fd(self) -> std::os::fd::RawFd {
        self.inner.into_raw_fd()
    }
}

/// Takes ownership of `fd`, which must be an open TCP socket.
impl std::os::fd::FromRawFd for TcpSocket {
    #[allow(unsafe_code)]
    unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> TcpSocket {
        TcpSocket {
            // SAFETY: the caller hands over an open fd it owns (FromRawFd's contract).
            inner: unsafe { Socket::from_raw_fd(fd) },
        }
    }
}
