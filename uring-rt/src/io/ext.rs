//! [`AsyncReadOwnedExt`] and [`AsyncWriteOwnedExt`]: loops over `read` and `write`.

use std::io;

use super::{AsyncReadOwned, AsyncWriteOwned};
use crate::buf::{BufResult, IoBuf, IoBufMut};

/// The size of `read_to_end`'s probe read, and the least room it reserves (tokio's figure).
const PROBE: usize = 32;

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
    /// Growth follows tokio's `read_to_end`: a buffer with room for what comes is never
    /// reallocated (a `Vec::with_capacity(file_len)` is read into as is). When the buffer
    /// starts (nearly) full, a 32-byte probe read checks for the end of the stream before the
    /// buffer is grown; after that the buffer doubles as `Vec::reserve` does.
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
        let starting_capacity = buf.capacity();
        loop {
            let res = if buf.capacity() - buf.len() < PROBE && buf.capacity() == starting_capacity {
                // Full (or nearly) as handed in: maybe the stream is at its end already, and
                // growing the buffer would be for nothing.
                let (res, probe) = self.read(Vec::with_capacity(PROBE)).await;
                if res.is_ok() {
                    buf.extend_from_slice(&probe);
                }
                res
            } else {
                buf.reserve(PROBE);
                let len = buf.len();
                let (res, slice) = self.read(buf.slice(len..)).await;
                buf = slice.into_inner();
                res
            };
            match res {
                Ok(0) => return (Ok(buf.len() - start), buf),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
    }

    /// Reads to the end of the stream, appending UTF-8 text to `buf`; the number of bytes
    /// appended. As `tokio::io::AsyncReadExt::read_to_string`.
    ///
    /// # Errors
    ///
    /// `InvalidData` when the bytes read are not valid UTF-8: then `buf` comes back as it was
    /// handed in. On the reader's error, `buf` keeps what was read before it if that is valid
    /// UTF-8, else comes back as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::io::AsyncReadOwnedExt;
    /// uring_rt::start(async {
    ///     let mut src: &[u8] = "grüße".as_bytes();
    ///     let (res, s) = src.read_to_string(String::from(">")).await;
    ///     assert_eq!(res.unwrap(), 7);
    ///     assert_eq!(s, ">grüße");
    /// });
    /// ```
    async fn read_to_string(&mut self, buf: String) -> BufResult<usize, String> {
        let start = buf.len();
        let (res, bytes) = self.read_to_end(buf.into_bytes()).await;
        match String::from_utf8(bytes) {
            Ok(text) => (res, text),
            Err(e) => {
                // `bytes[..start]` came from a `String`: cutting what was read restores it.
                let mut bytes = e.into_bytes();
                bytes.truncate(start);
                let text = String::from_utf8(bytes).expect("the caller's string was UTF-8");
                let res = res.and(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                )));
                (res, text)
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
