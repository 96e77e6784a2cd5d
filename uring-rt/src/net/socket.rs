//! Making sockets: through the ring (`IORING_OP_SOCKET` + `IORING_OP_CONNECT`) for clients,
//! with `socket2` for listeners and datagram sockets (synchronous calls that never block).

use std::io;
use std::os::fd::OwnedFd;

use socket2::{Domain, SockAddr, Type};

use super::gate::{stream_fd, StreamFd};
use crate::op::{self, Op, RawAddr, SharedFd};

/// The error of an I/O call made outside a runtime.
pub(crate) fn no_runtime() -> io::Error {
    io::Error::other(
        "no uring-rt runtime on this thread: call this inside Runtime::block_on, \
         uring_rt::start or a task spawned on a runtime",
    )
}

/// Whether a runtime is entered on this thread (so `Op::new` succeeds).
pub(crate) fn in_runtime() -> bool {
    crate::runtime::context::is_entered()
}

/// The address of the Unix socket at `path`. As tokio does on Linux, a path that starts
/// with a NUL byte (`"\0name"`) is the abstract name after it. Elsewhere a NUL byte would end
/// the name the kernel sees early (binding or reaching another file), so, as std does, such
/// a path is refused.
pub(crate) fn unix_path_addr(path: &std::path::Path) -> io::Result<SockAddr> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    if let Some(name) = bytes.strip_prefix(b"\0") {
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        return crate::op::unix_sock(&addr);
    }
    if bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a Unix socket path must not contain a NUL byte",
        ));
    }
    SockAddr::unix(path)
}

/// A new close-on-exec socket: through the ring when the kernel has `IORING_OP_SOCKET`.
pub(crate) async fn new_socket(domain: Domain, ty: Type) -> io::Result<OwnedFd> {
    if op::socket_supported() {
        Op::new(op::Socket::new(domain.into(), ty.into(), 0)).await
    } else {
        Ok(socket2::Socket::new(domain, ty, None)?.into())
    }
}

/// A socket connected to `addr` through the ring.
pub(crate) async fn connect(addr: &SockAddr, ty: Type) -> io::Result<OwnedFd> {
    connect_socket(new_socket(addr.domain(), ty).await?, addr).await
}

/// Connects the socket `fd` (made, and maybe bound, by the caller) to `addr` through the
/// ring; on failure the socket is closed.
pub(crate) async fn connect_socket(fd: OwnedFd, addr: &SockAddr) -> io::Result<OwnedFd> {
    let fd = SharedFd::new(fd);
    Op::new(op::Connect::new(fd.share(), RawAddr::from_sock(addr))).await?;
    // The op gave its clone back with its completion: ours is the last.
    fd.try_take()
        .ok_or_else(|| io::Error::other("uring-rt: the connected socket is still shared"))
}

/// How a listener is set up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListenConfig {
    pub(crate) reuse_addr: bool,
    pub(crate) reuse_port: bool,
    pub(crate) only_v6: Option<bool>,
    pub(crate) backlog: i32,
}

impl Default for ListenConfig {
    fn default() -> ListenConfig {
        ListenConfig {
            reuse_addr: true,
            reuse_port: false,
            only_v6: None,
            backlog: 1024,
        }
    }
}

/// A listening stream socket bound to `addr`.
pub(crate) fn listen(addr: &SockAddr, config: &ListenConfig) -> io::Result<StreamFd> {
    let sock = socket2::Socket::new(addr.domain(), Type::STREAM, None)?;
    let inet = addr.as_socket().is_some();
    if inet && config.reuse_addr {
        sock.set_reuse_address(true)?;
    }
    if inet && config.reuse_port {
        sock.set_reuse_port(true)?;
    }
    if let (Some(v6only), Some(std::net::SocketAddr::V6(_))) = (config.only_v6, addr.as_socket()) {
        sock.set_only_v6(v6only)?;
    }
    sock.bind(addr)?;
    sock.listen(config.backlog)?;
    Ok(stream_fd(sock.into()))
}

/// A datagram socket bound to `addr` (`None`: unbound, for Unix datagram sockets).
pub(crate) fn datagram(domain: Domain, addr: Option<&SockAddr>) -> io::Result<SharedFd<()>> {
    let sock = socket2::Socket::new(domain, Type::DGRAM, None)?;
    if let Some(addr) = addr {
        sock.bind(addr)?;
    }
    Ok(SharedFd::new(sock.into()))
}
