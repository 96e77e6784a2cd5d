//! [`Compat`]: the owned read buffer and in-flight write that adapt a stream to poll-based
//! I/O, whatever trait family (tokio, futures, hyper) sits on top.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use crate::buf::{BufResult, IoBuf, Slice};
use crate::net::{OwnedReadHalf, OwnedWriteHalf, TcpStream, UnixStream};

const READ_CAPACITY: usize = 16 * 1024;
const WRITE_CAPACITY: usize = 64 * 1024;

type ReadFuture = Pin<Box<dyn Future<Output = BufResult<usize, Vec<u8>>>>>;
type WriteFuture = Pin<Box<dyn Future<Output = BufResult<usize, Slice<Vec<u8>>>>>>;

#[allow(unreachable_pub)] // sealed: public in a private module
mod sealed {
    use super::*;

    pub trait Read: 'static {
        fn read_owned(this: Rc<Self>, buf: Vec<u8>) -> ReadFuture;
    }

    pub trait Write: 'static {
        fn write_owned(this: Rc<Self>, buf: Slice<Vec<u8>>) -> WriteFuture;
        fn shutdown_write(&self) -> io::Result<()>;
    }
}

/// A stream [`Compat`] can read from: [`TcpStream`], [`UnixStream`], [`OwnedReadHalf`].
/// Sealed.
///
/// # Examples
///
/// ```
/// fn wrap<S: uring_rt::compat::CompatRead>(s: S) -> uring_rt::compat::Compat<S> {
///     uring_rt::compat::Compat::new(s)
/// }
/// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
/// let _c = wrap(uring_rt::net::UnixStream::from_std(a).unwrap());
/// ```
pub trait CompatRead: sealed::Read {}

/// A stream [`Compat`] can write to: [`TcpStream`], [`UnixStream`], [`OwnedWriteHalf`].
/// Sealed.
///
/// # Examples
///
/// ```
/// fn wrap<S: uring_rt::compat::CompatWrite>(s: S) -> uring_rt::compat::Compat<S> {
///     uring_rt::compat::Compat::new(s)
/// }
/// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
/// let _c = wrap(uring_rt::net::UnixStream::from_std(a).unwrap());
/// ```
pub trait CompatWrite: sealed::Write {}

macro_rules! read_impl {
    ($($t:ty),*) => {$(
        impl sealed::Read for $t {
            fn read_owned(this: Rc<Self>, buf: Vec<u8>) -> ReadFuture {
                Box::pin(async move { this.read(buf).await })
            }
        }
        impl CompatRead for $t {}
    )*};
}

macro_rules! write_impl {
    ($($t:ty => $shutdown:expr),*) => {$(
        impl sealed::Write for $t {
            fn write_owned(this: Rc<Self>, buf: Slice<Vec<u8>>) -> WriteFuture {
                Box::pin(async move { this.write(buf).await })
            }
            fn shutdown_write(&self) -> io::Result<()> {
                let f: fn(&$t) -> io::Result<()> = $shutdown;
                f(self)
            }
        }
        impl CompatWrite for $t {}
    )*};
}

read_impl!(TcpStream, UnixStream, OwnedReadHalf);
write_impl!(
    TcpStream => |s| s.shutdown_write(),
    UnixStream => |s| s.shutdown_write(),
    OwnedWriteHalf => |s| s.shutdown()
);

