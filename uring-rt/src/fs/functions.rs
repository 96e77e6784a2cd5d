//! Free functions on paths, mirroring `std::fs`, each one or a few ring operations.

use std::io;
use std::path::Path;

use super::{cstr, File, Metadata};
use crate::buf::IoBuf;
use crate::op::{LinkAt, MkDirAt, RenameAt, Statx, SymlinkAt, UnlinkAt};

/// Reads the whole file at `path` (open, `statx` for the size, reads until end of file).
///
/// # Errors
///
/// `NotFound`, `PermissionDenied`, `IsADirectory` (on read), ...; as [`File::open`].
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let tmp = tempfile::NamedTempFile::new().unwrap();
///     std::fs::write(tmp.path(), b"contents").unwrap();
///     assert_eq!(uring_rt::fs::read(tmp.path()).await.unwrap(), b"contents");
/// });
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let file = File::open(path).await?;
    let size = file.metadata().await?.len();
    // One extra byte, so a file of the size statx reported ends with a single read of 0.
    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity().max(8192));
        }
        let len = buf.len();
        let (res, slice) = file.read_at(buf.slice(len..), len as u64).await;
        buf = slice.into_inner();
        match res {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let _ = file.close().await;
    Ok(buf)
}

/// Reads the whole file at `path` as UTF-8 text, as `tokio::fs::read_to_string`.
///
/// # Errors
///
/// As [`read`]; `InvalidData` when the contents are not valid UTF-8.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let tmp = tempfile::NamedTempFile::new().unwrap();
///     std::fs::write(tmp.path(), "héllo").unwrap();
///     assert_eq!(uring_rt::fs::read_to_string(tmp.path()).await.unwrap(), "héllo");
///     std::fs::write(tmp.path(), [0xff, 0xfe]).unwrap();
///     let err = uring_rt::fs::read_to_string(tmp.path()).await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
/// });
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    String::from_utf8(read(path).await?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// Writes `contents` to the file at `path`, creating or truncating it.
///
/// Takes anything std's and tokio's `write` take (`Vec`, `&[u8]`, `&str`, `String`, byte
/// literals); the bytes are copied once into a buffer the kernel owns during the write. To
/// write without the copy, use [`File::write_all_at`] with an owned buffer.
///
/// # Errors
///
/// As [`File::create`] and [`File::write_all_at`].
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let tmp = tempfile::NamedTempFile::new().unwrap();
///     uring_rt::fs::write(tmp.path(), "text").await.unwrap();
///     assert_eq!(std::fs::read(tmp.path()).unwrap(), b"text");
///     let borrowed = vec![1u8, 2, 3];
///     uring_rt::fs::write(tmp.path(), &borrowed).await.unwrap();
///     assert_eq!(std::fs::read(tmp.path()).unwrap(), borrowed);
/// });
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let owned = contents.as_ref().to_vec();
    let file = File::create(path).await?;
    file.write_all_at(owned, 0).await.0?;
    file.close().await
}

/// Metadata of `path`, following symlinks (`IORING_OP_STATX`, Linux 5.6+).
///
/// # Errors
///
/// `NotFound`, `PermissionDenied`, `InvalidInput` (NUL in path), `Unsupported`, ...
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     assert!(uring_rt::fs::metadata("/").await.unwrap().is_dir());
/// });
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    Ok(Metadata::new(
        Statx::path(cstr(path.as_ref())?, true)?.await?,
    ))
}

/// Whether `path` exists (following symlinks): `Ok(false)` only when the kernel says
/// `NotFound`; any other failure to look (no permission to search a parent directory, a
/// symlink loop, a name too long) is an error, not `false`. One `statx`
/// (`IORING_OP_STATX`, Linux 5.6+), as `tokio::fs::try_exists` and `std::fs::exists`.
///
/// # Errors
///
/// `PermissionDenied`, `InvalidFilename` (`ENAMETOOLONG`), `ELOOP`, `InvalidInput` (NUL in
/// the path), `Unsupported`, ...; `NotFound` is `Ok(false)`.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     assert!(uring_rt::fs::try_exists(dir.path()).await.unwrap());
///     assert!(!uring_rt::fs::try_exists(dir.path().join("no")).await.unwrap());
/// });
/// ```
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    match metadata(path).await {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Metadata of `path` itself, not following a final symlink (`IORING_OP_STATX`, 5.6+).
///
/// # Errors
///
/// As [`metadata`].
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let link = dir.path().join("link");
///     std::os::unix::fs::symlink("/", &link).unwrap();
///     assert!(uring_rt::fs::symlink_metadata(&link).await.unwrap().is_symlink());
///     assert!(uring_rt::fs::metadata(&link).await.unwrap().is_dir());
/// });
/// ```
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    Ok(Metadata::new(
        Statx::path(cstr(path.as_ref())?, false)?.await?,
    ))
}

/// Removes a file (or symlink) (`IORING_OP_UNLINKAT`, Linux 5.11+).
///
/// # Errors
///
/// `NotFound`, `IsADirectory`, `PermissionDenied`, `Unsupported`, ...
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let p = dir.path().join("f");
///     std::fs::write(&p, b"").unwrap();
///     uring_rt::fs::remove_file(&p).await.unwrap();
///     assert!(!p.exists());
/// });
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    UnlinkAt::op(cstr(path.as_ref())?, false)?.await
}

/// Removes an empty directory (`IORING_OP_UNLINKAT` with `AT_REMOVEDIR`, Linux 5.11+).
///
/// # Errors
///
/// `NotFound`, `DirectoryNotEmpty`, `NotADirectory`, `Unsupported`, ...
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let d = dir.path().join("d");
///     std::fs::create_dir(&d).unwrap();
///     uring_rt::fs::remove_dir(&d).await.unwrap();
///     assert!(!d.exists());
/// });
/// ```
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    UnlinkAt::op(cstr(path.as_ref())?, true)?.await
}

