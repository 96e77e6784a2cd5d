//! [`UnixListener`]: a Unix-domain stream socket listening for connections.

use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use socket2::{SockAddr, SockRef};

use super::gate::{stream_fd, StreamFd};
use super::socket::unix_path_addr;
use super::socket::{in_runtime, listen, no_runtime, ListenConfig};
use super::stream::StreamCore;
use super::{UnixIncoming, UnixStream};
use crate::op::{self, unix_addr, unix_sock, Op};

/// A Unix-domain stream socket listening for connections, at a path or an abstract name.
///
/// Same shape and guarantees as [`TcpListener`](super::TcpListener): a connection accepted
/// for a dropped `accept` is kept for the next one. The socket file is not removed on drop.
///
/// # Examples
///
/// ```
/// use uring_rt::net::{UnixListener, UnixStream};
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let path = dir.path().join("sock");
///     let listener = UnixListener::bind(&path).unwrap();
///     let client = UnixStream::connect(&path).await.unwrap();
///     let (server, _peer) = listener.accept().await.unwrap();
///     client.write_all(b"hi".to_vec()).await.0.unwrap();
///     assert_eq!(server.read(Vec::with_capacity(4)).await.1, b"hi");
/// });
/// ```
pub struct UnixListener {
    fd: StreamFd,
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.fd)
            .finish()
    }
}

impl UnixListener {
    /// Binds to the file system path `path` and listens (backlog 1024). As in tokio, a
    /// path that starts with a NUL byte (`"\0name"`) is an abstract name.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when the file exists; the error of `socket`, `bind` or `listen`.
    ///
    /// # Examples
    ///
    /// See [`UnixListener`].
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::bind_sock(&unix_path_addr(path.as_ref())?)
    }

    /// Binds to `addr`, which may be an abstract name
    /// (`std::os::linux::net::SocketAddrExt::from_abstract_name`).
    ///
    /// # Errors
    ///
    /// As [`bind`](UnixListener::bind).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use uring_rt::net::{UnixListener, UnixStream};
    /// uring_rt::start(async {
    ///     let name = format!("uring-rt-doc-{}", std::process::id());
    ///     let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    ///     let listener = UnixListener::bind_addr(&addr).unwrap();
    ///     let local = listener.local_addr().unwrap();
    ///     assert_eq!(local.as_abstract_name(), Some(name.as_bytes()));
    ///     let _c = UnixStream::connect_addr(&addr).await.unwrap();
    ///     assert!(listener.accept().await.is_ok());
    /// });
    /// ```
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        UnixListener::bind_sock(&unix_sock(addr)?)
    }

    fn bind_sock(addr: &SockAddr) -> io::Result<UnixListener> {
        let config = ListenConfig {
            reuse_addr: false,
            ..ListenConfig::default()
        };
        Ok(UnixListener {
            fd: listen(addr, &config)?,
        })
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
    /// let dir = tempfile::tempdir().unwrap();
    /// let std = std::os::unix::net::UnixListener::bind(dir.path().join("s")).unwrap();
    /// let l = uring_rt::net::UnixListener::from_std(std).unwrap();
    /// assert!(l.local_addr().unwrap().as_pathname().is_some());
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            fd: stream_fd(listener.into()),
        })
    }

    /// Accepts a connection: the stream and the peer's address (usually unnamed).
    /// Cancel-safe like [`TcpListener::accept`](super::TcpListener::accept).
    ///
    /// # Errors
    ///
    /// As [`TcpListener::accept`](super::TcpListener::accept).
    ///
    /// # Examples
    ///
    /// See [`UnixListener`].
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        if !in_runtime() {
            return Err(no_runtime());
        }
        let permit = self.fd.input().await;
        if let Some(conn) = self.fd.take_conn() {
            let peer = SockRef::from(&conn).peer_addr().and_then(|a| unix_addr(&a));
            let stream = UnixStream::from_core(StreamCore::new(conn));
            return Ok((stream, peer.or_else(|_| SocketAddr::from_pathname(""))?));
        }
        let (fd, addr) = Op::new(op::Accept::new(permit)).await?;
        let stream = UnixStream::from_core(StreamCore::new(fd));
        Ok((stream, addr.as_unix()?))
    }

    /// The stream of accepted connections, from one multishot accept.
    ///
    /// # Examples
    ///
    /// See [`UnixIncoming`].
    pub fn incoming(&self) -> UnixIncoming {
        UnixIncoming::new(self.fd.clone())
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
    /// let dir = tempfile::tempdir().unwrap();
    /// let l = uring_rt::net::UnixListener::bind(dir.path().join("s")).unwrap();
    /// let l = l.into_std().unwrap();
    /// assert!(l.local_addr().unwrap().as_pathname().is_some());
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
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
    /// See [`bind_addr`](UnixListener::bind_addr).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        unix_addr(&SockRef::from(&self.fd).local_addr()?)
    }
}

super::fd_traits::fd_traits!(UnixListener, fd, |fd| UnixListener {
    fd: super::gate::stream_fd(fd)
});
