//! [`UnixSocket`]: a Unix-domain socket set up before it becomes a stream, a listener or a
//! datagram socket.

use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;

use socket2::{Domain, Socket, Type};

use super::socket::{connect_socket, unix_path_addr};
use super::stream::StreamCore;
use super::{UnixDatagram, UnixListener, UnixStream};

/// A Unix-domain socket not yet connected or listening, as tokio's `UnixSocket`: bind it
/// (a stream client too, so its peer sees a name), then [`listen`](UnixSocket::listen),
/// [`connect`](UnixSocket::connect), or make it a [`datagram`](UnixSocket::datagram) socket.
///
/// # Examples
///
/// ```
/// use uring_rt::net::UnixSocket;
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let srv = UnixSocket::new_stream().unwrap();
///     srv.bind(dir.path().join("srv")).unwrap();
///     let listener = srv.listen(128).unwrap();
///
///     let cli = UnixSocket::new_stream().unwrap();
///     cli.bind(dir.path().join("cli")).unwrap();
///     let _stream = cli.connect(dir.path().join("srv")).await.unwrap();
///     let (server, _) = listener.accept().await.unwrap();
///     let peer = server.peer_addr().unwrap();
///     assert_eq!(peer.as_pathname(), Some(dir.path().join("cli").as_path()));
/// });
/// ```
#[derive(Debug)]
pub struct UnixSocket {
    inner: Socket,
}

impl UnixSocket {
    /// A new Unix stream socket (close-on-exec).
    ///
    /// # Errors
    ///
    /// The error of `socket(2)`.
    ///
    /// # Examples
    ///
    /// See [`UnixSocket`].
    pub fn new_stream() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::STREAM)
    }

    /// A new Unix datagram socket (close-on-exec).
    ///
    /// # Errors
    ///
    /// The error of `socket(2)`.
    ///
    /// # Examples
    ///
    /// See [`datagram`](UnixSocket::datagram).
    pub fn new_datagram() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::DGRAM)
    }

    fn new(ty: Type) -> io::Result<UnixSocket> {
        Ok(UnixSocket {
            inner: Socket::new(Domain::UNIX, ty, None)?,
        })
    }

    fn is_stream(&self) -> io::Result<bool> {
        Ok(self.inner.r#type()? == Type::STREAM)
    }

    /// Binds to `path` (a leading NUL byte: an abstract name, as in tokio).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when the file exists; `InvalidInput` for a path too long or with a NUL
    /// byte inside; the error of `bind(2)`.
    ///
    /// # Examples
    ///
    /// See [`UnixSocket`].
    pub fn bind<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.bind(&unix_path_addr(path.as_ref())?)
    }

    /// Listens with a backlog of `backlog`, turning the stream socket into a listener.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a datagram socket ("listen cannot be called on a datagram
    /// socket", tokio's words); the error of `listen(2)`.
    ///
    /// # Examples
    ///
    /// See [`UnixSocket`].
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        if !self.is_stream()? {
            return Err(invalid("listen cannot be called on a datagram socket"));
        }
        self.inner.listen(backlog.min(i32::MAX as u32) as i32)?;
        UnixListener::from_std(OwnedFd::from(self.inner).into())
    }

    /// Connects the stream socket to `path` through the ring (`IORING_OP_CONNECT`).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a datagram socket ("connect cannot be called on a datagram
    /// socket"); `NotFound`, `ConnectionRefused`; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`UnixSocket`].
    pub async fn connect<P: AsRef<Path>>(self, path: P) -> io::Result<UnixStream> {
        if !self.is_stream()? {
            return Err(invalid("connect cannot be called on a datagram socket"));
        }
        let addr = unix_path_addr(path.as_ref())?;
        let fd = connect_socket(self.inner.into(), &addr).await?;
        Ok(UnixStream::from_core(StreamCore::new(fd)))
    }

    /// Makes the datagram socket a [`UnixDatagram`].
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a stream socket ("datagram cannot be called on a stream socket").
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::net::UnixSocket;
    /// let dir = tempfile::tempdir().unwrap();
    /// let sock = UnixSocket::new_datagram().unwrap();
    /// sock.bind(dir.path().join("d")).unwrap();
    /// let d = sock.datagram().unwrap();
    /// assert!(d.local_addr().unwrap().as_pathname().is_some());
    /// ```
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        if self.is_stream()? {
            return Err(invalid("datagram cannot be called on a stream socket"));
        }
        UnixDatagram::from_std(OwnedFd::from(self.inner).into())
    }
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

impl std::os::fd::AsRawFd for UnixSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.as_raw_fd()
    }
}

impl std::os::fd::AsFd for UnixSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl std::os::fd::IntoRawFd for UnixSocket {
    fn into_raw_fd(self) -> std::os::fd::RawFd {
        self.inner.into_raw_fd()
    }
}

/// Takes ownership of `fd`, which must be an open Unix-domain socket.
impl std::os::fd::FromRawFd for UnixSocket {
    #[allow(unsafe_code)]
    unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> UnixSocket {
        UnixSocket {
            // SAFETY: the caller hands over an open fd it owns (FromRawFd's contract).
            inner: unsafe { Socket::from_raw_fd(fd) },
        }
    }
}
