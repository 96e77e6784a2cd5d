//! [`copy`]: moves a reader's bytes into a writer.

use std::io;

use super::{AsyncReadOwned, AsyncWriteOwned, AsyncWriteOwnedExt};
use crate::task::coop;

/// The buffer `copy` moves bytes through.
const COPY_BUF: usize = 64 * 1024;

/// Copies everything `reader` yields until its end into `writer`, then flushes `writer`;
/// the number of bytes copied. One 64 KiB buffer goes back and forth between the two: each
/// chunk is one read and (usually) one write, with no copy in user space.
///
/// Each chunk takes a unit of the task's cooperative budget (as in tokio), so a copy between
/// in-memory ends yields to other tasks now and then.
///
/// # Errors
///
/// The first error of either side (the bytes before it were copied). `Interrupted` is
/// retried.
///
/// # Examples
///
/// ```
/// use uring_rt::fs::File;
/// use uring_rt::net::UnixStream;
///
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let path = dir.path().join("f");
///     std::fs::write(&path, vec![9u8; 200_000]).unwrap();
///     let mut src = File::open(&path).await.unwrap().cursor();
///     let (mut a, b) = UnixStream::pair().unwrap();
///     let reader = uring_rt::spawn(async move {
///         let mut n = 0;
///         loop {
///             let (res, _) = b.read(Vec::with_capacity(65536)).await;
///             match res.unwrap() { 0 => break n, k => n += k }
///         }
///     });
///     let copied = uring_rt::io::copy(&mut src, &mut a).await.unwrap();
///     drop(a);
///     assert_eq!(copied, 200_000);
///     assert_eq!(reader.await.unwrap(), 200_000);
/// });
/// ```
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncReadOwned + ?Sized,
    W: AsyncWriteOwned + ?Sized,
{
    let mut buf = Vec::with_capacity(COPY_BUF);
    let mut total = 0u64;
    loop {
        buf.clear();
        let (res, b) = reader.read(buf).await;
        buf = b;
        let n = match res {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (res, b) = writer.write_all(buf).await;
        buf = b;
        res?;
        total += n as u64;
        // As tokio's `copy`: each chunk takes a unit of the task's cooperative budget, so a
        // copy between ends that never wait (bytes in memory) still lets other tasks run.
        coop::consume_budget().await;
    }
    writer.flush().await?;
    Ok(total)
}
