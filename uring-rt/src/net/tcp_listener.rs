//! [`TcpListener`] and its [`TcpListenerBuilder`].

use std::fmt;
use std::io;
use std::net::SocketAddr;

use socket2::{SockAddr, SockRef};

use super::addr::{first_ok, resolve_blocking, ToSocketAddrs};
use super::gate::{stream_fd, StreamFd};
use super::socket::{in_runtime, listen, no_runtime, ListenConfig};
use super::stream::StreamCore;
use super::{Incoming, TcpStream};
use crate::op::{self, Op};

/// A TCP socket listening for connections.
///
/// `Send` and `Sync`: it can move between threads, but each `accept` runs on the runtime
/// of the thread that awaits it. For one listener per core, see
/// [`bind_reuseport`](TcpListener::bind_reuseport).
///
/// **No connection is lost to cancellation.** If an `accept` future is dropped after the
/// kernel accepted a connection for it, the listener keeps that connection and the next
/// `accept` returns it. Accepts run one at a time (concurrent calls wait their turn) so that
/// a kept connection is never stuck behind an accept already in the kernel.
///
/// # Examples
///
/// ```
/// use uring_rt::net::{TcpListener, TcpStream};
/// uring_rt::start(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = TcpStream::connect(addr).await.unwrap();
///     let (server, peer) = listener.accept().await.unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
///     assert_eq!(server.local_addr().unwrap(), addr);
/// });
/// ```
pub struct TcpListener {
    fd: StreamFd,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.fd)
            .field("addr", &self.local_addr().ok())
            .finish()
    }
}

impl TcpListener {
    /// Binds to `addr` with `SO_REUSEADDR` and a backlog of 1024, and listens.
    ///
    /// A name (`("localhost", 0)`) is resolved on this thread; the first address that binds
    /// wins.
    ///
    /// # Errors
    ///
    /// The error of `socket`, `bind` or `listen` (`AddrInUse`, `PermissionDenied`, ...), or of
    /// name resolution.
    ///
    /// # Examples
    ///
    /// ```
    /// let listener = uring_rt::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// assert!(listener.local_addr().unwrap().port() > 0);
    /// ```
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        TcpListener::builder().bind(addr)
    }

    /// Binds with `SO_REUSEPORT` as well, so that several listeners (one per core, each on
    /// its own runtime) share the port and the kernel spreads connections among them.
    ///
    /// # Errors
    ///
    /// As [`bind`](TcpListener::bind).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::TcpListener;
    /// let a = TcpListener::bind_reuseport("127.0.0.1:0").unwrap();
    /// let b = TcpListener::bind_reuseport(a.local_addr().unwrap()).unwrap();
    /// assert_eq!(a.local_addr().unwrap(), b.local_addr().unwrap());
    /// ```
    pub fn bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        TcpListener::builder().reuse_port(true).bind(addr)
    }

    /// A builder for the socket options a listener is made with.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::TcpListener;
    /// let listener = TcpListener::builder()
    ///     .backlog(4096)
    ///     .reuse_port(true)
    ///     .only_v6(true)
    ///     .bind("[::1]:0");
    /// // The machine may have no IPv6 loopback; when it has, the listener is v6 only.
    /// if let Ok(l) = listener {
    ///     assert!(l.local_addr().unwrap().is_ipv6());
    /// }
    /// ```
    pub fn builder() -> TcpListenerBuilder {
        TcpListenerBuilder {
            config: ListenConfig::default(),
        }
    }

    /// Makes a listener of a std one (already bound and listening).
    ///
    /// # Errors
    ///
    /// None today; kept fallible for parity with other runtimes.
    ///
    /// # Examples
    ///
    /// ```
    /// let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = std.local_addr().unwrap();
    /// let listener = uring_rt::net::TcpListener::from_std(std).unwrap();
    /// assert_eq!(listener.local_addr().unwrap(), addr);
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            fd: stream_fd(listener.into()),
        })
    }

    /// Accepts a connection: the stream and the peer's address.
    ///
    /// Cancel-safe: a connection accepted for a dropped `accept` is returned by the next one.
    ///
    /// # Errors
    ///
    /// `EMFILE`/`ENFILE` (`raw_os_error`) when the process or system is out of fds: the
    /// connection stays in the kernel's backlog and the listener keeps working, so free fds
    /// and call again. `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`TcpListener`].
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        if !in_runtime() {
            return Err(no_runtime());
        }
        let permit = self.fd.input().await;
        if let Some(conn) = self.fd.take_conn() {
            let peer = SockRef::from(&conn)
                .peer_addr()
                .ok()
                .and_then(|a| a.as_socket())
                .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
            let stream = TcpStream::from_core(StreamCore::new(conn));
            return Ok((stream, peer));
        }
        let (fd, addr) = Op::new(op::Accept::new(permit)).await?;
        let stream = TcpStream::from_core(StreamCore::new(fd));
        Ok((stream, addr.as_inet()?))
    }

    /// The stream of accepted connections, from one multishot accept. See [`Incoming`].
    ///
    /// # Examples
    ///
    /// See [`Incoming`].
    pub fn incoming(&self) -> Incoming {
        Incoming::new(self.fd.clone())
    }

    /// Turns the listener into a std one, in nonblocking mode as tokio's `into_std` does.
    /// A connection accepted for a dropped `accept` and kept for the next one is closed.
    ///
    /// # Errors
    ///
    /// The error of `fcntl`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = uring_rt::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = l.local_addr().unwrap();
    /// assert_eq!(l.into_std().unwrap().local_addr().unwrap(), addr);
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        super::fd_traits::into_std_socket(self.fd)
    }

    /// The address this listener is bound to.
    ///
    /// # Errors
    ///
    /// The error of `getsockname`.
    ///
    /// # Examples
    ///
    /// ```
    /// let listener = uring_rt::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// assert!(listener.local_addr().unwrap().ip().is_loopback());
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        inet(SockRef::from(&self.fd).local_addr()?)
    }
}

