//! The owned-buffer traits for bytes in memory, as tokio implements its poll-based ones:
//! `&[u8]` reads from its front, `Vec<u8>` appends what is written.

use std::io;

use super::{AsyncReadOwned, AsyncWriteOwned};
use crate::buf::{fill_from, BufResult, IoBuf, IoBufMut};

/// Reads copy from the front of the slice and advance it; 0 once it is empty.
///
/// # Examples
///
/// ```
/// use uring_rt::io::AsyncReadOwnedExt;
/// uring_rt::start(async {
///     let mut src: &[u8] = b"hello world";
///     let (res, head) = src.read_exact(Vec::with_capacity(5)).await;
///     res.unwrap();
///     assert_eq!(head, b"hello");
///     assert_eq!(src, b" world");
/// });
/// ```
impl AsyncReadOwned for &[u8] {
    async fn read<B: IoBufMut>(&mut self, mut buf: B) -> BufResult<usize, B> {
        let n = fill_from(&mut buf, self);
        *self = &self[n..];
        (Ok(n), buf)
    }
}

/// Writes append every byte to the vector; flushing and shutting down do nothing.
///
/// # Examples
///
/// ```
/// use uring_rt::io::AsyncWriteOwnedExt;
/// uring_rt::start(async {
///     let mut sink = Vec::new();
///     sink.write_all(b"abc".to_vec()).await.0.unwrap();
///     assert_eq!(sink, b"abc");
/// });
/// ```
impl AsyncWriteOwned for Vec<u8> {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        let slice = buf.slice(..);
        self.extend_from_slice(&slice);
        let n = slice.len();
        (Ok(n), slice.into_inner())
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        Ok(())
    }
}
