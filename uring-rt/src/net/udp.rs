//! [`UdpSocket`]: a UDP socket.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use socket2::{Domain, SockAddr, SockRef};

use super::addr::{first_ok, resolve, resolve_blocking, ToSocketAddrs};
use super::datagram;
use super::socket::datagram as datagram_socket;
use super::tcp_listener::inet;
use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::op::{RawAddr, SharedFd};

/// A UDP socket.
///
/// `send_to`/`recv_from` are `IORING_OP_SENDMSG`/`IORING_OP_RECVMSG`; `send`/`recv` on a
/// connected socket are `IORING_OP_SEND`/`IORING_OP_RECV`. Receives may run concurrently.
/// A datagram received for a dropped `recv` is discarded (datagrams have no order to keep).
///
/// # Examples
///
/// ```
/// use uring_rt::net::UdpSocket;
/// uring_rt::start(async {
///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
///     let (res, _) = a.send_to(b"hi".to_vec(), b.local_addr().unwrap()).await;
///     assert_eq!(res.unwrap(), 2);
///     let (res, buf) = b.recv_from(Vec::with_capacity(16)).await;
///     let (n, from) = res.unwrap();
///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr().unwrap()));
/// });
/// ```
pub struct UdpSocket {
    pub(super) fd: SharedFd<()>,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("fd", &self.fd)
            .field("addr", &self.local_addr().ok())
            .finish()
    }
}

