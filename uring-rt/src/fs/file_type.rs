//! [`FileType`]: what kind of file a [`Metadata`](super::Metadata) or
//! [`DirEntry`](super::DirEntry) describes.

/// The type of a file: regular file, directory, symlink, or a special file.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let ft = uring_rt::fs::metadata(dir.path()).await.unwrap().file_type();
///     assert!(ft.is_dir() && !ft.is_file() && !ft.is_symlink());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileType {
    /// The `S_IFMT` bits of `st_mode`.
    fmt: u32,
}

impl FileType {
    pub(crate) fn from_mode(mode: u32) -> FileType {
        FileType {
            fmt: mode & libc::S_IFMT,
        }
    }

    /// Whether this is a directory.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/").await.unwrap();
    ///     assert!(m.file_type().is_dir());
    /// });
    /// ```
    pub fn is_dir(&self) -> bool {
        self.fmt == libc::S_IFDIR
    }

    /// Whether this is a regular file.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let f = tempfile::NamedTempFile::new().unwrap();
    ///     assert!(uring_rt::fs::metadata(f.path()).await.unwrap().file_type().is_file());
    /// });
    /// ```
    pub fn is_file(&self) -> bool {
        self.fmt == libc::S_IFREG
    }

    /// Whether this is a symbolic link (only from `symlink_metadata` or a directory entry).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let dir = tempfile::tempdir().unwrap();
    ///     let link = dir.path().join("l");
    ///     uring_rt::fs::symlink("/", &link).await.unwrap();
    ///     let m = uring_rt::fs::symlink_metadata(&link).await.unwrap();
    ///     assert!(m.file_type().is_symlink());
    /// });
    /// ```
    pub fn is_symlink(&self) -> bool {
        self.fmt == libc::S_IFLNK
    }

    /// Whether this is a block device.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/dev/null").await.unwrap();
    ///     assert!(!m.file_type().is_block_device());
    /// });
    /// ```
    pub fn is_block_device(&self) -> bool {
        self.fmt == libc::S_IFBLK
    }

    /// Whether this is a character device.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/dev/null").await.unwrap();
    ///     assert!(m.file_type().is_char_device());
    /// });
    /// ```
    pub fn is_char_device(&self) -> bool {
        self.fmt == libc::S_IFCHR
    }

    /// Whether this is a FIFO (named pipe).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/dev/null").await.unwrap();
    ///     assert!(!m.file_type().is_fifo());
    /// });
    /// ```
    pub fn is_fifo(&self) -> bool {
        self.fmt == libc::S_IFIFO
    }

    /// Whether this is a Unix socket.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let m = uring_rt::fs::metadata("/dev/null").await.unwrap();
    ///     assert!(!m.file_type().is_socket());
    /// });
    /// ```
    pub fn is_socket(&self) -> bool {
        self.fmt == libc::S_IFSOCK
    }
}

impl From<std::fs::FileType> for FileType {
    fn from(ft: std::fs::FileType) -> FileType {
        use std::os::unix::fs::FileTypeExt;
        let fmt = if ft.is_dir() {
            libc::S_IFDIR
        } else if ft.is_symlink() {
            libc::S_IFLNK
        } else if ft.is_block_device() {
            libc::S_IFBLK
        } else if ft.is_char_device() {
            libc::S_IFCHR
        } else if ft.is_fifo() {
            libc::S_IFIFO
        } else if ft.is_socket() {
            libc::S_IFSOCK
        } else {
            libc::S_IFREG
        };
        FileType { fmt }
    }
}
