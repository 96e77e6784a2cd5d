//! [`BufWriter`]: fewer, larger writes.

use std::io::{self, SeekFrom};

use super::{AsyncReadOwned, AsyncWriteOwned, FileCursor};
use crate::buf::{BufResult, IoBuf, IoBufMut};

const DEFAULT_CAPACITY: usize = 8 * 1024;

/// Gathers small writes in a buffer of its own and writes it to `W` when full, on
/// [`flush`](AsyncWriteOwned::flush) and on [`shutdown`](AsyncWriteOwned::shutdown). A write
/// of at least the capacity goes straight to `W` (after what is buffered).
///
/// Bytes still buffered when a `BufWriter` is dropped are **not** written (there is no
/// async drop): flush first.
///
/// # Examples
///
/// ```
/// use uring_rt::io::{AsyncWriteOwned, AsyncWriteOwnedExt, BufWriter};
/// use uring_rt::net::UnixStream;
///
/// uring_rt::start(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     let mut w = BufWriter::new(a);
///     for word in ["one ", "two ", "three"] {
///         w.write_all(word.as_bytes().to_vec()).await.0.unwrap();
///     }
///     assert_eq!(w.buffer(), b"one two three"); // nothing sent yet
///     w.flush().await.unwrap();
///     let (res, buf) = b.read(Vec::with_capacity(64)).await;
///     assert_eq!(&buf[..res.unwrap()], b"one two three");
/// });
/// ```
#[derive(Debug)]
pub struct BufWriter<W> {
    inner: W,
    buf: Vec<u8>,
    capacity: usize,
}

impl<W: AsyncWriteOwned> BufWriter<W> {
    /// A writer with an 8 KiB buffer.
    ///
    /// # Examples
    ///
    /// See [`BufWriter`].
    pub fn new(inner: W) -> BufWriter<W> {
        BufWriter::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// A writer with a buffer of `capacity` bytes (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let a = uring_rt::net::UnixStream::from_std(a).unwrap();
    /// let w = uring_rt::io::BufWriter::with_capacity(100, a);
    /// assert_eq!(w.capacity(), 100);
    /// ```
    pub fn with_capacity(capacity: usize, inner: W) -> BufWriter<W> {
        let capacity = capacity.max(1);
        BufWriter {
            inner,
            buf: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// The size of the buffer.
    ///
    /// # Examples
    ///
    /// See [`with_capacity`](BufWriter::with_capacity).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The bytes buffered and not written yet.
    ///
    /// # Examples
    ///
    /// See [`BufWriter`].
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }

    /// The writer inside.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let w = uring_rt::io::BufWriter::new(uring_rt::net::UnixStream::from_std(a).unwrap());
    /// assert!(w.get_ref().local_addr().is_ok());
    /// ```
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The writer and the bytes still buffered (not written).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::io::{AsyncWriteOwnedExt, BufWriter};
    /// uring_rt::start(async {
    ///     let (a, _b) = uring_rt::net::UnixStream::pair().unwrap();
    ///     let mut w = BufWriter::new(a);
    ///     w.write_all(b"pending".to_vec()).await.0.unwrap();
    ///     let (_a, rest) = w.into_parts();
    ///     assert_eq!(rest, b"pending");
    /// });
    /// ```
    pub fn into_parts(self) -> (W, Vec<u8>) {
        (self.inner, self.buf)
    }

    /// Writes out the buffer. On an error, what was written is removed from it and the
    /// rest stays.
    async fn flush_buf(&mut self) -> io::Result<()> {
        let len = self.buf.len();
        let mut done = 0;
        let mut result = Ok(());
        while done < len {
            let buf = std::mem::take(&mut self.buf);
            let (res, slice) = self.inner.write(buf.slice(done..len)).await;
            self.buf = slice.into_inner();
            match res {
                Ok(0) => {
                    result = Err(io::ErrorKind::WriteZero.into());
                    break;
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.buf.drain(..done);
        result
    }
}

impl BufWriter<FileCursor> {
    /// Writes out what is buffered, then moves the cursor, as tokio's `BufWriter` seeks; the
    /// new position.
    ///
    /// # Errors
    ///
    /// The error of writing out the buffer (then the cursor has not moved), or as
    /// [`FileCursor::seek`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::SeekFrom;
    /// use uring_rt::io::{AsyncWriteOwned, AsyncWriteOwnedExt, BufWriter};
    ///
    /// uring_rt::start(async {
    ///     let dir = tempfile::tempdir().unwrap();
    ///     let path = dir.path().join("f");
    ///     let file = uring_rt::fs::File::create(&path).await.unwrap();
    ///     let mut w = BufWriter::new(file.cursor());
    ///     w.write_all(b"hello world".to_vec()).await.0.unwrap();
    ///     assert_eq!(w.seek(SeekFrom::Start(0)).await.unwrap(), 0);
    ///     w.write_all(b"J".to_vec()).await.0.unwrap();
    ///     w.flush().await.unwrap();
    ///     assert_eq!(std::fs::read(&path).unwrap(), b"Jello world");
    /// });
    /// ```
    pub async fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.flush_buf().await?;
        self.inner.seek(to).await
    }
}

impl<W: AsyncWriteOwned> AsyncWriteOwned for BufWriter<W> {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        let n = buf.bytes_init();
        if self.buf.len() + n > self.capacity {
            if let Err(e) = self.flush_buf().await {
                return (Err(e), buf);
            }
        }
        if n >= self.capacity {
            return self.inner.write(buf).await;
        }
        let slice = buf.slice(..);
        self.buf.extend_from_slice(&slice[..n]);
        (Ok(n), slice.into_inner())
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.flush_buf().await?;
        self.inner.flush().await
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        self.flush_buf().await?;
        self.inner.shutdown().await
    }
}

impl<W: AsyncWriteOwned + AsyncReadOwned> AsyncReadOwned for BufWriter<W> {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        self.inner.read(buf).await
    }
}
