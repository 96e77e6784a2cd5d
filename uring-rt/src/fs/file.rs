//! [`File`]: an open file whose every operation goes through the ring.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;

use io_uring::opcode;

mod attrs;
mod copy;
mod rw;

use super::direct::{DioAlign, DEFAULT_ALIGN};
use super::{Metadata, OpenOptions};
use crate::buf::AlignedBuf;
use crate::op::{self, Close, Fallocate, FileFd, Fsync, Ftruncate, Statx, SyncFileRange};

/// An open file. Reads and writes are positional (`read_at`, `write_at`): there is no
/// cursor, so many operations on one `File` can be in flight at once.
///
/// `File` is `Send + Sync`. Each in-flight operation holds a reference to the fd, so
/// dropping the `File` never closes an fd the kernel still uses: the last reference closes it
/// with an asynchronous `IORING_OP_CLOSE` when a runtime is entered on the dropping thread
/// (`close(2)` otherwise). [`close`](File::close) closes it and reports the error.
///
/// Operations need a runtime on the calling thread (`ErrorKind::Other` otherwise) and each
/// documents its minimum kernel (`ErrorKind::Unsupported` on older ones).
///
/// # Examples
///
/// ```
/// use uring_rt::fs::File;
///
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let file = File::create(dir.path().join("f")).await.unwrap();
///     let (res, _) = file.write_all_at(b"0123456789".to_vec(), 0).await;
///     res.unwrap();
///     let (res, buf) = file.read_exact_at(vec![0u8; 4], 3).await;
///     assert!(res.is_err()); // opened write-only by `create`
///     assert_eq!(buf.len(), 4);
/// });
/// ```
pub struct File {
    fd: FileFd,
    /// Set when opened with `O_DIRECT`: what its transfers must be aligned to.
    dio: Option<DioAlign>,
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("fd", &self.fd.raw())
            .field("direct", &self.dio.is_some())
            .finish()
    }
}

impl File {
    pub(crate) fn from_parts(fd: FileFd, dio: Option<DioAlign>) -> File {
        File { fd, dio }
    }

    /// Opens `path` read-only.
    ///
    /// # Errors
    ///
    /// As [`OpenOptions::open`] (`NotFound`, `PermissionDenied`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::open("/etc/hostname").await;
    ///     assert!(file.is_ok() || !std::path::Path::new("/etc/hostname").exists());
    /// });
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens `path` write-only, creating it or truncating it.
    ///
    /// # Errors
    ///
    /// As [`OpenOptions::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let dir = tempfile::tempdir().unwrap();
    ///     uring_rt::fs::File::create(dir.path().join("new")).await.unwrap();
    ///     assert!(dir.path().join("new").exists());
    /// });
    /// ```
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Wraps a std file (its fd moves into the new `File`; buffered, not `O_DIRECT`).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let std_file = tempfile::tempfile().unwrap();
    ///     let file = uring_rt::fs::File::from_std(std_file);
    ///     let (res, _) = file.write_at(b"abc".to_vec(), 0).await;
    ///     assert_eq!(res.unwrap(), 3);
    /// });
    /// ```
    pub fn from_std(file: std::fs::File) -> File {
        File::from_parts(op::file_fd(OwnedFd::from(file)), None)
    }

    /// A second `File` for the same open file description (`fcntl(F_DUPFD_CLOEXEC)`), as
    /// `tokio::fs::File::try_clone`: both see the same data, flags (`O_APPEND`, `O_DIRECT`)
    /// and length, and each closes its own fd. A fixed-file registration
    /// ([`register`](File::register)) is not carried over.
    ///
    /// # Errors
    ///
    /// `EMFILE` (too many open files), ...
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     let clone = file.try_clone().await.unwrap();
    ///     clone.write_all_at(b"shared".to_vec(), 0).await.0.unwrap();
    ///     drop(clone);
    ///     let (res, buf) = file.read_at(Vec::with_capacity(16), 0).await;
    ///     assert_eq!(res.unwrap(), 6);
    ///     assert_eq!(buf, b"shared");
    /// });
    /// ```
    pub async fn try_clone(&self) -> io::Result<File> {
        let fd = std::os::fd::AsFd::as_fd(self).try_clone_to_owned()?;
        Ok(File::from_parts(op::file_fd(fd), self.dio))
    }

