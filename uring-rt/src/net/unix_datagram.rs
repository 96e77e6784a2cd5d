//! [`UnixDatagram`]: a Unix-domain datagram socket.

use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use socket2::{Domain, SockAddr, SockRef, Type};

use super::datagram;
use super::socket::datagram as datagram_socket;
use super::socket::unix_path_addr;
use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::op::{unix_addr, unix_sock, RawAddr, SharedFd};

/// A Unix-domain datagram socket, bound to a path, an abstract name, or unbound.
///
/// # Examples
///
/// ```
/// use uring_rt::net::UnixDatagram;
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let server = UnixDatagram::bind(dir.path().join("srv")).unwrap();
///     let client = UnixDatagram::bind(dir.path().join("cli")).unwrap();
///     let (res, _) = client.send_to(b"hi".to_vec(), dir.path().join("srv")).await;
///     assert_eq!(res.unwrap(), 2);
///     let (res, buf) = server.recv_from(Vec::with_capacity(8)).await;
///     let (n, from) = res.unwrap();
///     assert_eq!(&buf[..n], b"hi");
///     assert_eq!(from.as_pathname(), Some(dir.path().join("cli").as_path()));
/// });
/// ```
pub struct UnixDatagram {
    fd: SharedFd<()>,
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("fd", &self.fd)
            .finish()
    }
}

