//! [`UdpSocket`]'s socket options: broadcast, TTL, type of service and multicast, each one
//! `setsockopt`/`getsockopt` through `socket2`, named and shaped as tokio's.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

use socket2::SockRef;

use super::udp::UdpSocket;

impl UdpSocket {
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
