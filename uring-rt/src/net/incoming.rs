//! The connections a listener accepts, from one multishot accept.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::OwnedFd;
use std::task::{ready, Context, Poll};

use super::gate::StreamFd;
use super::{TcpStream, UnixStream};
use crate::op::{self, AcceptMulti, MultiOp};

/// The state both listener streams share: a multishot accept yielding fds.
struct AcceptStream {
    fd: StreamFd,
    op: Option<MultiOp<AcceptMulti>>,
}

impl AcceptStream {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<OwnedFd>> {
        if self.op.is_none() {
            let permit = ready!(self.fd.poll_input(cx));
            self.op = Some(MultiOp::new(AcceptMulti::new(permit)));
        }
        let op = self.op.as_mut().expect("armed above");
        // The op holds the input permit: the stash is ours to take from.
        if let Some(conn) = self.fd.take_conn() {
            return Poll::Ready(Ok(conn));
        }
        loop {
            match ready!(op.poll_next(cx)) {
                Some(Ok(c)) => return Poll::Ready(op::accepted(c)),
                Some(Err(e)) => return Poll::Ready(Err(e)),
                // The last completion ended the accept (after an error): re-arm it.
                None => continue,
            }
        }
    }
}

/// The connections of a [`TcpListener`](super::TcpListener), from one multishot accept
/// (`IORING_ACCEPT_MULTISHOT`, kernel 5.19+, the crate's minimum): one SQE, a completion per
/// connection.
///
/// While it exists it is the listener's only acceptor (`accept` calls wait for it to be
/// dropped). Dropping it loses no connection: those the kernel accepted before it saw the
/// cancellation are kept for the listener's next `accept`. An error (such as `EMFILE`) ends
/// the kernel's multishot accept; the next call re-arms it, so the stream keeps working.
///
/// # Examples
///
/// ```
/// use uring_rt::net::{TcpListener, TcpStream};
/// uring_rt::start(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let _c1 = TcpStream::connect(addr).await.unwrap();
///     let _c2 = TcpStream::connect(addr).await.unwrap();
///     let mut incoming = listener.incoming();
///     for _ in 0..2 {
///         let stream = incoming.next().await.unwrap();
///         assert_eq!(stream.local_addr().unwrap(), addr);
///     }
/// });
/// ```
pub struct Incoming {
    inner: AcceptStream,
}

impl fmt::Debug for Incoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("fd", &self.inner.fd)
            .finish()
    }
}

impl Incoming {
    pub(crate) fn new(fd: StreamFd) -> Incoming {
        Incoming {
            inner: AcceptStream { fd, op: None },
        }
    }

    /// The next accepted connection.
    ///
    /// # Errors
    ///
    /// The accept's error: `EMFILE`/`ENFILE` when out of fds (recoverable: free some and call
    /// again), `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// See [`Incoming`].
    pub async fn next(&mut self) -> io::Result<TcpStream> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// Polls for the next accepted connection, as [`next`](Incoming::next).
    ///
    /// # Errors
    ///
    /// As [`next`](Incoming::next).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use uring_rt::net::{TcpListener, TcpStream};
    /// uring_rt::start(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let _c = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let mut incoming = listener.incoming();
    ///     let s = poll_fn(|cx| incoming.poll_next(cx)).await.unwrap();
    ///     assert!(s.peer_addr().is_ok());
    /// });
    /// ```
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        self.inner
            .poll_next(cx)
            .map_ok(|fd| TcpStream::from_core(super::stream::StreamCore::new(fd)))
    }
}

/// The connections of a [`UnixListener`](super::UnixListener), from one multishot accept;
/// see [`Incoming`] for its guarantees.
///
/// # Examples
///
/// ```
/// use uring_rt::net::{UnixListener, UnixStream};
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let path = dir.path().join("sock");
///     let listener = UnixListener::bind(&path).unwrap();
///     let _c = UnixStream::connect(&path).await.unwrap();
///     let mut incoming = listener.incoming();
///     let s = incoming.next().await.unwrap();
///     assert!(s.local_addr().unwrap().as_pathname().is_some());
/// });
/// ```
pub struct UnixIncoming {
    inner: AcceptStream,
}

impl fmt::Debug for UnixIncoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixIncoming")
            .field("fd", &self.inner.fd)
            .finish()
    }
}

impl UnixIncoming {
    pub(crate) fn new(fd: StreamFd) -> UnixIncoming {
        UnixIncoming {
            inner: AcceptStream { fd, op: None },
        }
    }

    /// The next accepted connection.
    ///
    /// # Errors
    ///
    /// As [`Incoming::next`].
    ///
    /// # Examples
    ///
    /// See [`UnixIncoming`].
    pub async fn next(&mut self) -> io::Result<UnixStream> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// Polls for the next accepted connection.
    ///
    /// # Errors
    ///
    /// As [`Incoming::next`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use uring_rt::net::{UnixListener, UnixStream};
    /// uring_rt::start(async {
    ///     let dir = tempfile::tempdir().unwrap();
    ///     let listener = UnixListener::bind(dir.path().join("s")).unwrap();
    ///     let _c = UnixStream::connect(dir.path().join("s")).await.unwrap();
    ///     let mut incoming = listener.incoming();
    ///     assert!(poll_fn(|cx| incoming.poll_next(cx)).await.is_ok());
    /// });
    /// ```
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<UnixStream>> {
        self.inner
            .poll_next(cx)
            .map_ok(|fd| UnixStream::from_core(super::stream::StreamCore::new(fd)))
    }
}
