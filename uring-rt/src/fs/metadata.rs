//! [`Metadata`]: what `statx(2)` says about a file, with std's accessors.

use std::fmt;
use std::fs::Permissions;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

use super::FileType;

/// Information about a file, from `IORING_OP_STATX`: the accessors of `std::fs::Metadata`
/// plus those of `std::os::unix::fs::MetadataExt` under the same names.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let f = tempfile::NamedTempFile::new().unwrap();
///     std::fs::write(f.path(), b"12345").unwrap();
///     let m = uring_rt::fs::metadata(f.path()).await.unwrap();
///     assert!(m.is_file());
///     assert_eq!(m.len(), 5);
///     assert_eq!(m.ino(), std::os::unix::fs::MetadataExt::ino(&f.as_file().metadata().unwrap()));
/// });
/// ```
pub struct Metadata {
    stx: Box<libc::statx>,
}

fn time(ts: libc::statx_timestamp) -> SystemTime {
    let nanos = Duration::new(ts.tv_sec.unsigned_abs(), ts.tv_nsec);
    if ts.tv_sec >= 0 {
        SystemTime::UNIX_EPOCH + nanos
    } else {
        SystemTime::UNIX_EPOCH - nanos
    }
}

impl Metadata {
    pub(crate) fn new(stx: Box<libc::statx>) -> Metadata {
        Metadata { stx }
    }

    fn has(&self, mask: u32) -> bool {
        self.stx.stx_mask & mask != 0
    }