impl UnixDatagram {
    /// A socket bound to the path `path`.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when the file exists; the error of `socket` or `bind`.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram`].
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            fd: datagram_socket(Domain::UNIX, Some(&unix_path_addr(path.as_ref())?))?,
        })
    }

    /// A socket bound to `addr`, which may be an abstract name.
    ///
    /// # Errors
    ///
    /// As [`bind`](UnixDatagram::bind).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use uring_rt::net::UnixDatagram;
    /// uring_rt::start(async {
    ///     let name = format!("uring-rt-dgram-doc-{}", std::process::id());
    ///     let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    ///     let server = UnixDatagram::bind_addr(&addr).unwrap();
    ///     let client = UnixDatagram::unbound().unwrap();
    ///     client.send_to_addr(b"x".to_vec(), &addr).await.0.unwrap();
    ///     let (res, _) = server.recv_from(Vec::with_capacity(4)).await;
    ///     assert_eq!(res.unwrap().0, 1);
    /// });
    /// ```
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            fd: datagram_socket(Domain::UNIX, Some(&unix_sock(addr)?))?,
        })
    }

    /// An unbound socket (it can send; replies need an address, so bind or use a pair).
    ///
    /// # Errors
    ///
    /// The error of `socket`.
    ///
    /// # Examples
    ///
    /// See [`bind_addr`](UnixDatagram::bind_addr).
    pub fn unbound() -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            fd: datagram_socket(Domain::UNIX, None)?,
        })
    }

    /// A pair of connected sockets (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// The error of `socketpair`.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixDatagram;
    /// uring_rt::start(async {
    ///     let (a, b) = UnixDatagram::pair().unwrap();
    ///     a.send(b"one".to_vec()).await.0.unwrap();
    ///     let (res, buf) = b.recv(Vec::with_capacity(8)).await;
    ///     assert_eq!(res.unwrap(), 3);
    ///     assert_eq!(buf, b"one");
    /// });
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = socket2::Socket::pair(Domain::UNIX, Type::DGRAM, None)?;
        Ok((
            UnixDatagram {
                fd: SharedFd::new(a.into()),
            },
            UnixDatagram {
                fd: SharedFd::new(b.into()),
            },
        ))
    }

    /// Makes a socket of a std one, as tokio's `from_std`.
    ///
    /// # Errors
    ///
    /// None today; kept fallible for parity with other runtimes.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    /// let a = uring_rt::net::UnixDatagram::from_std(a).unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            fd: SharedFd::new(socket.into()),
        })
    }

    /// Turns the socket into a std one, in nonblocking mode as tokio's `into_std` does.
    ///
    /// # Errors
    ///
    /// The error of `fcntl`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = uring_rt::net::UnixDatagram::pair().unwrap();
    /// let a = a.into_std().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed());
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        super::fd_traits::into_std_socket(self.fd)
    }

    /// Sets the default peer (`connect(2)`; it does not block for datagram sockets).
    ///
    /// # Errors
    ///
    /// `NotFound` or `ConnectionRefused` when nothing is bound at `path`.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixDatagram;
    /// uring_rt::start(async {
    ///     let dir = tempfile::tempdir().unwrap();
    ///     let server = UnixDatagram::bind(dir.path().join("s")).unwrap();
    ///     let client = UnixDatagram::unbound().unwrap();
    ///     client.connect(dir.path().join("s")).unwrap();
    ///     client.send(b"hey".to_vec()).await.0.unwrap();
    ///     assert_eq!(server.recv(Vec::with_capacity(8)).await.1, b"hey");
    ///     assert!(client.peer_addr().unwrap().as_pathname().is_some());
    /// });
    /// ```
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        SockRef::from(&self.fd).connect(&unix_path_addr(path.as_ref())?)
    }

    /// Sets the default peer to `addr`, which may be an abstract name.
    ///
    /// # Errors
    ///
    /// As [`connect`](UnixDatagram::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use uring_rt::net::UnixDatagram;
    /// let name = format!("uring-rt-dgram-connect-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    /// let _server = UnixDatagram::bind_addr(&addr).unwrap();
    /// let client = UnixDatagram::unbound().unwrap();
    /// client.connect_addr(&addr).unwrap();
    /// ```
    pub fn connect_addr(&self, addr: &SocketAddr) -> io::Result<()> {
        SockRef::from(&self.fd).connect(&unix_sock(addr)?)
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` when not connected; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`pair`](UnixDatagram::pair).
    #[must_use = "the buffer comes back with the result"]
    pub async fn send<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        datagram::send(&self.fd, buf).await
    }

    /// Receives one datagram into `buf`.
    ///
    /// # Errors
    ///
    /// The error of `recv`; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`pair`](UnixDatagram::pair).
    #[must_use = "the buffer comes back with the result"]
    pub async fn recv<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        datagram::recv(&self.fd, buf).await
    }

    /// Sends one datagram to the socket at `path`.
    ///
    /// # Errors
    ///
    /// `NotFound`/`ConnectionRefused` when nothing is bound there; `Other` outside a
    /// runtime.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram`].
    #[must_use = "the buffer comes back with the result"]
    pub async fn send_to<B: IoBuf, P: AsRef<Path>>(&self, buf: B, path: P) -> BufResult<usize, B> {
        match unix_path_addr(path.as_ref()) {
            Ok(addr) => self.send_to_sock(buf, &addr).await,
            Err(e) => (Err(e), buf),
        }
    }

    /// Sends one datagram to `addr`, which may be an abstract name.
    ///
    /// # Errors
    ///
    /// As [`send_to`](UnixDatagram::send_to).
    ///
    /// # Examples
    ///
    /// See [`bind_addr`](UnixDatagram::bind_addr).
    #[must_use = "the buffer comes back with the result"]
    pub async fn send_to_addr<B: IoBuf>(&self, buf: B, addr: &SocketAddr) -> BufResult<usize, B> {
        match unix_sock(addr) {
            Ok(addr) => self.send_to_sock(buf, &addr).await,
            Err(e) => (Err(e), buf),
        }
    }

    async fn send_to_sock<B: IoBuf>(&self, buf: B, addr: &SockAddr) -> BufResult<usize, B> {
        datagram::send_to(&self.fd, buf, RawAddr::from_sock(addr)).await
    }

    /// Receives one datagram: its length and the sender's address (unnamed for an unbound
    /// sender).
    ///
    /// # Errors
    ///
    /// The error of `recvmsg`; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram`].
    #[must_use = "the buffer comes back with the result"]
    pub async fn recv_from<B: IoBufMut>(&self, buf: B) -> BufResult<(usize, SocketAddr), B> {
        let (res, buf) = datagram::recv_from(&self.fd, buf).await;
        (res.and_then(|(n, addr)| Ok((n, addr.as_unix()?))), buf)
    }

    /// This socket's address.
    ///
    /// # Errors
    ///
    /// The error of `getsockname`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UnixDatagram::unbound().unwrap();
    /// assert!(s.local_addr().unwrap().is_unnamed());
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        unix_addr(&SockRef::from(&self.fd).local_addr()?)
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` when not connected.
    ///
    /// # Examples
    ///
    /// See [`connect`](UnixDatagram::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        unix_addr(&SockRef::from(&self.fd).peer_addr()?)
    }
}

super::fd_traits::fd_traits!(UnixDatagram, fd, |fd| UnixDatagram {
    fd: SharedFd::new(fd)
});
