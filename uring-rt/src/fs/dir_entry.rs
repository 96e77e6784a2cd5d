//! [`DirEntry`]: one entry of a [`ReadDir`](super::ReadDir) stream.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::PathBuf;

use super::{FileType, Metadata};

/// An entry of a directory listing: its name, full path, inode number and type (from the
/// directory entry itself, or `lstat` where the filesystem does not record types).
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     std::fs::write(dir.path().join("a"), b"1").unwrap();
///     let mut entries = uring_rt::fs::read_dir(dir.path()).await.unwrap();
///     let entry = entries.next_entry().await.unwrap().unwrap();
///     assert_eq!(entry.file_name(), "a");
///     assert_eq!(entry.path(), dir.path().join("a"));
///     assert!(entry.file_type().unwrap().is_file());
///     assert_eq!(entry.metadata().await.unwrap().len(), 1);
/// });
/// ```
#[derive(Debug, Clone)]
pub struct DirEntry {
    path: PathBuf,
    ino: u64,
    file_type: Result<FileType, io::ErrorKind>,
}

impl DirEntry {
    /// Converts a std entry, on the blocking pool (its `file_type` may `lstat`).
    pub(crate) fn from_std(entry: &std::fs::DirEntry) -> DirEntry {
        use std::os::unix::fs::DirEntryExt;
        DirEntry {
            path: entry.path(),
            ino: entry.ino(),
            file_type: entry.file_type().map(FileType::from).map_err(|e| e.kind()),
        }
    }

    /// The full path: the listed directory joined with the file name.
    ///
    /// # Examples
    ///
    /// See [`DirEntry`].
    ///
    /// ```
    /// # uring_rt::start(async {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join("x"), b"").unwrap();
    /// let e = uring_rt::fs::read_dir(dir.path()).await.unwrap().next_entry().await.unwrap().unwrap();
    /// assert!(e.path().ends_with("x"));
    /// # });
    /// ```
    pub fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The file name, without the directory.
    ///
    /// # Examples
    ///
    /// ```
    /// # uring_rt::start(async {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join("x"), b"").unwrap();
    /// let e = uring_rt::fs::read_dir(dir.path()).await.unwrap().next_entry().await.unwrap().unwrap();
    /// assert_eq!(e.file_name(), "x");
    /// # });
    /// ```
    pub fn file_name(&self) -> OsString {
        self.path
            .file_name()
            .map_or_else(OsString::new, OsStr::to_os_string)
    }

    /// The inode number, from the directory entry.
    ///
    /// # Examples
    ///
    /// ```
    /// # uring_rt::start(async {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join("x"), b"").unwrap();
    /// let e = uring_rt::fs::read_dir(dir.path()).await.unwrap().next_entry().await.unwrap().unwrap();
    /// assert_eq!(e.ino(), e.metadata().await.unwrap().ino());
    /// # });
    /// ```
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// The entry's type (a symlink is reported as a symlink, not followed).
    ///
    /// # Errors
    ///
    /// When the type had to be looked up and that failed (the file was removed, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// # uring_rt::start(async {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::create_dir(dir.path().join("d")).unwrap();
    /// let e = uring_rt::fs::read_dir(dir.path()).await.unwrap().next_entry().await.unwrap().unwrap();
    /// assert!(e.file_type().unwrap().is_dir());
    /// # });
    /// ```
    pub fn file_type(&self) -> io::Result<FileType> {
        self.file_type.map_err(io::Error::from)
    }

    /// The entry's metadata, not following a final symlink (as std's
    /// `DirEntry::metadata`); `IORING_OP_STATX`, Linux 5.6+.
    ///
    /// # Errors
    ///
    /// As [`symlink_metadata`](super::symlink_metadata).
    ///
    /// # Examples
    ///
    /// See [`DirEntry`].
    ///
    /// ```
    /// # uring_rt::start(async {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join("x"), b"abc").unwrap();
    /// let e = uring_rt::fs::read_dir(dir.path()).await.unwrap().next_entry().await.unwrap().unwrap();
    /// assert_eq!(e.metadata().await.unwrap().len(), 3);
    /// # });
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        super::symlink_metadata(&self.path).await
    }
}