    /// The alignment that buffer addresses, offsets and lengths need for this file's direct
    /// I/O: `max(memory, offset)` alignment from `statx` (`STATX_DIOALIGN`) or, for a block
    /// device, its logical block size (`BLKSSZGET`); 4096 when unknown or not `O_DIRECT`.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     assert_eq!(file.alignment(), 4096);
    /// });
    /// ```
    pub fn alignment(&self) -> usize {
        self.dio.map_or(DEFAULT_ALIGN, |d| d.mem.max(d.offset))
    }

    /// An empty [`AlignedBuf`] of `capacity` bytes aligned for this file's direct I/O.
    ///
    /// # Panics
    ///
    /// When `capacity` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     let buf = file.aligned_buf(8192);
    ///     assert_eq!(buf.stable_ptr() as usize % file.alignment(), 0);
    /// });
    /// ```
    pub fn aligned_buf(&self, capacity: usize) -> AlignedBuf {
        AlignedBuf::with_alignment(capacity, self.alignment())
    }

    /// Whether the file was opened with `O_DIRECT`. Its reads and writes go to the block
    /// layer from the submitting `io_uring_enter`, so they are submitted one per enter rather
    /// than batched (see `Op::eager`).
    fn is_direct(&self) -> bool {
        self.dio.is_some()
    }

    fn check_direct(&self, addr: *const u8, len: usize, pos: u64) -> io::Result<()> {
        match self.dio {
            Some(d) => d.check(addr as usize, len, pos),
            None => Ok(()),
        }
    }

    fn explain<T>(&self, res: io::Result<T>) -> io::Result<T> {
        match self.dio {
            Some(d) => res.map_err(|e| d.explain(e)),
            None => res,
        }
    }

    /// Opt-in: registers the file with this thread's ring (`IORING_REGISTER_FILES`, a sparse
    /// table of 1024 slots per ring, Linux 5.19+). Afterwards, operations on this file
    /// submitted from this runtime use the fixed slot (`IOSQE_FIXED_FILE`), which saves the
    /// kernel a file-table lookup and reference count per operation; on other runtimes they
    /// keep using the fd. The slot is freed when the last owner of the fd (the `File` or an
    /// operation dropped in flight) goes away on this runtime's thread; if that happens on
    /// another thread, the slot stays taken until the ring closes. Registering again on the
    /// same runtime does nothing.
    ///
    /// # Errors
    ///
    /// `ResourceBusy` when the ring's 1024 slots are taken (by files, or by streams when the
    /// runtime has [`direct_descriptors`](crate::runtime::Builder::direct_descriptors)); `InvalidInput` when the file is
    /// registered with another runtime; the kernel's error (with what to do) when the table
    /// cannot be set up; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.register().unwrap();
    ///     let (res, _) = file.write_at(b"through a fixed file".to_vec(), 0).await;
    ///     assert_eq!(res.unwrap(), 20);
    /// });
    /// ```
    pub fn register(&self) -> io::Result<()> {
        self.fd.register()
    }

    /// Flushes data and metadata to the device (`fsync`; `IORING_OP_FSYNC`, Linux 5.1+).
    ///
    /// # Errors
    ///
    /// From the kernel (`EIO`, ...); `Unsupported`; `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.sync_all().await.unwrap();
    /// });
    /// ```
    pub async fn sync_all(&self) -> io::Result<()> {
        Fsync::op(&self.fd, false)?.await
    }

    /// Flushes data, and only the metadata needed to read it back (`fdatasync`).
    ///
    /// # Errors
    ///
    /// As [`sync_all`](File::sync_all).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.sync_data().await.unwrap();
    /// });
    /// ```
    pub async fn sync_data(&self) -> io::Result<()> {
        Fsync::op(&self.fd, true)?.await
    }

