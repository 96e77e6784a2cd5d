//! [`File`]'s positional reads and writes: plain, exact, vectored and with registered
//! buffers.

use super::File;
use crate::buf::{BufResult, FixedIoBuf, IoBuf, IoBufMut};
use crate::op::{Read, ReadFixed, Readv, Write, WriteFixed, Writev};

use std::io;

/// Returns `(Err(e), buf)` from the enclosing function on error.
macro_rules! try_buf {
    ($res:expr, $buf:expr) => {
        if let Err(e) = $res {
            return (Err(e), $buf);
        }
    };
}

/// The offset `done` bytes after `pos`, for the loops of `read_exact_at` and
/// `write_all_at`. `u64::MAX` (the file's current position, which the kernel advances itself)
/// stays `u64::MAX`.
fn advance(pos: u64, done: usize) -> io::Result<u64> {
    if pos == u64::MAX {
        return Ok(pos);
    }
    match pos.checked_add(done as u64) {
        Some(p) if p != u64::MAX => Ok(p),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("file offset {pos} + {done} overflows"),
        )),
    }
}

impl File {
    /// Reads up to `buf.bytes_total()` bytes at offset `pos` into `buf` (from its start);
    /// returns how many were read, 0 at end of file. `IORING_OP_READ`, Linux 5.6+.
    /// `pos == u64::MAX` means the file's current position, which the read advances (io_uring's
    /// `-1`): the offset to use for pipes, FIFOs and character devices, here and in every
    /// positional call of `File`.
    ///
    /// If the future is dropped while the read is in flight, the buffer stays with the
    /// runtime until the kernel is done with it, then is freed.
    ///
    /// # Errors
    ///
    /// From the kernel (`EBADF` on a write-only file, `InvalidInput` for a `pos` past
    /// `i64::MAX` other than `u64::MAX`, ...); `InvalidInput` for misaligned direct I/O;
    /// `Unsupported`; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let tmp = tempfile::NamedTempFile::new().unwrap();
    ///     std::fs::write(tmp.path(), b"hello world").unwrap();
    ///     let file = uring_rt::fs::File::open(tmp.path()).await.unwrap();
    ///     let (res, buf) = file.read_at(vec![0u8; 5], 6).await;
    ///     assert_eq!(res.unwrap(), 5);
    ///     assert_eq!(buf, b"world");
    /// });
    /// ```
    pub async fn read_at<B: IoBufMut>(&self, mut buf: B, pos: u64) -> BufResult<usize, B> {
        try_buf!(
            self.check_direct(buf.stable_mut_ptr(), buf.bytes_total(), pos),
            buf
        );
        let (res, buf) = match Read::op(&self.fd, buf, pos) {
            Ok(op) => op.eager(self.is_direct()).await,
            Err((e, buf)) => return (Err(e), buf),
        };
        (self.explain(res), buf)
    }

    /// Writes `buf`'s initialized bytes at offset `pos`; returns how many were written.
    /// `IORING_OP_WRITE`, Linux 5.6+.
    ///
    /// # Errors
    ///
    /// As [`read_at`](File::read_at).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     let (res, buf) = file.write_at(b"hello".to_vec(), 0).await;
    ///     assert_eq!(res.unwrap(), 5);
    ///     assert_eq!(buf, b"hello");
    /// });
    /// ```
    pub async fn write_at<B: IoBuf>(&self, buf: B, pos: u64) -> BufResult<usize, B> {
        try_buf!(
            self.check_direct(buf.stable_ptr(), buf.bytes_init(), pos),
            buf
        );
        let (res, buf) = match Write::op(&self.fd, buf, pos) {
            Ok(op) => op.eager(self.is_direct()).await,
            Err((e, buf)) => return (Err(e), buf),
        };
        (self.explain(res), buf)
    }