/// A uring-rt stream with poll-based `AsyncRead`/`AsyncWrite` (tokio's, futures', hyper's,
/// by feature; see the [module doc](crate::compat)).
///
/// - `Unpin` whatever `S` is; not `Send` (it lives on its runtime's thread, as hyper's local
///   executor and tokio's `LocalSet` expect).
/// - A read and a write may be in flight at once, from one task or two (after
///   `tokio::io::split`).
/// - `poll_write` returns as soon as the bytes are copied and their `send` started; the
///   result of that `send` comes with the next `poll_write`, `poll_flush` or
///   `poll_shutdown`. So flush before dropping, as with any buffered writer.
/// - `poll_shutdown`/`poll_close` flush, then send FIN (`shutdown(SHUT_WR)`).
/// - **Dropping mid-operation** is safe: an in-flight `recv` or `send` keeps its buffer in the
///   runtime until the kernel is done. Bytes the kernel received for a dropped `recv` are
///   kept by the stream and returned by its next read; bytes `Compat` read but did not
///   hand out yet come back from [`into_parts`](Compat::into_parts). Bytes of a `send` still
///   in flight when `Compat` is dropped are sent or not: flush first.
///
/// # Examples
///
/// ```
/// use uring_rt::compat::Compat;
/// use uring_rt::net::{TcpListener, TcpStream};
///
/// uring_rt::start(async {
///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
///     let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
///     let (s, _) = l.accept().await.unwrap();
///     let s = Compat::with_capacity(4096, s);
///     c.write_all(b"data".to_vec()).await.0.unwrap();
///     assert_eq!(s.get_ref().peer_addr().unwrap(), c.local_addr().unwrap());
/// });
/// ```
pub struct Compat<S> {
    io: Rc<S>,
    /// `rbuf[rpos..]` was read and not handed out yet; `rfut` fills `rbuf` when empty.
    rbuf: Vec<u8>,
    rpos: usize,
    rcap: usize,
    rfut: Option<ReadFuture>,
    /// The in-flight send, or the idle write buffer in `wspare`.
    wfut: Option<WriteFuture>,
    wspare: Vec<u8>,
    /// The error of a send that completed while nobody waited for it.
    werr: Option<io::Error>,
}

impl<S> std::fmt::Debug for Compat<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compat")
            .field("buffered", &(self.rbuf.len() - self.rpos))
            .field("reading", &self.rfut.is_some())
            .field("writing", &self.wfut.is_some())
            .finish()
    }
}

impl<S> Compat<S> {
    /// Wraps `stream` with a 16 KiB read buffer.
    ///
    /// # Examples
    ///
    /// See [`Compat`].
    pub fn new(stream: S) -> Compat<S> {
        Compat::with_capacity(READ_CAPACITY, stream)
    }

    /// Wraps `stream` with a read buffer of `capacity` bytes (at least 1): the most one
    /// `recv` asks for.
    ///
    /// # Examples
    ///
    /// See [`Compat`].
    pub fn with_capacity(capacity: usize, stream: S) -> Compat<S> {
        Compat {
            io: Rc::new(stream),
            rbuf: Vec::new(),
            rpos: 0,
            rcap: capacity.max(1),
            rfut: None,
            wfut: None,
            wspare: Vec::new(),
            werr: None,
        }
    }

