//! [`FileCursor`]: a [`File`] with a position, for the owned-buffer read and write traits.

use std::io::{self, SeekFrom};

use super::{AsyncReadOwned, AsyncWriteOwned};
use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::fs::File;

/// A [`File`] read and written sequentially from a position it keeps, as `std::fs::File`
/// is: each `read` or `write` is one positional `IORING_OP_READ`/`WRITE` at the position,
/// which then moves by the count. Made by [`File::cursor`].
///
/// # Examples
///
/// ```
/// use std::io::SeekFrom;
/// use uring_rt::io::{AsyncReadOwnedExt, AsyncWriteOwnedExt};
/// use uring_rt::fs::OpenOptions;
///
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let path = dir.path().join("f");
///     let file = OpenOptions::new().read(true).write(true).create(true).open(&path).await.unwrap();
///     let mut cur = file.cursor();
///     cur.write_all(b"hello world".to_vec()).await.0.unwrap();
///     assert_eq!(cur.position(), 11);
///     cur.seek(SeekFrom::Start(6)).await.unwrap();
///     let (res, buf) = cur.read_to_end(Vec::new()).await;
///     assert_eq!(res.unwrap(), 5);
///     assert_eq!(buf, b"world");
/// });
/// ```
#[derive(Debug)]
pub struct FileCursor {
    file: File,
    pos: u64,
}

impl File {
    /// Makes this file a [`FileCursor`] starting at position 0, for the sequential
    /// [`AsyncReadOwned`]/[`AsyncWriteOwned`] traits (and [`copy`](super::copy)).
    ///
    /// # Examples
    ///
    /// See [`FileCursor`].
    pub fn cursor(self) -> FileCursor {
        FileCursor { file: self, pos: 0 }
    }
}

impl FileCursor {
    /// The position the next read or write starts at.
    ///
    /// # Examples
    ///
    /// See [`FileCursor`].
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Moves the position as `std::io::Seek` does; the new position. `SeekFrom::End` asks
    /// the file's length (`statx`). Seeking past the end is allowed (a write there leaves a
    /// hole).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a position before 0 or past `i64::MAX`; the `statx` error for
    /// `SeekFrom::End`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::SeekFrom;
    /// uring_rt::start(async {
    ///     let dir = tempfile::tempdir().unwrap();
    ///     let path = dir.path().join("f");
    ///     std::fs::write(&path, b"0123456789").unwrap();
    ///     let mut cur = uring_rt::fs::File::open(&path).await.unwrap().cursor();
    ///     assert_eq!(cur.seek(SeekFrom::End(-3)).await.unwrap(), 7);
    ///     assert_eq!(cur.seek(SeekFrom::Current(-2)).await.unwrap(), 5);
    ///     let err = cur.seek(SeekFrom::Current(-6)).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    ///     assert_eq!(cur.position(), 5); // unchanged by the failed seek
    /// });
    /// ```
    pub async fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let (base, delta) = match to {
            SeekFrom::Start(n) => (n, 0),
            SeekFrom::Current(d) => (self.pos, d),
            SeekFrom::End(d) => (self.file.metadata().await?.len(), d),
        };
        // A file offset is a signed `loff_t`; past `i64::MAX` the positional calls would
        // read `u64::MAX` as "the file's own position" or fail, so refuse it here, as
        // `lseek(2)` does.
        let pos = base
            .checked_add_signed(delta)
            .filter(|&p| i64::try_from(p).is_ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "seek to a position before 0 or past i64::MAX",
                )
            })?;
        self.pos = pos;
        Ok(pos)
    }

    /// The file.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let cur = uring_rt::fs::File::open("/proc/self/stat").await.unwrap().cursor();
    ///     assert!(cur.get_ref().metadata().await.is_ok());
    /// });
    /// ```
    pub fn get_ref(&self) -> &File {
        &self.file
    }

    /// The file and the position.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let cur = uring_rt::fs::File::open("/proc/self/stat").await.unwrap().cursor();
    ///     let (_file, pos) = cur.into_inner();
    ///     assert_eq!(pos, 0);
    /// });
    /// ```
    pub fn into_inner(self) -> (File, u64) {
        (self.file, self.pos)
    }
}

impl AsyncReadOwned for FileCursor {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        let (res, buf) = self.file.read_at(buf, self.pos).await;
        if let Ok(n) = res {
            self.pos += n as u64;
        }
        (res, buf)
    }
}

impl AsyncWriteOwned for FileCursor {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        let (res, buf) = self.file.write_at(buf, self.pos).await;
        if let Ok(n) = res {
            self.pos += n as u64;
        }
        (res, buf)
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        Ok(())
    }
}