impl UdpSocket {
    /// Binds a socket to `addr` (the first address that works).
    ///
    /// # Errors
    ///
    /// The error of `socket` or `bind` (`AddrInUse`, ...) or of name resolution.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(s.local_addr().unwrap().port() > 0);
    /// ```
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        let addrs = resolve_blocking(&addr)?;
        let fd = first_ok(&addrs, |a| {
            datagram_socket(Domain::for_address(a), Some(&SockAddr::from(a)))
        })?;
        Ok(UdpSocket { fd })
    }

    /// Makes a socket of a std one.
    ///
    /// # Errors
    ///
    /// None today; kept fallible for parity with other runtimes.
    ///
    /// # Examples
    ///
    /// ```
    /// let std = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let s = uring_rt::net::UdpSocket::from_std(std).unwrap();
    /// assert!(s.local_addr().is_ok());
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            fd: SharedFd::new(socket.into()),
        })
    }

    /// Sets the default destination for [`send`](UdpSocket::send) and the only source
    /// [`recv`](UdpSocket::recv) accepts. A name is resolved on the blocking pool.
    ///
    /// # Errors
    ///
    /// The error of `connect(2)` or of name resolution.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UdpSocket;
    /// uring_rt::start(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.connect(b.local_addr().unwrap()).await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     assert_eq!(a.send(b"x".to_vec()).await.0.unwrap(), 1);
    ///     let (res, buf) = b.recv(Vec::with_capacity(4)).await;
    ///     assert_eq!(res.unwrap(), 1);
    ///     assert_eq!(buf, b"x");
    ///     assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    /// });
    /// ```
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let addrs = resolve(&addr).await?;
        first_ok(&addrs, |a| {
            SockRef::from(&self.fd).connect(&SockAddr::from(a))
        })
    }

    /// Sends `buf` to the connected peer.
    ///
    /// # Errors
    ///
    /// `EDESTADDRREQ` (`raw_os_error`) when not connected; `ConnectionRefused` after the
    /// peer's port answered an earlier datagram with ICMP unreachable; `Other` outside a
    /// runtime.
    ///
    /// # Examples
    ///
    /// See [`connect`](UdpSocket::connect).
    #[must_use = "the buffer comes back with the result"]
    pub async fn send<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        datagram::send(&self.fd, buf).await
    }

    /// Receives one datagram from the connected peer into `buf` (the rest of a longer one
    /// is discarded).
    ///
    /// # Errors
    ///
    /// As [`send`](UdpSocket::send).
    ///
    /// # Examples
    ///
    /// See [`connect`](UdpSocket::connect).
    #[must_use = "the buffer comes back with the result"]
    pub async fn recv<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        datagram::recv(&self.fd, buf).await
    }

    /// Sends `buf` to `addr` (a name is resolved on the blocking pool; the first address is
    /// used).
    ///
    /// # Errors
    ///
    /// The error of `sendmsg` or of name resolution; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`UdpSocket`].
    #[must_use = "the buffer comes back with the result"]
    pub async fn send_to<B: IoBuf, A: ToSocketAddrs>(
        &self,
        buf: B,
        addr: A,
    ) -> BufResult<usize, B> {
        // `resolve` returns at least one address or an error.
        let target = match resolve(&addr).await.map(|a| a.first().copied()) {
            Ok(Some(a)) => a,
            Ok(None) => {
                let e = io::Error::new(io::ErrorKind::InvalidInput, "no address to send to");
                return (Err(e), buf);
            }
            Err(e) => return (Err(e), buf),
        };
        datagram::send_to(&self.fd, buf, RawAddr::from_std(target)).await
    }

    /// Receives one datagram into `buf`: its length and the sender's address.
    ///
    /// # Errors
    ///
    /// The error of `recvmsg`; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`UdpSocket`].
    #[must_use = "the buffer comes back with the result"]
    pub async fn recv_from<B: IoBufMut>(&self, buf: B) -> BufResult<(usize, SocketAddr), B> {
        let (res, buf) = datagram::recv_from(&self.fd, buf).await;
        (res.and_then(|(n, addr)| Ok((n, addr.as_inet()?))), buf)
    }

    /// Copies the next datagram into `buf` with its sender's address, without taking it
    /// off the queue (`MSG_PEEK`): the next `recv_from` or `peek_from` returns it again.
    /// Waits for a datagram.
    ///
    /// # Errors
    ///
    /// As [`recv_from`](UdpSocket::recv_from).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UdpSocket;
    /// uring_rt::start(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.send_to(b"hi", b.local_addr().unwrap()).await.0.unwrap();
    ///     let (res, buf) = b.peek_from(Vec::with_capacity(8)).await;
    ///     assert_eq!(res.unwrap(), (2, a.local_addr().unwrap()));
    ///     assert_eq!(buf, b"hi");
    ///     let (res, buf) = b.recv_from(Vec::with_capacity(8)).await;
    ///     assert_eq!(res.unwrap().0, 2);
    ///     assert_eq!(buf, b"hi");
    /// });
    /// ```
    #[must_use = "the buffer comes back with the result"]
    pub async fn peek_from<B: IoBufMut>(&self, buf: B) -> BufResult<(usize, SocketAddr), B> {
        let (res, buf) = datagram::peek_from(&self.fd, buf).await;
        (res.and_then(|(n, addr)| Ok((n, addr.as_inet()?))), buf)
    }

    /// The sender of the next datagram, which stays queued. Waits for a datagram.
    ///
    /// # Errors
    ///
    /// As [`recv_from`](UdpSocket::recv_from).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UdpSocket;
    /// uring_rt::start(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.send_to(b"hi", b.local_addr().unwrap()).await.0.unwrap();
    ///     assert_eq!(b.peek_sender().await.unwrap(), a.local_addr().unwrap());
    ///     assert_eq!(b.recv(Vec::with_capacity(8)).await.1, b"hi");
    /// });
    /// ```
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        // An empty buffer: only the address is wanted.
        let (res, _) = self.peek_from(Vec::new()).await;
        res.map(|(_, addr)| addr)
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it: `None` when there is none.
    /// After an ICMP "port unreachable" for a datagram a connected socket sent, it is
    /// `ConnectionRefused`.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(s.take_error().unwrap().is_none());
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(&self.fd).take_error()
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
    /// let s = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let addr = s.local_addr().unwrap();
    /// assert_eq!(s.into_std().unwrap().local_addr().unwrap(), addr);
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        super::fd_traits::into_std_socket(self.fd)
    }

    /// The address this socket is bound to.
    ///
    /// # Errors
    ///
    /// The error of `getsockname`.
    ///
    /// # Examples
    ///
    /// See [`bind`](UdpSocket::bind).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        inet(SockRef::from(&self.fd).local_addr()?)
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` when not connected.
    ///
    /// # Examples
    ///
    /// See [`connect`](UdpSocket::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        inet(SockRef::from(&self.fd).peer_addr()?)
    }
}

super::fd_traits::fd_traits!(UdpSocket, fd, |fd| UdpSocket {
    fd: SharedFd::new(fd)
});
