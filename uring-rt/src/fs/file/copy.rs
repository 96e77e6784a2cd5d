//! Copying a byte range from one `File` to another inside the kernel (`copy_file_range(2)`,
//! on the blocking pool): the data never enters user space.

use std::io;

use super::File;
use crate::op;

/// Bytes asked of one `copy_file_range(2)` call at most (the kernel caps a call near 2 GiB).
const MAX_CALL: u64 = 1 << 30;

impl File {
    /// Copies `len` bytes of this file at `src_off` to `dst` at `dst_off` inside the kernel
    /// (`copy_file_range(2)`, Linux 4.5+; across filesystems 5.19+), and returns how many
    /// were copied: `len`, or fewer when this file ends before `src_off + len` (`0` when
    /// `src_off` is at or past its end). Neither file has a cursor that moves. Where the
    /// filesystem can (Btrfs, XFS, NFS, ...) the copy shares or offloads the blocks; elsewhere
    /// the kernel moves the pages itself. io_uring has no opcode for it, so it runs on the
    /// blocking pool, on every driver; short calls from the kernel are continued there, so
    /// one call copies the whole range. A hole in the range reads as zeros and is written as
    /// data: copy only data extents ([`seek_data`](File::seek_data)) to keep a file sparse.
    ///
    /// Several calls on disjoint ranges may be in flight at once (each holds one blocking
    /// thread until it ends; the call cannot be cancelled once started, so dropping the future
    /// leaves the copy to finish in the background).
    ///
    /// # Errors
    ///
    /// From the kernel, errno kept: `EBADF` when this file is not open for reading or `dst`
    /// not for writing (or `dst` is `O_APPEND`); `EINVAL` when either is not a regular file
    /// (a pipe, a socket, a directory) or the ranges overlap in one file; `EXDEV` across
    /// filesystems the kernel cannot copy between; `EOPNOTSUPP`/`ENOSYS` where the call is
    /// missing. Callers that can copy another way fall back on `EINVAL`, `EXDEV`,
    /// `EOPNOTSUPP` and `ENOSYS` (see [`is_copy_unsupported`](File::is_copy_unsupported)).
    /// `InvalidInput` for an offset or end past `i64::MAX`; `Other` outside a runtime. After
    /// an error some bytes of the range may have been written.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::fs::File;
    ///
    /// uring_rt::start(async {
    ///     let src = File::from_std(tempfile::tempfile().unwrap());
    ///     let (res, _) = src.write_all_at(b"hello, world".to_vec(), 0).await;
    ///     res.unwrap();
    ///     let dst = File::from_std(tempfile::tempfile().unwrap());
    ///     // "world" to offset 0, then as much as there is from offset 7 (5 bytes).
    ///     assert_eq!(src.copy_range_to(&dst, 7, 0, 5).await.unwrap(), 5);
    ///     assert_eq!(src.copy_range_to(&dst, 7, 5, 100).await.unwrap(), 5);
    ///     assert_eq!(src.copy_range_to(&dst, 12, 0, 100).await.unwrap(), 0); // at the end
    ///     let (res, buf) = dst.read_exact_at(vec![0u8; 10], 0).await;
    ///     res.unwrap();
    ///     assert_eq!(&buf, b"worldworld");
    /// });
    /// ```
    pub async fn copy_range_to(
        &self,
        dst: &File,
        src_off: u64,
        dst_off: u64,
        len: u64,
    ) -> io::Result<u64> {
        let limit = i64::MAX as u64;
        if src_off.checked_add(len).map_or(true, |end| end > limit)
            || dst_off.checked_add(len).map_or(true, |end| end > limit)
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "copy_range_to: offset + len past i64::MAX",
            ));
        }
        op::in_runtime()?;
        if len == 0 {
            return Ok(0);
        }
        let (src, dst) = (self.fd.clone(), dst.fd.clone());
        crate::spawn_blocking(move || {
            let mut done = 0u64;
            while done < len {
                let want = (len - done).min(MAX_CALL) as usize;
                match src.copy_file_range_blocking(&dst, src_off + done, dst_off + done, want) {
                    Ok(0) => break,
                    Ok(n) => done += n as u64,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(done)
        })
        .await
        .map_err(|e| io::Error::other(e.to_string()))?
    }

    /// Whether `err`, from [`copy_range_to`](File::copy_range_to), says the kernel cannot
    /// copy between these two files (`EINVAL`: not regular files, or overlapping ranges;
    /// `EXDEV`; `EOPNOTSUPP`; `ENOSYS`) so that copying through a buffer is the way left.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use uring_rt::fs::File;
    ///
    /// assert!(File::is_copy_unsupported(&io::Error::from_raw_os_error(libc::EXDEV)));
    /// assert!(!File::is_copy_unsupported(&io::Error::from_raw_os_error(libc::ENOSPC)));
    /// ```
    pub fn is_copy_unsupported(err: &io::Error) -> bool {
        matches!(
            err.raw_os_error(),
            Some(libc::EINVAL | libc::EXDEV | libc::EOPNOTSUPP | libc::ENOSYS)
        ) || err.kind() == io::ErrorKind::Unsupported
    }
}