    /// `sync_file_range(2)` of `len` bytes at `offset` (`len == 0`: to the end of file), with
    /// `flags` from `libc::SYNC_FILE_RANGE_*`. `IORING_OP_SYNC_FILE_RANGE`, Linux 5.2+.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for unknown flags; else as [`sync_all`](File::sync_all).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.sync_range(0, 0, libc::SYNC_FILE_RANGE_WRITE).await.unwrap();
    /// });
    /// ```
    pub async fn sync_range(&self, offset: u64, len: u32, flags: u32) -> io::Result<()> {
        SyncFileRange::op(&self.fd, offset, len, flags)?.await
    }

    /// `fallocate(2)`: allocates (mode 0) or, with `libc::FALLOC_FL_*` flags, punches or
    /// zeroes `len` bytes at `offset`. `IORING_OP_FALLOCATE`, Linux 5.6+.
    ///
    /// # Errors
    ///
    /// `Unsupported` (EOPNOTSUPP) when the filesystem lacks the mode; else as
    /// [`sync_all`](File::sync_all).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.fallocate(0, 8192, 0).await.unwrap();
    ///     assert_eq!(file.metadata().await.unwrap().len(), 8192);
    /// });
    /// ```
    pub async fn fallocate(&self, offset: u64, len: u64, mode: i32) -> io::Result<()> {
        Fallocate::op(&self.fd, offset, len, mode)?.await
    }

    /// Truncates or extends the file to `len` bytes. `IORING_OP_FTRUNCATE` (Linux 6.9+);
    /// on older kernels the driver runs `ftruncate(2)` on its I/O threads, never on this
    /// thread.
    ///
    /// # Errors
    ///
    /// From the kernel (`EINVAL` on a read-only file, ...); `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.set_len(12345).await.unwrap();
    ///     assert_eq!(file.metadata().await.unwrap().len(), 12345);
    /// });
    /// ```
    pub async fn set_len(&self, len: u64) -> io::Result<()> {
        Ftruncate::op(&self.fd, len)?.await
    }

    /// The file's metadata (`IORING_OP_STATX` on the fd, Linux 5.6+).
    ///
    /// # Errors
    ///
    /// As [`sync_all`](File::sync_all).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     let m = file.metadata().await.unwrap();
    ///     assert!(m.is_file());
    ///     assert_eq!(m.len(), 0);
    /// });
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        Ok(Metadata::new(Statx::fd(&self.fd)?.await?))
    }

    /// Closes the file and reports the kernel's verdict (`IORING_OP_CLOSE`, Linux 5.6+;
    /// `close(2)` on older kernels). If operations that were dropped in flight still use the
    /// fd, it is closed, asynchronously, when the last of them completes, and `Ok` is
    /// returned.
    ///
    /// # Errors
    ///
    /// From the kernel (`EIO` on some network filesystems, ...); `Other` outside a runtime
    /// (the fd is then closed with `close(2)`).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.close().await.unwrap();
    /// });
    /// ```
    pub async fn close(self) -> io::Result<()> {
        match self.fd.try_take() {
            Some(fd) if op::is_supported(opcode::Close::CODE) => Close::op(fd).await,
            Some(fd) => {
                op::in_runtime()?;
                drop(fd);
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

impl std::os::fd::AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The file's fd, now yours to close: the fd itself when no operation holds it, else a
/// duplicate (an operation whose future was dropped may still use the original, which is
/// closed after it). Panics only when the process is out of descriptors.
impl std::os::fd::IntoRawFd for File {
    fn into_raw_fd(self) -> RawFd {
        std::os::fd::IntoRawFd::into_raw_fd(crate::net::fd_traits::into_owned(self.fd))
    }
}

/// Takes ownership of `fd`, which must be an open file (as `std::fs::File::from_raw_fd`).
impl std::os::fd::FromRawFd for File {
    #[allow(unsafe_code)]
    unsafe fn from_raw_fd(fd: RawFd) -> Self {
        // SAFETY: the caller hands over an open fd it owns (FromRawFd's contract).
        File::from_std(unsafe { std::fs::File::from_raw_fd(fd) })
    }
}