    /// The stream.
    ///
    /// # Examples
    ///
    /// See [`Compat`].
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The stream, and the bytes read from it that were not handed out yet (they come
    /// before anything the stream reads next). A read in flight is cancelled: what the
    /// kernel received for it stays with the stream for its next read, so no byte is lost.
    /// A write in flight is cancelled too: flush before, or some bytes `poll_write` accepted
    /// may not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::compat::Compat;
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     let (b, unread) = Compat::new(b).into_parts();
    ///     assert!(unread.is_empty());
    ///     a.write_all(b"later".to_vec()).await.0.unwrap();
    ///     let (res, buf) = b.read(Vec::with_capacity(8)).await;
    ///     assert_eq!(&buf[..res.unwrap()], b"later");
    /// });
    /// ```
    pub fn into_parts(mut self) -> (S, Vec<u8>) {
        // Dropping the futures drops their `Rc` clones and hands their ops to the runtime.
        self.rfut = None;
        self.wfut = None;
        let unread = self.rbuf.split_off(self.rpos.min(self.rbuf.len()));
        match Rc::try_unwrap(self.io) {
            Ok(io) => (io, unread),
            // Only the two futures above ever held a clone.
            Err(_) => unreachable!("Compat's stream is shared only with its own futures"),
        }
    }
}

#[cfg_attr(
    not(any(feature = "tokio-io", feature = "futures-io", feature = "hyper")),
    allow(dead_code)
)]
impl<S: CompatRead> Compat<S> {
    /// The bytes read and not handed out yet, reading first if there are none; empty at the
    /// end of the stream.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        if self.rpos < self.rbuf.len() {
            return Poll::Ready(Ok(&self.rbuf[self.rpos..]));
        }
        let fut = match &mut self.rfut {
            Some(fut) => fut,
            None => {
                let mut buf = std::mem::take(&mut self.rbuf);
                buf.clear();
                if buf.capacity() < self.rcap {
                    buf.reserve_exact(self.rcap);
                }
                self.rpos = 0;
                self.rfut.insert(S::read_owned(self.io.clone(), buf))
            }
        };
        let (res, buf) = ready!(fut.as_mut().poll(cx));
        self.rfut = None;
        self.rbuf = buf;
        match res {
            Ok(_) => Poll::Ready(Ok(&self.rbuf[..])),
            Err(e) => {
                self.rbuf.clear();
                Poll::Ready(Err(e))
            }
        }
    }

    /// Marks `n` buffered bytes as handed out.
    pub(crate) fn consume(&mut self, n: usize) {
        self.rpos = (self.rpos + n).min(self.rbuf.len());
    }

    /// Reads at most `room` bytes, giving them to `put`; the count (0: end of stream).
    pub(crate) fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        room: usize,
        put: impl FnOnce(&[u8]),
    ) -> Poll<io::Result<usize>> {
        if room == 0 {
            return Poll::Ready(Ok(0));
        }
        let avail = ready!(self.poll_fill(cx))?;
        let n = avail.len().min(room);
        put(&avail[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}

#[cfg_attr(
    not(any(feature = "tokio-io", feature = "futures-io", feature = "hyper")),
    allow(dead_code)
)]
impl<S: CompatWrite> Compat<S> {
    /// Waits until no send is in flight; the error of a send that failed.
    pub(crate) fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(fut) = &mut self.wfut {
            let (res, slice) = ready!(fut.as_mut().poll(cx));
            self.wfut = None;
            let (begin, end) = (slice.begin(), slice.end());
            let mut buf = slice.into_inner();
            let err = match res {
                Ok(n) if n > 0 && begin + n < end => {
                    let rest = buf.slice(begin + n..end);
                    self.wfut = Some(S::write_owned(self.io.clone(), rest));
                    continue;
                }
                Ok(0) if begin < end => Some(io::ErrorKind::WriteZero.into()),
                Ok(_) => None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    self.wfut = Some(S::write_owned(self.io.clone(), buf.slice(begin..end)));
                    continue;
                }
                Err(e) => Some(e),
            };
            buf.clear();
            self.wspare = buf;
            if let Some(e) = err {
                self.werr = Some(e);
            }
        }
        match self.werr.take() {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Copies up to 64 KiB of `bufs` into the write buffer and starts sending it; the count.
    pub(crate) fn poll_write_bufs(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_drain(cx))?;
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let want = total.min(WRITE_CAPACITY);
        if want == 0 {
            return Poll::Ready(Ok(0));
        }
        let mut buf = std::mem::take(&mut self.wspare);
        buf.clear();
        buf.reserve(want);
        for b in bufs {
            let take = (want - buf.len()).min(b.len());
            buf.extend_from_slice(&b[..take]);
            if buf.len() == want {
                break;
            }
        }
        self.wfut = Some(S::write_owned(self.io.clone(), buf.slice(..want)));
        // Poll once now: this queues the send (so it goes out even if nobody polls again)
        // and takes a completion that is already there. Its error waits for the next call.
        if let Poll::Ready(Err(e)) = self.poll_drain(cx) {
            self.werr = Some(e);
        }
        Poll::Ready(Ok(want))
    }

    /// Flushes, then shuts down the write side (FIN).
    pub(crate) fn poll_shutdown_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Poll::Ready(self.io.shutdown_write())
    }
}
