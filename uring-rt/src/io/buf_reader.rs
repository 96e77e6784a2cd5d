//! [`BufReader`]: fewer, larger reads.

use std::io::{self, SeekFrom};

use super::{AsyncReadOwned, AsyncWriteOwned, FileCursor};
use crate::buf::{fill_from, BufResult, IoBuf, IoBufMut};

const DEFAULT_CAPACITY: usize = 8 * 1024;

/// Reads from `R` in large chunks into a buffer of its own and hands them out in the sizes
/// asked for. A read of at least the capacity with nothing buffered goes straight to `R`.
///
/// Dropping a `read` or `fill_buf` future mid-operation loses no bytes of `R` that the
/// stream itself keeps (see [`TcpStream`](crate::net::TcpStream)); the internal buffer is
/// allocated again on the next fill.
///
/// # Examples
///
/// ```
/// use uring_rt::io::BufReader;
/// use uring_rt::net::UnixStream;
///
/// uring_rt::start(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     a.write_all(b"first line\nsecond".to_vec()).await.0.unwrap();
///     drop(a);
///     let mut r = BufReader::new(b);
///     let (res, line) = r.read_until(b'\n', Vec::new()).await;
///     assert_eq!(res.unwrap(), 11);
///     assert_eq!(line, b"first line\n");
///     let (res, rest) = r.read_until(b'\n', Vec::new()).await;
///     assert_eq!(res.unwrap(), 6);
///     assert_eq!(rest, b"second");
/// });
/// ```
#[derive(Debug)]
pub struct BufReader<R> {
    inner: R,
    /// `buf[pos..]` is buffered and not yet handed out.
    buf: Vec<u8>,
    pos: usize,
    capacity: usize,
}

impl<R: AsyncReadOwned> BufReader<R> {
    /// A reader with an 8 KiB buffer.
    ///
    /// # Examples
    ///
    /// See [`BufReader`].
    pub fn new(inner: R) -> BufReader<R> {
        BufReader::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// A reader with a buffer of `capacity` bytes (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::io::BufReader;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let a = uring_rt::net::UnixStream::from_std(a).unwrap();
    /// let r = BufReader::with_capacity(64 * 1024, a);
    /// assert_eq!(r.capacity(), 64 * 1024);
    /// ```
    pub fn with_capacity(capacity: usize, inner: R) -> BufReader<R> {
        let capacity = capacity.max(1);
        BufReader {
            inner,
            buf: Vec::with_capacity(capacity),
            pos: 0,
            capacity,
        }
    }

    /// The size of the internal buffer.
    ///
    /// # Examples
    ///
    /// See [`with_capacity`](BufReader::with_capacity).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The buffered bytes not handed out yet (no I/O).
    ///
    /// # Examples
    ///
    /// See [`fill_buf`](BufReader::fill_buf).
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// The buffered bytes, reading from `R` first if none are left; empty at the end of the
    /// stream. Call [`consume`](BufReader::consume) with what was used.
    ///
    /// # Errors
    ///
    /// The error of `R`'s read.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::io::BufReader;
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     a.write_all(b"abc".to_vec()).await.0.unwrap();
    ///     let mut r = BufReader::new(b);
    ///     assert_eq!(r.fill_buf().await.unwrap(), b"abc");
    ///     r.consume(2);
    ///     assert_eq!(r.buffer(), b"c");
    /// });
    /// ```
    pub async fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.buf.len() {
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            if buf.capacity() < self.capacity {
                buf.reserve_exact(self.capacity);
            }
            self.pos = 0;
            let (res, buf) = self.inner.read(buf).await;
            self.buf = buf;
            if let Err(e) = res {
                self.buf.clear();
                return Err(e);
            }
        }
        Ok(&self.buf[self.pos..])
    }

