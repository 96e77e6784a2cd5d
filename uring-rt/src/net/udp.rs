//! [`UdpSocket`]: a UDP socket.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

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
    fd: SharedFd<()>,
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
    /// `NotConnected` when not connected; `ConnectionRefused` after the peer's port
    /// answered an earlier datagram with ICMP unreachable; `Other` outside a runtime.
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

    /// Sets `SO_BROADCAST`: whether datagrams may go to a broadcast address.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// s.set_broadcast(true).unwrap();
    /// assert!(s.broadcast().unwrap());
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        SockRef::from(&self.fd).set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_broadcast`](UdpSocket::set_broadcast).
    pub fn broadcast(&self) -> io::Result<bool> {
        SockRef::from(&self.fd).broadcast()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// s.set_ttl(42).unwrap();
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        SockRef::from(&self.fd).set_ttl(ttl)
    }

    /// Sets `IP_MULTICAST_LOOP`: whether multicast datagrams we send come back to us.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    /// s.set_multicast_loop_v4(true).unwrap();
    /// ```
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        SockRef::from(&self.fd).set_multicast_loop_v4(on)
    }

    /// Sets `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    /// s.set_multicast_ttl_v4(1).unwrap();
    /// ```
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        SockRef::from(&self.fd).set_multicast_ttl_v4(ttl)
    }

    /// Joins IPv4 multicast group `group` on the interface with address `interface`
    /// (`0.0.0.0`: the kernel picks).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt` (`AddrNotAvailable` without a suitable interface).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// let s = uring_rt::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    /// let group = Ipv4Addr::new(239, 1, 2, 3);
    /// if s.join_multicast_v4(group, Ipv4Addr::LOCALHOST).is_ok() {
    ///     s.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
    /// }
    /// ```
    pub fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        SockRef::from(&self.fd).join_multicast_v4(&group, &interface)
    }

    /// Leaves an IPv4 multicast group joined with
    /// [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// See [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        SockRef::from(&self.fd).leave_multicast_v4(&group, &interface)
    }

    /// Joins IPv6 multicast group `group` on interface index `interface` (0: any).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv6Addr;
    /// if let Ok(s) = uring_rt::net::UdpSocket::bind("[::]:0") {
    ///     let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x123);
    ///     if s.join_multicast_v6(&group, 0).is_ok() {
    ///         s.leave_multicast_v6(&group, 0).unwrap();
    ///     }
    /// }
    /// ```
    pub fn join_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        SockRef::from(&self.fd).join_multicast_v6(group, interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// See [`join_multicast_v6`](UdpSocket::join_multicast_v6).
    pub fn leave_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        SockRef::from(&self.fd).leave_multicast_v6(group, interface)
    }
}

super::fd_traits::fd_traits!(UdpSocket, fd, |fd| UdpSocket {
    fd: SharedFd::new(fd)
});