    /// Reads exactly `buf.bytes_total()` bytes at `pos`, looping on short reads.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` when the file ends first (the bytes read so far are in `buf`); else
    /// as [`read_at`](File::read_at).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// uring_rt::start(async {
    ///     let tmp = tempfile::NamedTempFile::new().unwrap();
    ///     std::fs::write(tmp.path(), b"abc").unwrap();
    ///     let file = uring_rt::fs::File::open(tmp.path()).await.unwrap();
    ///     let (res, buf) = file.read_exact_at(vec![0u8; 2], 1).await;
    ///     res.unwrap();
    ///     assert_eq!(buf, b"bc");
    ///     let (res, _) = file.read_exact_at(vec![0u8; 8], 0).await;
    ///     assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
    /// });
    /// ```
    pub async fn read_exact_at<B: IoBufMut>(&self, mut buf: B, pos: u64) -> BufResult<(), B> {
        let total = buf.bytes_total();
        let mut done = 0;
        while done < total {
            let at = match advance(pos, done) {
                Ok(at) => at,
                Err(e) => return (Err(e), buf),
            };
            let (res, slice) = self.read_at(buf.slice(done..), at).await;
            buf = slice.into_inner();
            match res {
                Ok(0) => {
                    let e = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("end of file after {done} of {total} bytes"),
                    );
                    return (Err(e), buf);
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }

    /// Writes all of `buf`'s initialized bytes at `pos`, looping on short writes.
    ///
    /// # Errors
    ///
    /// `WriteZero` when the kernel writes nothing; else as [`write_at`](File::write_at).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let tmp = tempfile::NamedTempFile::new().unwrap();
    ///     let file = uring_rt::fs::File::create(tmp.path()).await.unwrap();
    ///     let (res, _) = file.write_all_at(vec![7u8; 100_000], 10).await;
    ///     res.unwrap();
    ///     assert_eq!(std::fs::metadata(tmp.path()).unwrap().len(), 100_010);
    /// });
    /// ```
    pub async fn write_all_at<B: IoBuf>(&self, mut buf: B, pos: u64) -> BufResult<(), B> {
        let init = buf.bytes_init();
        let mut done = 0;
        while done < init {
            let at = match advance(pos, done) {
                Ok(at) => at,
                Err(e) => return (Err(e), buf),
            };
            let (res, slice) = self.write_at(buf.slice(done..init), at).await;
            buf = slice.into_inner();
            match res {
                Ok(0) => {
                    let e = io::Error::new(
                        io::ErrorKind::WriteZero,
                        format!("the kernel wrote 0 bytes after {done} of {init}"),
                    );
                    return (Err(e), buf);
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }

    /// Reads at `pos` into the buffers in order, each up to its `bytes_total()`; returns the
    /// total read. `IORING_OP_READV`, Linux 5.1+.
    ///
    /// # Errors
    ///
    /// As [`read_at`](File::read_at).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let tmp = tempfile::NamedTempFile::new().unwrap();
    ///     std::fs::write(tmp.path(), b"abcdef").unwrap();
    ///     let file = uring_rt::fs::File::open(tmp.path()).await.unwrap();
    ///     let (res, bufs) = file.readv_at(vec![vec![0u8; 2], vec![0u8; 3]], 0).await;
    ///     assert_eq!(res.unwrap(), 5);
    ///     assert_eq!(bufs, [b"ab".to_vec(), b"cde".to_vec()]);
    /// });
    /// ```
    pub async fn readv_at<B: IoBufMut>(
        &self,
        mut bufs: Vec<B>,
        pos: u64,
    ) -> BufResult<usize, Vec<B>> {
        for b in &mut bufs {
            let (ptr, len) = (b.stable_mut_ptr(), b.bytes_total());
            try_buf!(self.check_direct(ptr, len, pos), bufs);
        }
        let (res, bufs) = match Readv::op(&self.fd, bufs, pos) {
            Ok(op) => op.eager(self.is_direct()).await,
            Err((e, bufs)) => return (Err(e), bufs),
        };
        (self.explain(res), bufs)
    }

    /// Writes the buffers' initialized bytes, in order, at `pos`; returns the total written.
    /// `IORING_OP_WRITEV`, Linux 5.1+.
    ///
    /// # Errors
    ///
    /// As [`write_at`](File::write_at).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let tmp = tempfile::NamedTempFile::new().unwrap();
    ///     let file = uring_rt::fs::File::create(tmp.path()).await.unwrap();
    ///     let (res, _) = file.writev_at(vec![b"ab".to_vec(), b"cd".to_vec()], 0).await;
    ///     assert_eq!(res.unwrap(), 4);
    ///     assert_eq!(std::fs::read(tmp.path()).unwrap(), b"abcd");
    /// });
    /// ```
    pub async fn writev_at<B: IoBuf>(&self, bufs: Vec<B>, pos: u64) -> BufResult<usize, Vec<B>> {
        for b in &bufs {
            try_buf!(self.check_direct(b.stable_ptr(), b.bytes_init(), pos), bufs);
        }
        let (res, bufs) = match Writev::op(&self.fd, bufs, pos) {
            Ok(op) => op.eager(self.is_direct()).await,
            Err((e, bufs)) => return (Err(e), bufs),
        };
        (self.explain(res), bufs)
    }

    /// Reads into a registered buffer, or a slice of one ([`FixedIoBuf`]), at `pos`
    /// (`IORING_OP_READ_FIXED`, Linux 5.1+).
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `buf` comes from another runtime's pool; else as
    /// [`read_at`](File::read_at).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let tmp = tempfile::NamedTempFile::new().unwrap();
    ///     std::fs::write(tmp.path(), b"fixed").unwrap();
    ///     let pool = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    ///     let file = uring_rt::fs::File::open(tmp.path()).await.unwrap();
    ///     let (res, buf) = file.read_fixed_at(pool.try_get().unwrap(), 0).await;
    ///     assert_eq!(res.unwrap(), 5);
    ///     assert_eq!(&buf[..], b"fixed");
    /// });
    /// ```
    pub async fn read_fixed_at<B: FixedIoBuf>(&self, mut buf: B, pos: u64) -> BufResult<usize, B> {
        try_buf!(
            self.check_direct(buf.stable_mut_ptr(), buf.bytes_total(), pos),
            buf
        );
        let (res, buf) = match ReadFixed::op(&self.fd, buf, pos) {
            Ok(op) => op.eager(self.is_direct()).await,
            Err((e, buf)) => return (Err(e), buf),
        };
        (self.explain(res), buf)
    }

    /// Writes the initialized bytes of a registered buffer, or of a slice of one
    /// ([`FixedIoBuf`]), at `pos` (`IORING_OP_WRITE_FIXED`, Linux 5.1+).
    ///
    /// # Errors
    ///
    /// As [`read_fixed_at`](File::read_fixed_at).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let tmp = tempfile::NamedTempFile::new().unwrap();
    ///     let pool = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    ///     let mut buf = pool.try_get().unwrap();
    ///     buf.extend_from_slice(b"fixed");
    ///     let file = uring_rt::fs::File::create(tmp.path()).await.unwrap();
    ///     let (res, _) = file.write_fixed_at(buf, 0).await;
    ///     assert_eq!(res.unwrap(), 5);
    ///     assert_eq!(std::fs::read(tmp.path()).unwrap(), b"fixed");
    /// });
    /// ```
    pub async fn write_fixed_at<B: FixedIoBuf>(&self, buf: B, pos: u64) -> BufResult<usize, B> {
        try_buf!(
            self.check_direct(buf.stable_ptr(), buf.bytes_init(), pos),
            buf
        );
        let (res, buf) = match WriteFixed::op(&self.fd, buf, pos) {
            Ok(op) => op.eager(self.is_direct()).await,
            Err((e, buf)) => return (Err(e), buf),
        };
        (self.explain(res), buf)
    }
}
