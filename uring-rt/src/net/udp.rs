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
        let fd = super::fd_traits::try_into_owned(self.fd)?;
        SockRef::from(&fd).set_nonblocking(true)?;
        Ok(fd.into())
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

    /// The `IP_TTL` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// s.set_ttl(42).unwrap();
    /// assert_eq!(s.ttl().unwrap(), 42);
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        SockRef::from(&self.fd).ttl()
    }

    /// Sets the IPv4 type-of-service byte (`IP_TOS`).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// s.set_tos_v4(96).unwrap();
    /// assert_eq!(s.tos_v4().unwrap(), 96);
    /// ```
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        SockRef::from(&self.fd).set_tos(tos)
    }

    /// The `IP_TOS` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_tos_v4`](UdpSocket::set_tos_v4).
    pub fn tos_v4(&self) -> io::Result<u32> {
        SockRef::from(&self.fd).tos()
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
    /// if let Ok(s) = uring_rt::net::UdpSocket::bind("[::1]:0") {
    ///     s.set_tclass_v6(96).unwrap();
    ///     assert_eq!(s.tclass_v6().unwrap(), 96);
    /// }
    /// ```
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        SockRef::from(&self.fd).set_tclass_v6(tclass)
    }

    /// The `IPV6_TCLASS` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_tclass_v6`](UdpSocket::set_tclass_v6).
    pub fn tclass_v6(&self) -> io::Result<u32> {
        SockRef::from(&self.fd).tclass_v6()
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

    /// The `IP_MULTICAST_LOOP` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// s.set_multicast_loop_v4(false).unwrap();
    /// assert!(!s.multicast_loop_v4().unwrap());
    /// ```
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        SockRef::from(&self.fd).multicast_loop_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`: whether IPv6 multicast datagrams we send come back to us.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt` (an IPv4 socket has no such option).
    ///
    /// # Examples
    ///
    /// ```
    /// if let Ok(s) = uring_rt::net::UdpSocket::bind("[::1]:0") {
    ///     s.set_multicast_loop_v6(false).unwrap();
    ///     assert!(!s.multicast_loop_v6().unwrap());
    /// }
    /// ```
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        SockRef::from(&self.fd).set_multicast_loop_v6(on)
    }

    /// The `IPV6_MULTICAST_LOOP` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// See [`set_multicast_loop_v6`](UdpSocket::set_multicast_loop_v6).
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        SockRef::from(&self.fd).multicast_loop_v6()
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

    /// The `IP_MULTICAST_TTL` setting.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// s.set_multicast_ttl_v4(40).unwrap();
    /// assert_eq!(s.multicast_ttl_v4().unwrap(), 40);
    /// ```
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        SockRef::from(&self.fd).multicast_ttl_v4()
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
