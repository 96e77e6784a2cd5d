//! [`DirBuilder`]: creates directories with a chosen mode, optionally with their parents.

use std::io;
use std::path::Path;

use super::functions::{create_dir_all_mode, create_dir_mode};

/// Options for creating a directory, as `std::fs::DirBuilder` and `tokio::fs::DirBuilder`:
/// whether missing parents are made too ([`recursive`](DirBuilder::recursive)) and the
/// permission bits ([`mode`](DirBuilder::mode), less the umask). Each directory is one
/// `IORING_OP_MKDIRAT` (Linux 5.15+).
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
/// use uring_rt::fs::DirBuilder;
///
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let deep = dir.path().join("a/b");
///     DirBuilder::new().recursive(true).mode(0o700).create(&deep).await.unwrap();
///     let mode = std::fs::metadata(&deep).unwrap().permissions().mode();
///     assert_eq!(mode & 0o777, 0o700);
/// });
/// ```
#[derive(Debug, Clone)]
pub struct DirBuilder {
    recursive: bool,
    mode: u32,
}

impl Default for DirBuilder {
    fn default() -> DirBuilder {
        DirBuilder::new()
    }
}

impl DirBuilder {
    /// A builder that makes one directory (not its parents), mode `0o777` less the umask.
    ///
    /// # Examples
    ///
    /// See [`DirBuilder`].
    pub fn new() -> DirBuilder {
        DirBuilder {
            recursive: false,
            mode: 0o777,
        }
    }

    /// Whether to make missing parents too; then an existing directory at the path is not
    /// an error.
    ///
    /// # Examples
    ///
    /// See [`DirBuilder`].
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// The permission bits of each directory made (less the umask).
    ///
    /// # Examples
    ///
    /// See [`DirBuilder`].
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = mode;
        self
    }

    /// Creates the directory at `path` with these options.
    ///
    /// # Errors
    ///
    /// As [`create_dir`](super::create_dir) (`AlreadyExists` when not recursive and the
    /// path exists; `NotFound` when a parent is missing), or as
    /// [`create_dir_all`](super::create_dir_all) when recursive.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let dir = tempfile::tempdir().unwrap();
    ///     let d = dir.path().join("d");
    ///     uring_rt::fs::DirBuilder::new().create(&d).await.unwrap();
    ///     let err = uring_rt::fs::DirBuilder::new().create(&d).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    /// });
    /// ```
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        if self.recursive {
            create_dir_all_mode(path.as_ref(), self.mode).await
        } else {
            create_dir_mode(path.as_ref(), self.mode).await
        }
    }
}
