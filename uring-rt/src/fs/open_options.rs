//! [`OpenOptions`]: std's builder for opening files, through `IORING_OP_OPENAT`.

use std::io;
use std::path::Path;

use super::direct::DioAlign;
use super::{cstr, File};
use crate::op::{file_fd, OpenAt};

/// Options and flags for opening a file: std's `OpenOptions`, plus
/// [`custom_flags`](OpenOptions::custom_flags), [`mode`](OpenOptions::mode) and
/// [`direct`](OpenOptions::direct).
///
/// Opening uses `IORING_OP_OPENAT` (Linux 5.6+; `ErrorKind::Unsupported` before). The fd
/// always gets `O_CLOEXEC`. If the open future is dropped while the kernel opens the file,
/// the new fd is closed when the completion arrives.
///
/// # Examples
///
/// ```
/// use uring_rt::fs::OpenOptions;
///
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let file = OpenOptions::new()
///         .read(true)
///         .write(true)
///         .create_new(true)
///         .mode(0o600)
///         .open(dir.path().join("new"))
///         .await
///         .unwrap();
///     let (res, _) = file.write_at(b"x".to_vec(), 0).await;
///     assert_eq!(res.unwrap(), 1);
/// });
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    custom_flags: i32,
    mode: u32,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// Options with everything off and mode `0o666` (less the umask).
    ///
    /// # Examples
    ///
    /// ```
    /// let opts = uring_rt::fs::OpenOptions::new();
    /// ```
    pub fn new() -> OpenOptions {
        OpenOptions {
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            custom_flags: 0,
            mode: 0o666,
        }
    }

    /// Open for reading.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut opts = uring_rt::fs::OpenOptions::new();
    /// opts.read(true);
    /// ```
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.read = read;
        self
    }

    /// Open for writing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut opts = uring_rt::fs::OpenOptions::new();
    /// opts.write(true);
    /// ```
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.write = write;
        self
    }

    /// Open in append mode (`O_APPEND`; implies write).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut opts = uring_rt::fs::OpenOptions::new();
    /// opts.append(true);
    /// ```
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.append = append;
        self
    }

    /// Truncate to length 0 (`O_TRUNC`; needs write).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut opts = uring_rt::fs::OpenOptions::new();
    /// opts.write(true).truncate(true);
    /// ```
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.truncate = truncate;
        self
    }

    /// Create the file if it does not exist (`O_CREAT`; needs write or append).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut opts = uring_rt::fs::OpenOptions::new();
    /// opts.write(true).create(true);
    /// ```
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.create = create;
        self
    }

    /// Create the file, failing with `AlreadyExists` if it exists (`O_CREAT | O_EXCL`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut opts = uring_rt::fs::OpenOptions::new();
    /// opts.write(true).create_new(true);
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.create_new = create_new;
        self
    }

    /// Extra `open(2)` flags, or'ed in (the access mode bits are ignored, as in std).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut opts = uring_rt::fs::OpenOptions::new();
    /// opts.read(true).custom_flags(libc::O_NOATIME);
    /// ```
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        self.custom_flags = flags;
        self
    }

    /// The permission bits of a created file (default `0o666`, less the umask).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut opts = uring_rt::fs::OpenOptions::new();
    /// opts.write(true).create(true).mode(0o600);
    /// ```
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        self.mode = mode;
        self
    }

    /// Direct I/O (`O_DIRECT`): bypass the page cache. Buffers, offsets and lengths must
    /// then be aligned as [`File::alignment`] says; [`File::aligned_buf`] makes such buffers.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut opts = uring_rt::fs::OpenOptions::new();
    /// opts.read(true).direct(true);
    /// ```
    pub fn direct(&mut self, direct: bool) -> &mut OpenOptions {
        if direct {
            self.custom_flags |= libc::O_DIRECT;
        } else {
            self.custom_flags &= !libc::O_DIRECT;
        }
        self
    }

    /// Opens `path` with these options.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for contradictory options (as std) or a path with a NUL byte;
    /// `NotFound`, `PermissionDenied`, `AlreadyExists`, ... from the kernel; `Unsupported`
    /// before Linux 5.6; `Other` outside a runtime. With [`direct`](OpenOptions::direct) on
    /// a filesystem without `O_DIRECT` support, the kernel's `EINVAL` (`InvalidInput`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// uring_rt::start(async {
    ///     let err = uring_rt::fs::OpenOptions::new().read(true).open("/no/such").await;
    ///     assert_eq!(err.unwrap_err().kind(), ErrorKind::NotFound);
    /// });
    /// ```
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let flags =
            self.access_mode()? | self.creation_mode()? | (self.custom_flags & !libc::O_ACCMODE);
        let path = cstr(path.as_ref())?;
        let fd = file_fd(OpenAt::op(path, flags, self.mode)?.await?);
        let dio = if flags & libc::O_DIRECT != 0 {
            Some(DioAlign::query(&fd).await?)
        } else {
            None
        };
        Ok(File::from_parts(fd, dio))
    }

    fn access_mode(&self) -> io::Result<i32> {
        match (self.read, self.write, self.append) {
            (true, false, false) => Ok(libc::O_RDONLY),
            (false, true, false) => Ok(libc::O_WRONLY),
            (true, true, false) => Ok(libc::O_RDWR),
            (false, _, true) => Ok(libc::O_WRONLY | libc::O_APPEND),
            (true, _, true) => Ok(libc::O_RDWR | libc::O_APPEND),
            (false, false, false) => {
                Err(invalid("OpenOptions: none of read, write or append is set"))
            }
        }
    }

    fn creation_mode(&self) -> io::Result<i32> {
        match (self.write, self.append) {
            (true, false) => {}
            (false, false) => {
                if self.truncate || self.create || self.create_new {
                    return Err(invalid(
                        "OpenOptions: truncate, create and create_new need write or append",
                    ));
                }
            }
            (_, true) => {
                if self.truncate && !self.create_new {
                    return Err(invalid(
                        "OpenOptions: truncate and append exclude each other",
                    ));
                }
            }
        }
        Ok(match (self.create, self.truncate, self.create_new) {
            (false, false, false) => 0,
            (true, false, false) => libc::O_CREAT,
            (false, true, false) => libc::O_TRUNC,
            (true, true, false) => libc::O_CREAT | libc::O_TRUNC,
            (_, _, true) => libc::O_CREAT | libc::O_EXCL,
        })
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