    /// Marks `n` buffered bytes as used (at most what is buffered).
    ///
    /// # Examples
    ///
    /// See [`fill_buf`](BufReader::fill_buf).
    pub fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }

    /// Appends bytes to `out` up to and including `byte` (or to the end of the stream); the
    /// number appended, 0 at the end of the stream.
    ///
    /// # Errors
    ///
    /// The error of `R`'s read (what was read before it is in `out`).
    ///
    /// # Examples
    ///
    /// See [`BufReader`].
    pub async fn read_until(&mut self, byte: u8, mut out: Vec<u8>) -> BufResult<usize, Vec<u8>> {
        let start = out.len();
        loop {
            let avail = match self.fill_buf().await {
                Ok(a) => a,
                Err(e) => return (Err(e), out),
            };
            if avail.is_empty() {
                return (Ok(out.len() - start), out);
            }
            match avail.iter().position(|&b| b == byte) {
                Some(i) => {
                    out.extend_from_slice(&avail[..=i]);
                    self.consume(i + 1);
                    return (Ok(out.len() - start), out);
                }
                None => {
                    let n = avail.len();
                    out.extend_from_slice(avail);
                    self.consume(n);
                }
            }
        }
    }

    /// The reader inside.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let r = uring_rt::io::BufReader::new(uring_rt::net::UnixStream::from_std(a).unwrap());
    /// assert!(r.get_ref().local_addr().is_ok());
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The reader inside, mutably (reading from it directly skips the buffered bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let mut r = uring_rt::io::BufReader::new(uring_rt::net::UnixStream::from_std(a).unwrap());
    /// assert!(r.get_mut().local_addr().is_ok());
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The reader and the buffered bytes it had not handed out, so none is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::io::{AsyncReadOwned, BufReader};
    /// use uring_rt::net::UnixStream;
    /// uring_rt::start(async {
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     a.write_all(b"abcd".to_vec()).await.0.unwrap();
    ///     let mut r = BufReader::new(b);
    ///     let (res, one) = r.read(Vec::with_capacity(1)).await;
    ///     assert_eq!((res.unwrap(), &one[..]), (1, &b"a"[..]));
    ///     let (_b, rest) = r.into_parts();
    ///     assert_eq!(rest, b"bcd");
    /// });
    /// ```
    pub fn into_parts(mut self) -> (R, Vec<u8>) {
        let rest = self.buf.split_off(self.pos);
        (self.inner, rest)
    }
}

impl BufReader<FileCursor> {
    /// The position in the file of the next byte [`read`](AsyncReadOwned::read) hands out:
    /// the cursor's position less what is buffered and not handed out yet.
    ///
    /// # Examples
    ///
    /// See [`seek`](BufReader::seek).
    pub fn position(&self) -> u64 {
        self.inner.position() - self.buffer().len() as u64
    }

    /// Moves to a new position, as tokio's `BufReader` seeks: `SeekFrom::Current` counts
    /// from the position of the next byte to be handed out (not the cursor's, which is
    /// ahead by what is buffered); the buffer is dropped; the new position is returned.
    ///
    /// # Errors
    ///
    /// As [`FileCursor::seek`] (`InvalidInput` for a position before 0 or past
    /// `i64::MAX`). After an error, reading goes on from where it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::SeekFrom;
    /// use uring_rt::io::BufReader;
    ///
    /// uring_rt::start(async {
    ///     let dir = tempfile::tempdir().unwrap();
    ///     let path = dir.path().join("f");
    ///     std::fs::write(&path, b"0123456789").unwrap();
    ///     let file = uring_rt::fs::File::open(&path).await.unwrap();
    ///     let mut r = BufReader::with_capacity(4, file.cursor());
    ///     assert_eq!(r.fill_buf().await.unwrap(), b"0123");
    ///     r.consume(1);
    ///     assert_eq!(r.position(), 1);
    ///     assert_eq!(r.seek(SeekFrom::Current(2)).await.unwrap(), 3);
    ///     assert_eq!(r.fill_buf().await.unwrap(), b"3456");
    /// });
    /// ```
    pub async fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        if let SeekFrom::Current(_) = to {
            // Put the cursor where the reader is; it cannot fail (at most the cursor's
            // position) and leaves nothing buffered.
            let here = self.position();
            self.inner.seek(SeekFrom::Start(here)).await?;
            self.discard();
        }
        let pos = self.inner.seek(to).await?;
        self.discard();
        Ok(pos)
    }

    fn discard(&mut self) {
        self.buf.clear();
        self.pos = 0;
    }
}

impl<R: AsyncReadOwned> AsyncReadOwned for BufReader<R> {
    async fn read<B: IoBufMut>(&mut self, mut buf: B) -> BufResult<usize, B> {
        if self.pos >= self.buf.len() && buf.bytes_total() >= self.capacity {
            return self.inner.read(buf).await;
        }
        let avail = match self.fill_buf().await {
            Ok(a) => a,
            Err(e) => return (Err(e), buf),
        };
        let n = fill_from(&mut buf, avail);
        self.consume(n);
        (Ok(n), buf)
    }
}

impl<R: AsyncReadOwned + AsyncWriteOwned> AsyncWriteOwned for BufReader<R> {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        self.inner.write(buf).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().await
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        self.inner.shutdown().await
    }
}