/// An internet address of a `socket2` one.
pub(crate) fn inet(addr: SockAddr) -> io::Result<SocketAddr> {
    addr.as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an internet address"))
}

/// Options of a [`TcpListener`]: `SO_REUSEADDR` (on by default), `SO_REUSEPORT`,
/// `IPV6_V6ONLY`, the listen backlog.
///
/// # Examples
///
/// ```
/// let listener = uring_rt::net::TcpListener::builder()
///     .backlog(128)
///     .bind("127.0.0.1:0")
///     .unwrap();
/// assert!(listener.local_addr().is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct TcpListenerBuilder {
    config: ListenConfig,
}

impl TcpListenerBuilder {
    /// `SO_REUSEADDR` (default `true`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = uring_rt::net::TcpListener::builder().reuse_addr(false);
    /// assert!(b.bind("127.0.0.1:0").is_ok());
    /// ```
    pub fn reuse_addr(mut self, on: bool) -> TcpListenerBuilder {
        self.config.reuse_addr = on;
        self
    }

    /// `SO_REUSEPORT` (default `false`): several listeners may bind the same port.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = uring_rt::net::TcpListener::builder().reuse_port(true);
    /// let l1 = b.clone().bind("127.0.0.1:0").unwrap();
    /// assert!(b.bind(l1.local_addr().unwrap()).is_ok());
    /// ```
    pub fn reuse_port(mut self, on: bool) -> TcpListenerBuilder {
        self.config.reuse_port = on;
        self
    }

    /// `IPV6_V6ONLY` for IPv6 addresses (default: the system's setting).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = uring_rt::net::TcpListener::builder().only_v6(false);
    /// assert!(b.bind("127.0.0.1:0").is_ok()); // ignored for IPv4
    /// ```
    pub fn only_v6(mut self, on: bool) -> TcpListenerBuilder {
        self.config.only_v6 = Some(on);
        self
    }

    /// The listen backlog (default 1024; the kernel caps it at `net.core.somaxconn`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = uring_rt::net::TcpListener::builder().backlog(16);
    /// assert!(b.bind("127.0.0.1:0").is_ok());
    /// ```
    pub fn backlog(mut self, backlog: u32) -> TcpListenerBuilder {
        self.config.backlog = backlog.min(i32::MAX as u32) as i32;
        self
    }

    /// Makes the socket, sets the options, binds (to the first address that works) and
    /// listens.
    ///
    /// # Errors
    ///
    /// As [`TcpListener::bind`].
    ///
    /// # Examples
    ///
    /// ```
    /// let l = uring_rt::net::TcpListener::builder().bind(("127.0.0.1", 0)).unwrap();
    /// assert!(l.local_addr().is_ok());
    /// ```
    pub fn bind<A: ToSocketAddrs>(self, addr: A) -> io::Result<TcpListener> {
        let addrs = resolve_blocking(&addr)?;
        let fd = first_ok(&addrs, |a| listen(&SockAddr::from(a), &self.config))?;
        Ok(TcpListener { fd })
    }
}

super::fd_traits::fd_traits!(TcpListener, fd, |fd| TcpListener {
    fd: super::gate::stream_fd(fd)
});
