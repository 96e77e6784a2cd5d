//! [`ToSocketAddrs`]: what `bind`, `connect` and `send_to` accept as an address, and
//! name resolution on the blocking pool.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Something that names one or more socket addresses: a [`SocketAddr`], `(ip, port)`,
/// `"host:port"`, `("host", port)` or a slice of addresses.
///
/// Unlike [`std::net::ToSocketAddrs`], a name that needs DNS (`("localhost", 80)`) is
/// resolved on the blocking pool by async calls (`connect`, `send_to`), so the runtime's
/// thread never blocks; literal addresses are parsed in place. Sealed: implemented for the
/// types listed here.
///
/// # Examples
///
/// ```
/// use uring_rt::net::TcpListener;
/// uring_rt::start(async {
///     let a = TcpListener::bind("127.0.0.1:0").unwrap();
///     let b = TcpListener::bind(("127.0.0.1", 0)).unwrap();
///     let c = TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
///     assert!(a.local_addr().unwrap().port() != b.local_addr().unwrap().port());
///     drop(c);
/// });
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

#[allow(unreachable_pub)] // sealed: reachable only inside the crate
mod sealed {
    use std::net::SocketAddr;

    /// The addresses, or a name to look up.
    #[derive(Debug)]
    pub enum Resolve {
        One(SocketAddr),
        Many(Vec<SocketAddr>),
        /// A `host:port` string that needs `getaddrinfo`.
        Lookup(String),
    }

    pub trait Sealed {
        fn to_resolve(&self) -> std::io::Result<Resolve>;
    }
}

use sealed::{Resolve, Sealed};

impl Resolve {
    fn host_port(host: &str, port: u16) -> Resolve {
        match host.parse::<IpAddr>() {
            Ok(ip) => Resolve::One(SocketAddr::new(ip, port)),
            Err(_) if host.contains(':') => Resolve::Lookup(format!("[{host}]:{port}")),
            Err(_) => Resolve::Lookup(format!("{host}:{port}")),
        }
    }
}

macro_rules! direct {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {}
        impl Sealed for $t {
            fn to_resolve(&self) -> io::Result<Resolve> {
                Ok(Resolve::One(SocketAddr::from(*self)))
            }
        }
    )*};
}

direct!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16),
    ([u8; 4], u16)
);

impl ToSocketAddrs for (&str, u16) {}
impl Sealed for (&str, u16) {
    fn to_resolve(&self) -> io::Result<Resolve> {
        Ok(Resolve::host_port(self.0, self.1))
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Sealed for (String, u16) {
    fn to_resolve(&self) -> io::Result<Resolve> {
        Ok(Resolve::host_port(&self.0, self.1))
    }
}

impl ToSocketAddrs for str {}
impl Sealed for str {
    fn to_resolve(&self) -> io::Result<Resolve> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(Resolve::One(addr));
        }
        if !self.contains(':') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid socket address: expected host:port",
            ));
        }
        Ok(Resolve::Lookup(self.to_owned()))
    }
}

impl ToSocketAddrs for String {}
impl Sealed for String {
    fn to_resolve(&self) -> io::Result<Resolve> {
        self.as_str().to_resolve()
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl Sealed for [SocketAddr] {
    fn to_resolve(&self) -> io::Result<Resolve> {
        Ok(Resolve::Many(self.to_vec()))
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Sealed + ?Sized> Sealed for &T {
    fn to_resolve(&self) -> io::Result<Resolve> {
        (**self).to_resolve()
    }
}

fn lookup(name: &str) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(name)?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the name resolved to no address",
        ));
    }
    Ok(addrs)
}

/// A caller's list of addresses, which must not be empty (as std's `connect` and `bind`
/// reject an empty slice).
fn given(addrs: Vec<SocketAddr>) -> io::Result<Vec<SocketAddr>> {
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an empty list of socket addresses was given",
        ));
    }
    Ok(addrs)
}

/// Resolves for the synchronous `bind` calls: on this thread outside a runtime; on a ring's
/// thread only what needs no lookup (addresses, and `localhost`, which is the loopback
/// addresses), because a DNS lookup there would stall every task and op of the ring.
///
/// # Errors
///
/// `InvalidInput` for a name other than `localhost` on a runtime's thread, saying to resolve
/// it first (`uring_rt::spawn_blocking`, or the address itself).
pub(crate) fn resolve_blocking<A: ToSocketAddrs + ?Sized>(addr: &A) -> io::Result<Vec<SocketAddr>> {
    match addr.to_resolve()? {
        Resolve::One(a) => Ok(vec![a]),
        Resolve::Many(v) => given(v),
        Resolve::Lookup(name) if crate::runtime::context::is_entered() => loopback(&name)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "cannot bind to {name:?} on a runtime's thread: resolving a name there \
                         would block the ring; pass an IP address, or resolve the name first \
                         (for example inside uring_rt::spawn_blocking)"
                    ),
                )
            }),
        Resolve::Lookup(name) => lookup(&name),
    }
}

/// `localhost:port` as the loopback addresses (IPv4 first), without a lookup.
fn loopback(name: &str) -> Option<Vec<SocketAddr>> {
    let (host, port) = name.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    host.eq_ignore_ascii_case("localhost").then(|| {
        vec![
            SocketAddr::from(([127, 0, 0, 1], port)),
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
        ]
    })
}

/// Resolves, running any DNS lookup on the blocking pool.
pub(crate) async fn resolve<A: ToSocketAddrs + ?Sized>(addr: &A) -> io::Result<Vec<SocketAddr>> {
    match addr.to_resolve()? {
        Resolve::One(a) => Ok(vec![a]),
        Resolve::Many(v) => given(v),
        Resolve::Lookup(name) => crate::spawn_blocking(move || lookup(&name))
            .await
            .map_err(|e| io::Error::other(e.to_string()))?,
    }
}

/// Runs `f` on each address until one succeeds; the last error otherwise.
pub(crate) fn first_ok<T>(
    addrs: &[SocketAddr],
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for &a in addrs {
        match f(a) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to use")))
}
