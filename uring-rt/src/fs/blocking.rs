//! Free functions on paths that have no io_uring opcode: each runs its `std::fs` namesake on
//! the blocking pool, as tokio runs all of its `fs` functions, so the runtime's thread never
//! blocks in the kernel. They work the same on both drivers.

use std::fs::Permissions;
use std::io;
use std::path::{Path, PathBuf};

/// Copies the contents and the permission bits of the file `from` to `to`, creating or
/// truncating `to`; the number of bytes copied. `std::fs::copy` on the blocking pool (it
/// uses `copy_file_range(2)`, so the bytes need not pass through user space), as
/// `tokio::fs::copy`.
///
/// # Errors
///
/// `NotFound` (`from` missing, or `to`'s parent missing); `InvalidInput` when `from` is not a
/// regular file (a directory, ...); `PermissionDenied`; `Other` outside a runtime.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let (a, b) = (dir.path().join("a"), dir.path().join("b"));
///     std::fs::write(&a, b"copy me").unwrap();
///     assert_eq!(uring_rt::fs::copy(&a, &b).await.unwrap(), 7);
///     assert_eq!(std::fs::read(&b).unwrap(), b"copy me");
/// });
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_path_buf(), to.as_ref().to_path_buf());
    blocking(move || std::fs::copy(from, to)).await
}

/// Removes the directory at `path` after removing everything in it, without following
/// symlinks inside it (a symlink is removed, not its target). `std::fs::remove_dir_all` on
/// the blocking pool, as `tokio::fs::remove_dir_all`.
///
/// # Errors
///
/// `NotFound`; `NotADirectory` when `path` is not a directory (a symlink to one included);
/// the first error removing an entry; `Other` outside a runtime.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let top = dir.path().join("top");
///     std::fs::create_dir_all(top.join("a/b")).unwrap();
///     std::fs::write(top.join("a/b/f"), b"x").unwrap();
///     uring_rt::fs::remove_dir_all(&top).await.unwrap();
///     assert!(!top.exists());
/// });
/// ```
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_path_buf();
    blocking(move || std::fs::remove_dir_all(path)).await
}

/// The absolute form of `path` with every `.`, `..` and symlink resolved
/// (`realpath(3)` on the blocking pool), as `tokio::fs::canonicalize`.
///
/// # Errors
///
/// `NotFound` when `path` or a component does not exist; `NotADirectory` when a middle
/// component is not a directory; `Other` outside a runtime.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     assert_eq!(uring_rt::fs::canonicalize("/.").await.unwrap(), std::path::Path::new("/"));
/// });
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_path_buf();
    blocking(move || std::fs::canonicalize(path)).await
}

/// Changes the permission bits of the file at `path`, following symlinks (`chmod(2)` on the
/// blocking pool: io_uring has no opcode for it), as `std::fs::set_permissions`.
///
/// # Errors
///
/// `NotFound`, `PermissionDenied` (not the owner), ...; `Other` outside a runtime.
///
/// # Examples
///
/// ```
/// use std::fs::Permissions;
/// use std::os::unix::fs::PermissionsExt;
///
/// uring_rt::start(async {
///     let f = tempfile::NamedTempFile::new().unwrap();
///     uring_rt::fs::set_permissions(f.path(), Permissions::from_mode(0o600)).await.unwrap();
///     let m = uring_rt::fs::metadata(f.path()).await.unwrap();
///     assert_eq!(m.permissions().mode() & 0o7777, 0o600);
/// });
/// ```
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_path_buf();
    blocking(move || std::fs::set_permissions(path, perm)).await
}

/// The target of the symbolic link at `path` (`readlink(2)` on the blocking pool: io_uring
/// has no opcode for it), as `std::fs::read_link`.
///
/// # Errors
///
/// `NotFound`; `InvalidInput` (`EINVAL`) when `path` is not a symlink; `Other` outside a
/// runtime.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let link = dir.path().join("link");
///     std::os::unix::fs::symlink("some/target", &link).unwrap();
///     let target = uring_rt::fs::read_link(&link).await.unwrap();
///     assert_eq!(target, std::path::Path::new("some/target"));
/// });
/// ```
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_path_buf();
    blocking(move || std::fs::read_link(path)).await
}

/// Runs `f` on the blocking pool and hands back its result.
pub(super) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> io::Result<R> + Send + 'static,
) -> io::Result<R> {
    crate::op::in_runtime()?;
    crate::spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(e.to_string()))?
}