    /// The file's type.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(uring_rt::fs::metadata("/").await.unwrap().file_type().is_dir());
    /// });
    /// ```
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(u32::from(self.stx.stx_mode))
    }

    /// Whether the file is a directory.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(uring_rt::fs::metadata("/").await.unwrap().is_dir());
    /// });
    /// ```
    pub fn is_dir(&self) -> bool {
        self.file_type().is_dir()
    }

    /// Whether the file is a regular file.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(!uring_rt::fs::metadata("/").await.unwrap().is_file());
    /// });
    /// ```
    pub fn is_file(&self) -> bool {
        self.file_type().is_file()
    }

    /// Whether the file is a symbolic link (see [`symlink_metadata`](super::symlink_metadata)).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(!uring_rt::fs::metadata("/").await.unwrap().is_symlink());
    /// });
    /// ```
    pub fn is_symlink(&self) -> bool {
        self.file_type().is_symlink()
    }

    /// The size of the file in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let f = tempfile::NamedTempFile::new().unwrap();
    ///     assert_eq!(uring_rt::fs::metadata(f.path()).await.unwrap().len(), 0);
    /// });
    /// ```
    #[allow(clippy::len_without_is_empty)] // as std's Metadata
    pub fn len(&self) -> u64 {
        self.stx.stx_size
    }

    /// The permission bits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/").await.unwrap();
    ///     assert_eq!(m.permissions().mode() & 0o777, m.mode() & 0o777);
    /// });
    /// ```
    pub fn permissions(&self) -> Permissions {
        Permissions::from_mode(self.mode())
    }

    /// The last modification time.
    ///
    /// # Errors
    ///
    /// `Unsupported` when the filesystem did not report it.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/").await.unwrap();
    ///     assert!(m.modified().unwrap() > std::time::SystemTime::UNIX_EPOCH);
    /// });
    /// ```
    pub fn modified(&self) -> io::Result<SystemTime> {
        self.time(libc::STATX_MTIME, self.stx.stx_mtime, "modification")
    }

    /// The last access time.
    ///
    /// # Errors
    ///
    /// `Unsupported` when the filesystem did not report it.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/").await.unwrap();
    ///     assert!(m.accessed().is_ok());
    /// });
    /// ```
    pub fn accessed(&self) -> io::Result<SystemTime> {
        self.time(libc::STATX_ATIME, self.stx.stx_atime, "access")
    }

    /// The creation (birth) time.
    ///
    /// # Errors
    ///
    /// `Unsupported` when the filesystem does not record it.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let f = tempfile::NamedTempFile::new().unwrap();
    ///     let m = uring_rt::fs::metadata(f.path()).await.unwrap();
    ///     if let Ok(t) = m.created() {
    ///         assert!(t <= std::time::SystemTime::now());
    ///     }
    /// });
    /// ```
    pub fn created(&self) -> io::Result<SystemTime> {
        self.time(libc::STATX_BTIME, self.stx.stx_btime, "creation")
    }

    fn time(&self, mask: u32, ts: libc::statx_timestamp, what: &str) -> io::Result<SystemTime> {
        if self.has(mask) {
            Ok(time(ts))
        } else {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the {what} time is not available for this file"),
            ))
        }
    }

    /// The whole `st_mode` (type and permission bits).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/").await.unwrap();
    ///     assert_eq!(m.mode() & libc::S_IFMT, libc::S_IFDIR);
    /// });
    /// ```
    pub fn mode(&self) -> u32 {
        u32::from(self.stx.stx_mode)
    }

    /// The inode number.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(uring_rt::fs::metadata("/").await.unwrap().ino() > 0);
    /// });
    /// ```
    pub fn ino(&self) -> u64 {
        self.stx.stx_ino
    }

    /// The device the file lives on (as `st_dev`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/").await.unwrap();
    ///     assert_eq!(m.dev(), std::fs::metadata("/").unwrap().dev());
    /// });
    /// ```
    pub fn dev(&self) -> u64 {
        libc::makedev(self.stx.stx_dev_major, self.stx.stx_dev_minor)
    }

    /// The device a special file stands for (as `st_rdev`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/dev/null").await.unwrap();
    ///     assert_eq!(m.rdev(), std::fs::metadata("/dev/null").unwrap().rdev());
    /// });
    /// ```
    pub fn rdev(&self) -> u64 {
        libc::makedev(self.stx.stx_rdev_major, self.stx.stx_rdev_minor)
    }

    /// The number of hard links.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let f = tempfile::NamedTempFile::new().unwrap();
    ///     assert_eq!(uring_rt::fs::metadata(f.path()).await.unwrap().nlink(), 1);
    /// });
    /// ```
    pub fn nlink(&self) -> u64 {
        u64::from(self.stx.stx_nlink)
    }

    /// The owner's user id.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert_eq!(uring_rt::fs::metadata("/").await.unwrap().uid(), 0);
    /// });
    /// ```
    pub fn uid(&self) -> u32 {
        self.stx.stx_uid
    }

    /// The owner's group id.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/").await.unwrap();
    ///     assert_eq!(m.gid(), std::fs::metadata("/").unwrap().gid());
    /// });
    /// ```
    pub fn gid(&self) -> u32 {
        self.stx.stx_gid
    }

    /// The preferred I/O block size.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(uring_rt::fs::metadata("/").await.unwrap().blksize() > 0);
    /// });
    /// ```
    pub fn blksize(&self) -> u64 {
        u64::from(self.stx.stx_blksize)
    }

    /// The number of 512-byte blocks allocated.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let f = tempfile::NamedTempFile::new().unwrap();
    ///     assert_eq!(uring_rt::fs::metadata(f.path()).await.unwrap().blocks(), 0);
    /// });
    /// ```
    pub fn blocks(&self) -> u64 {
        self.stx.stx_blocks
    }

    /// `O_DIRECT` alignment `(memory, offset)` in bytes, when the kernel reports it
    /// (`STATX_DIOALIGN`, Linux 6.1+, filesystems that support direct I/O).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let f = tempfile::NamedTempFile::new().unwrap();
    ///     let m = uring_rt::fs::metadata(f.path()).await.unwrap();
    ///     if let Some((mem, off)) = m.dio_alignment() {
    ///         assert!(mem.is_power_of_two() && off.is_power_of_two());
    ///     }
    /// });
    /// ```
    pub fn dio_alignment(&self) -> Option<(u32, u32)> {
        (self.has(libc::STATX_DIOALIGN) && self.stx.stx_dio_offset_align != 0)
            .then_some((self.stx.stx_dio_mem_align, self.stx.stx_dio_offset_align))
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata")
            .field("file_type", &self.file_type())
            .field("len", &self.len())
            .field("mode", &format_args!("{:#o}", self.mode()))
            .field("ino", &self.ino())
            .finish_non_exhaustive()
    }
}
