//! [`AsyncReadOwnedExt`] and [`AsyncWriteOwnedExt`]: loops over `read` and `write`.

use std::io;

use super::{AsyncReadOwned, AsyncWriteOwned};
use crate::buf::{BufResult, IoBuf, IoBufMut};

/// How much `read_to_end` asks for at least per read.
const READ_TO_END_CHUNK: usize = 8 * 1024;

/// `read_exact` and `read_to_end` for every [`AsyncReadOwned`].
///
/// # Examples
///
/// ```
/// use uring_rt::io::AsyncReadOwnedExt;
/// use uring_rt::net::UnixStream;
///
/// uring_rt::start(async {
///     let (a, mut b) = UnixStream::pair().unwrap();
///     a.write_all(b"0123456789".to_vec()).await.0.unwrap();
///     drop(a);
///     let (res, head) = b.read_exact(Vec::with_capacity(4)).await;
///     res.unwrap();
///     assert_eq!(head, b"0123");
///     let (res, rest) = b.read_to_end(Vec::new()).await;
///     assert_eq!(res.unwrap(), 6);
///     assert_eq!(rest, b"456789");
/// });
/// ```
#[allow(async_fn_in_trait)] // local (thread-per-core) futures: no Send bound wanted
pub trait AsyncReadOwnedExt: AsyncReadOwned {
    /// Reads until `buf` is full: all of its `bytes_total()`, from its start (a
    /// `Vec::with_capacity(n)` comes back with `len() == n`).
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` when the stream ends first (the bytes read so far are in `buf`,
    /// `bytes_init()` says how many); the reader's error otherwise. `Interrupted` is retried.
    ///
    /// # Examples
    ///
    /// See [`AsyncReadOwnedExt`].
    async fn read_exact<B: IoBufMut>(&mut self, mut buf: B) -> BufResult<(), B> {
        let total = buf.bytes_total();
        let mut filled = 0;
        while filled < total {
            let (res, slice) = self.read(buf.slice(filled..total)).await;
            buf = slice.into_inner();
            match res {
                Ok(0) => return (Err(io::ErrorKind::UnexpectedEof.into()), buf),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }

    /// Reads to the end of the stream, appending to `buf` (growing it as needed); the
    /// number of bytes appended.
    ///
    /// # Errors
    ///
    /// The reader's error (what was read before it stays in `buf`). `Interrupted` is retried.
    ///
    /// # Examples
    ///
    /// See [`AsyncReadOwnedExt`].
    async fn read_to_end(&mut self, mut buf: Vec<u8>) -> BufResult<usize, Vec<u8>> {
        let start = buf.len();
        loop {
            if buf.capacity() - buf.len() < READ_TO_END_CHUNK {
                buf.reserve(buf.len().max(READ_TO_END_CHUNK));
            }
            let len = buf.len();
            let (res, slice) = self.read(buf.slice(len..)).await;
            buf = slice.into_inner();
            match res {
                Ok(0) => return (Ok(buf.len() - start), buf),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
    }
}

impl<R: AsyncReadOwned + ?Sized> AsyncReadOwnedExt for R {}

/// `write_all` for every [`AsyncWriteOwned`].
///
/// # Examples
///
/// ```
/// use uring_rt::io::AsyncWriteOwnedExt;
/// use uring_rt::net::UnixStream;
///
/// uring_rt::start(async {
///     let (mut a, b) = UnixStream::pair().unwrap();
///     let (res, buf) = AsyncWriteOwnedExt::write_all(&mut a, vec![7u8; 100_000]).await;
///     res.unwrap();
///     assert_eq!(buf.len(), 100_000); // the buffer comes back
///     # drop(b);
/// });
/// ```
#[allow(async_fn_in_trait)] // local (thread-per-core) futures: no Send bound wanted
pub trait AsyncWriteOwnedExt: AsyncWriteOwned {
    /// Writes all of `buf`'s initialized bytes, in as many writes as it takes.
    ///
    /// # Errors
    ///
    /// `WriteZero` when the writer accepts nothing; the writer's error otherwise (some
    /// bytes may have been written). `Interrupted` is retried.
    ///
    /// # Examples
    ///
    /// See [`AsyncWriteOwnedExt`].
    async fn write_all<B: IoBuf>(&mut self, buf: B) -> BufResult<(), B> {
        let len = buf.bytes_init();
        let mut done = 0;
        let mut buf = buf;
        while done < len {
            let (res, slice) = self.write(buf.slice(done..len)).await;
            buf = slice.into_inner();
            match res {
                Ok(0) => return (Err(io::ErrorKind::WriteZero.into()), buf),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }
}

impl<W: AsyncWriteOwned + ?Sized> AsyncWriteOwnedExt for W {}
