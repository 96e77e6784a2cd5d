//! `File`'s calls that io_uring has no opcode for, run on the blocking pool: finding data and
//! holes (`lseek(2)` with `SEEK_DATA`/`SEEK_HOLE`), permissions (`fchmod(2)`) and timestamps
//! (`futimens(2)`).

use std::fs::{FileTimes, Permissions};
use std::io;

use super::File;
use crate::op::{self, FileFd};

/// Runs `f` with a clone of `fd` on the blocking pool.
async fn blocking<R: Send + 'static>(
    fd: &FileFd,
    f: impl FnOnce(&FileFd) -> io::Result<R> + Send + 'static,
) -> io::Result<R> {
    op::in_runtime()?;
    let fd = fd.clone();
    crate::spawn_blocking(move || f(&fd))
        .await
        .map_err(|e| io::Error::other(e.to_string()))?
}

impl File {
    /// The offset of the first byte of data at or after `offset` (`lseek(2)` with
    /// `SEEK_DATA`, on the blocking pool), or `None` when there is no data from `offset` to
    /// the end of the file. With [`seek_hole`](File::seek_hole) it walks a sparse file's
    /// data extents without reading its holes. A filesystem without hole tracking reports
    /// the whole file as data.
    ///
    /// # Errors
    ///
    /// From the kernel (`EBADF`, ...); `InvalidInput` for an offset past `i64::MAX`; `Other`
    /// outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.set_len(1 << 20).await.unwrap(); // one big hole
    ///     let (res, _) = file.write_all_at(vec![7u8; 4096], 1 << 20).await;
    ///     res.unwrap();
    ///     let data = file.seek_data(0).await.unwrap().unwrap();
    ///     assert!(data <= 1 << 20); // exactly 1 MiB where holes are tracked
    ///     assert_eq!(file.seek_data((1 << 20) + 4096).await.unwrap(), None);
    /// });
    /// ```
    pub async fn seek_data(&self, offset: u64) -> io::Result<Option<u64>> {
        blocking(&self.fd, move |fd| {
            fd.lseek_blocking(offset, libc::SEEK_DATA)
        })
        .await
    }

    /// The offset of the first hole at or after `offset` (`lseek(2)` with `SEEK_HOLE`, on
    /// the blocking pool); the end of the file counts as a hole, so it is `Some(len)` when
    /// the rest is all data, and `None` only when `offset` is at or past the end.
    ///
    /// # Errors
    ///
    /// As [`seek_data`](File::seek_data).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     let (res, _) = file.write_all_at(vec![1u8; 8192], 0).await;
    ///     res.unwrap();
    ///     assert_eq!(file.seek_hole(0).await.unwrap(), Some(8192));
    ///     assert_eq!(file.seek_hole(8192).await.unwrap(), None);
    /// });
    /// ```
    pub async fn seek_hole(&self, offset: u64) -> io::Result<Option<u64>> {
        blocking(&self.fd, move |fd| {
            fd.lseek_blocking(offset, libc::SEEK_HOLE)
        })
        .await
    }

    /// Changes the file's permission bits (`fchmod(2)`, on the blocking pool), as
    /// `std::fs::File::set_permissions`.
    ///
    /// # Errors
    ///
    /// From the kernel (`EPERM` when not the owner, `EROFS`, ...); `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::Permissions;
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.set_permissions(Permissions::from_mode(0o640)).await.unwrap();
    ///     let mode = file.metadata().await.unwrap().permissions().mode();
    ///     assert_eq!(mode & 0o7777, 0o640);
    /// });
    /// ```
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        blocking(&self.fd, move |fd| fd.dup_std()?.set_permissions(perm)).await
    }

    /// Sets the file's access and/or modification times (`futimens(2)`, on the blocking
    /// pool), as `std::fs::File::set_times`: a time not set in `times` is left unchanged.
    ///
    /// # Errors
    ///
    /// From the kernel (`EPERM`, `EROFS`, ...); `InvalidInput` for a time the kernel cannot
    /// represent; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::FileTimes;
    /// use std::time::{Duration, SystemTime};
    ///
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     let t = SystemTime::UNIX_EPOCH + Duration::new(1_000_000_000, 123_456_789);
    ///     file.set_times(FileTimes::new().set_modified(t)).await.unwrap();
    ///     assert_eq!(file.metadata().await.unwrap().modified().unwrap(), t);
    /// });
    /// ```
    pub async fn set_times(&self, times: FileTimes) -> io::Result<()> {
        blocking(&self.fd, move |fd| fd.dup_std()?.set_times(times)).await
    }
}
