//! `RawAddr`: a socket address in the kernel's layout, boxed by ops whose SQE points at it.

use std::io;
use std::net::SocketAddr;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::SocketAddr as UnixAddr;

use socket2::SockAddr;

/// A `sockaddr_storage` and its length: what `accept`, `connect`, `sendmsg` and `recvmsg`
/// read or write. Ops keep it in a `Box` so the address in their SQE survives moves.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct RawAddr {
    pub(crate) storage: libc::sockaddr_storage,
    pub(crate) len: libc::socklen_t,
}

impl std::fmt::Debug for RawAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAddr")
            .field("family", &self.storage.ss_family)
            .field("len", &self.len)
            .finish()
    }
}

impl RawAddr {
    /// An empty address with room for any family (the kernel fills it).
    pub(crate) fn empty() -> RawAddr {
        // SAFETY: `sockaddr_storage` is plain old data; all-zero is a valid (AF_UNSPEC) value.
        let storage = unsafe { std::mem::zeroed() };
        RawAddr {
            storage,
            len: std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    /// Copies a `socket2` address.
    pub(crate) fn from_sock(addr: &SockAddr) -> RawAddr {
        let mut raw = RawAddr::empty();
        let len = (addr.len() as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
        // SAFETY: `addr.as_ptr()` is valid for `addr.len()` bytes, the storage for its size,
        // and `len` is at most both; the two never overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                addr.as_ptr().cast::<u8>(),
                (&mut raw.storage as *mut libc::sockaddr_storage).cast::<u8>(),
                len,
            );
        }
        raw.len = len as libc::socklen_t;
        raw
    }

    /// An internet address.
    pub(crate) fn from_std(addr: SocketAddr) -> RawAddr {
        RawAddr::from_sock(&SockAddr::from(addr))
    }

    /// As a `socket2` address.
    pub(crate) fn sock_addr(&self) -> SockAddr {
        let len = self
            .len
            .min(std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t);
        // SAFETY: the storage was zeroed, then written by the kernel or copied from a valid
        // address, for `len` bytes (clamped to the storage's size).
        unsafe { SockAddr::new(self.storage, len) }
    }

    /// As an internet address.
    ///
    /// # Errors
    /// `InvalidData` when the family is neither `AF_INET` nor `AF_INET6`.
    pub(crate) fn as_inet(&self) -> io::Result<SocketAddr> {
        self.sock_addr()
            .as_socket()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an internet address"))
    }

    /// As a Unix-domain address (unnamed, a path, or an abstract name).
    ///
    /// # Errors
    /// `InvalidData` when the family is not `AF_UNIX`.
    pub(crate) fn as_unix(&self) -> io::Result<UnixAddr> {
        unix_addr(&self.sock_addr())
    }
}

/// A `socket2` Unix-domain address as std's type.
pub(crate) fn unix_addr(sock: &SockAddr) -> io::Result<UnixAddr> {
    // An unbound peer has no address at all (length 0) or just the family.
    if sock.len() as usize <= std::mem::size_of::<libc::sa_family_t>() {
        return UnixAddr::from_pathname("");
    }
    if sock.family() != libc::AF_UNIX as libc::sa_family_t {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a Unix-domain address",
        ));
    }
    if let Some(name) = sock.as_abstract_namespace() {
        return UnixAddr::from_abstract_name(name);
    }
    match sock.as_pathname() {
        Some(path) => UnixAddr::from_pathname(path),
        // An empty path makes std's unnamed address.
        None => UnixAddr::from_pathname(""),
    }
}

/// std's Unix-domain address as a `socket2` one (a path, an abstract name, or unnamed).
///
/// # Errors
/// When the path is too long.
pub(crate) fn unix_sock(addr: &UnixAddr) -> io::Result<SockAddr> {
    if let Some(name) = addr.as_abstract_name() {
        let mut bytes = Vec::with_capacity(name.len() + 1);
        bytes.push(0);
        bytes.extend_from_slice(name);
        let path: &std::ffi::OsStr = std::os::unix::ffi::OsStrExt::from_bytes(&bytes);
        return SockAddr::unix(path);
    }
    match addr.as_pathname() {
        Some(path) => SockAddr::unix(path),
        None => SockAddr::unix(""),
    }
}
