//! [`AsyncReadOwned`] and [`AsyncWriteOwned`]: reading and writing with owned buffers.

use std::io;

use crate::buf::{BufResult, IoBuf, IoBufMut};

/// A source of bytes that reads into buffers it owns while the kernel fills them.
///
/// The completion-based counterpart of `tokio::io::AsyncRead`: the buffer goes in by value
/// and comes back with the result, so dropping the future mid-read never leaves the kernel
/// writing into freed memory. Implemented by [`TcpStream`](crate::net::TcpStream),
/// [`UnixStream`](crate::net::UnixStream), [`OwnedReadHalf`](crate::net::OwnedReadHalf),
/// [`FileCursor`](super::FileCursor) and [`BufReader`](super::BufReader). Extra methods
/// (`read_exact`, `read_to_end`) come from [`AsyncReadOwnedExt`](super::AsyncReadOwnedExt).
///
/// The futures are not `Send`: uring-rt runs them on the runtime that owns the ring.
///
/// # Examples
///
/// ```
/// use uring_rt::io::AsyncReadOwned;
/// use uring_rt::net::UnixStream;
///
/// async fn first_byte<R: AsyncReadOwned>(r: &mut R) -> std::io::Result<u8> {
///     let (res, buf) = r.read(Vec::with_capacity(1)).await;
///     res?;
///     buf.first().copied().ok_or(std::io::ErrorKind::UnexpectedEof.into())
/// }
///
/// uring_rt::start(async {
///     let (a, mut b) = UnixStream::pair().unwrap();
///     a.write_all(b"z".to_vec()).await.0.unwrap();
///     assert_eq!(first_byte(&mut b).await.unwrap(), b'z');
/// });
/// ```
#[allow(async_fn_in_trait)] // local (thread-per-core) futures: no Send bound wanted
pub trait AsyncReadOwned {
    /// Reads into `buf`'s room (`bytes_total()`), from its start; the count, 0 at the end
    /// of the stream.
    ///
    /// # Errors
    ///
    /// The source's I/O error; the buffer comes back either way.
    ///
    /// # Examples
    ///
    /// See [`AsyncReadOwned`].
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B>;
}

/// A sink of bytes that writes from buffers it owns while the kernel reads them.
///
/// The completion-based counterpart of `tokio::io::AsyncWrite`. Implemented by
/// [`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream),
/// [`OwnedWriteHalf`](crate::net::OwnedWriteHalf), [`FileCursor`](super::FileCursor) and
/// [`BufWriter`](super::BufWriter). `write_all` comes from
/// [`AsyncWriteOwnedExt`](super::AsyncWriteOwnedExt).
///
/// # Examples
///
/// ```
/// use uring_rt::io::{AsyncWriteOwned, AsyncWriteOwnedExt};
/// use uring_rt::net::UnixStream;
///
/// async fn greet<W: AsyncWriteOwned>(w: &mut W) -> std::io::Result<()> {
///     w.write_all(b"hello".to_vec()).await.0?;
///     w.shutdown().await // end of stream for the peer
/// }
///
/// uring_rt::start(async {
///     let (mut a, b) = UnixStream::pair().unwrap();
///     greet(&mut a).await.unwrap();
///     let (res, buf) = b.read(Vec::with_capacity(8)).await;
///     assert_eq!(&buf[..res.unwrap()], b"hello");
///     assert_eq!(b.read(Vec::with_capacity(8)).await.0.unwrap(), 0);
/// });
/// ```
#[allow(async_fn_in_trait)] // local (thread-per-core) futures: no Send bound wanted
pub trait AsyncWriteOwned {
    /// Writes some of `buf`'s initialized bytes (`bytes_init()`); the count.
    ///
    /// # Errors
    ///
    /// The sink's I/O error (`BrokenPipe` for a closed peer, ...); the buffer comes back.
    ///
    /// # Examples
    ///
    /// See [`AsyncWriteOwned`].
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B>;

    /// Pushes out whatever the writer buffers itself. A socket or a file buffers nothing
    /// in user space, so this returns at once for them.
    ///
    /// # Errors
    ///
    /// The error of writing out the buffered bytes.
    ///
    /// # Examples
    ///
    /// See [`BufWriter`](super::BufWriter).
    async fn flush(&mut self) -> io::Result<()>;

    /// Flushes, then ends the stream: a socket sends FIN (`shutdown(SHUT_WR)`); a file has
    /// nothing to end.
    ///
    /// # Errors
    ///
    /// As [`flush`](AsyncWriteOwned::flush); `NotConnected` for a socket already gone.
    ///
    /// # Examples
    ///
    /// See [`AsyncWriteOwned`].
    async fn shutdown(&mut self) -> io::Result<()>;
}