/// Creates a directory, mode `0o777` less the umask (`IORING_OP_MKDIRAT`, Linux 5.15+).
///
/// # Errors
///
/// `AlreadyExists`, `NotFound` (missing parent), `PermissionDenied`, `Unsupported`, ...
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     uring_rt::fs::create_dir(dir.path().join("d")).await.unwrap();
///     assert!(dir.path().join("d").is_dir());
/// });
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    create_dir_mode(path.as_ref(), 0o777).await
}

/// `mkdirat(2)` of `path` with `mode` (less the umask).
pub(super) async fn create_dir_mode(path: &Path, mode: u32) -> io::Result<()> {
    MkDirAt::op(cstr(path)?, mode)?.await
}

/// Creates a directory and every missing parent; `Ok` if it already exists as a directory.
///
/// # Errors
///
/// As [`create_dir`]; `AlreadyExists` when a path component exists but is not a directory.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let deep = dir.path().join("a/b/c");
///     uring_rt::fs::create_dir_all(&deep).await.unwrap();
///     uring_rt::fs::create_dir_all(&deep).await.unwrap();
///     assert!(deep.is_dir());
/// });
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    create_dir_all_mode(path.as_ref(), 0o777).await
}

/// [`create_dir_all`] with `mode` (less the umask) for each directory it makes.
pub(super) async fn create_dir_all_mode(path: &Path, mode: u32) -> io::Result<()> {
    // Walk up until a directory can be made (or exists), then come back down.
    let mut missing = Vec::new();
    let mut cur = path;
    loop {
        if cur.as_os_str().is_empty() {
            break;
        }
        match create_dir_mode(cur, mode).await {
            Ok(()) => break,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing.push(cur);
                match cur.parent() {
                    Some(parent) => cur = parent,
                    None => return Err(e),
                }
            }
            Err(e) => {
                if is_dir(cur).await {
                    break;
                }
                return Err(e);
            }
        }
    }
    for dir in missing.into_iter().rev() {
        if let Err(e) = create_dir_mode(dir, mode).await {
            // Someone else may have made it meanwhile.
            if !is_dir(dir).await {
                return Err(e);
            }
        }
    }
    Ok(())
}

async fn is_dir(path: &Path) -> bool {
    metadata(path).await.is_ok_and(|m| m.is_dir())
}

/// Renames `from` to `to`, replacing `to` if it exists (`IORING_OP_RENAMEAT`, Linux 5.11+).
///
/// # Errors
///
/// `NotFound`, `CrossesDevices`, `IsADirectory`, `DirectoryNotEmpty`, `Unsupported`, ...
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let (a, b) = (dir.path().join("a"), dir.path().join("b"));
///     std::fs::write(&a, b"x").unwrap();
///     uring_rt::fs::rename(&a, &b).await.unwrap();
///     assert!(!a.exists() && b.exists());
/// });
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    RenameAt::op(cstr(from.as_ref())?, cstr(to.as_ref())?, 0)?.await
}

/// Renames `from` to `to` unless `to` exists, atomically (`renameat2` with
/// `RENAME_NOREPLACE` through `IORING_OP_RENAMEAT`, Linux 5.11+): the check and the rename
/// are one step, so nothing created at `to` in between is ever replaced.
///
/// # Errors
///
/// `AlreadyExists` when `to` exists (nothing changed); `InvalidInput` (`EINVAL`) on a
/// filesystem without `RENAME_NOREPLACE` (ext4, xfs, btrfs and tmpfs have it); otherwise as
/// [`rename`].
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let (a, b) = (dir.path().join("a"), dir.path().join("b"));
///     std::fs::write(&a, b"new").unwrap();
///     std::fs::write(&b, b"old").unwrap();
///     let e = uring_rt::fs::rename_noreplace(&a, &b).await.unwrap_err();
///     assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
///     assert_eq!(std::fs::read(&b).unwrap(), b"old");
///     std::fs::remove_file(&b).unwrap();
///     uring_rt::fs::rename_noreplace(&a, &b).await.unwrap();
///     assert_eq!(std::fs::read(&b).unwrap(), b"new");
/// });
/// ```
pub async fn rename_noreplace(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    RenameAt::op(
        cstr(from.as_ref())?,
        cstr(to.as_ref())?,
        libc::RENAME_NOREPLACE,
    )?
    .await
}

/// Makes `link` a new hard link to `original` (`IORING_OP_LINKAT`, Linux 5.15+).
///
/// # Errors
///
/// `NotFound`, `AlreadyExists`, `CrossesDevices`, `Unsupported`, ...
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let (a, b) = (dir.path().join("a"), dir.path().join("b"));
///     std::fs::write(&a, b"x").unwrap();
///     uring_rt::fs::hard_link(&a, &b).await.unwrap();
///     assert_eq!(uring_rt::fs::metadata(&a).await.unwrap().nlink(), 2);
/// });
/// ```
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    LinkAt::op(cstr(original.as_ref())?, cstr(link.as_ref())?)?.await
}

/// Makes `link` a symbolic link to `target` (`IORING_OP_SYMLINKAT`, Linux 5.15+). `target`
/// is stored as given; it need not exist.
///
/// # Errors
///
/// `AlreadyExists`, `NotFound` (missing parent of `link`), `Unsupported`, ...
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     let link = dir.path().join("l");
///     uring_rt::fs::symlink("target", &link).await.unwrap();
///     assert_eq!(std::fs::read_link(&link).unwrap(), std::path::Path::new("target"));
/// });
/// ```
pub async fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    SymlinkAt::op(cstr(target.as_ref())?, cstr(link.as_ref())?)?.await
}
