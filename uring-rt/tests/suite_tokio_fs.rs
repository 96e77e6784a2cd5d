//! tokio's path-level fs tests restated for `uring_rt::fs`: `tokio/tests/fs.rs`,
//! `fs_write.rs`, `fs_copy.rs`, `fs_dir.rs`, `fs_link.rs`, `fs_open_options.rs`,
//! `fs_remove_dir_all.rs`, `fs_remove_file.rs`, `fs_rename.rs`, `fs_try_exists.rs`,
//! `fs_canonicalize_dir.rs`, and the path checks of `fs_uring_statx.rs` and
//! `fs_uring_rename.rs` (error numbers for loops, long names and missing sources). tokio's
//! `File` tests are in `suite_tokio_fs_file.rs`, its io_uring cancellation tests in
//! `suite_tokio_fs_uring.rs`.
//!
//! Each test checks what tokio's checks (bytes, error kinds, permission bits) and, where
//! tokio's only looks at the happy path, the error paths next to it.
//!
//! Not translated: `File::set_max_buf_size` (our `File` has no internal buffer), the
//! Windows-only tests, and `DirEntry::file_type().await` (ours is synchronous: the type
//! comes with the entry).

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use uring_rt::fs::{self, DirBuilder, File, OpenOptions};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A file name one byte longer than `PATH_MAX`.
fn too_long(dir: &Path) -> std::path::PathBuf {
    dir.join("a".repeat(libc::PATH_MAX as usize + 1))
}

#[test]
fn write_then_read_and_read_to_string() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.txt");
    uring_rt::start(async {
        fs::write(&path, "Hello, World!").await.unwrap();
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "Hello, World!");
        fs::write(&path, b"bytes").await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"bytes");
        // Larger than any one read, and not text.
        let big = pattern(300_000);
        fs::write(&path, &big).await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), big);
        let err = fs::read_to_string(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        // Multi-byte characters survive whole.
        fs::write(&path, "héllo, wörld 🦀").await.unwrap();
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "héllo, wörld 🦀");
        let missing = dir.path().join("missing");
        let err = fs::read_to_string(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = fs::read_to_string(dir.path()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IsADirectory);
    });
}

#[test]
fn copy_duplicates_contents_and_returns_the_length() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("foo.txt"), dir.path().join("bar.txt"));
    uring_rt::start(async {
        fs::write(&src, b"Hello File!").await.unwrap();
        assert_eq!(fs::copy(&src, &dst).await.unwrap(), 11);
        assert_eq!(fs::read(&dst).await.unwrap(), fs::read(&src).await.unwrap());

        // A larger source over a longer destination: the destination is truncated first.
        let data = pattern(1 << 20);
        std::fs::write(&dst, pattern(3 << 20)).unwrap();
        fs::write(&src, &data).await.unwrap();
        assert_eq!(fs::copy(&src, &dst).await.unwrap(), data.len() as u64);
        assert_eq!(std::fs::read(&dst).unwrap(), data);

        // An empty source.
        fs::write(&src, b"").await.unwrap();
        assert_eq!(fs::copy(&src, &dst).await.unwrap(), 0);
        assert_eq!(std::fs::metadata(&dst).unwrap().len(), 0);

        let missing = dir.path().join("missing");
        let err = fs::copy(&missing, &dst).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = fs::copy(&src, dir.path().join("no/such/dir"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        // std (and so tokio) refuses to copy a directory.
        let err = fs::copy(dir.path(), &dst).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn copy_carries_the_permission_bits() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("foo.txt"), dir.path().join("bar.txt"));
    uring_rt::start(async {
        let from = File::create(&src).await.unwrap();
        let mut perms = from.metadata().await.unwrap().permissions();
        perms.set_readonly(true);
        from.set_permissions(perms.clone()).await.unwrap();
        fs::copy(&src, &dst).await.unwrap();
        let to = fs::metadata(&dst).await.unwrap().permissions();
        assert_eq!(to, perms);
        assert!(to.readonly());

        // And an odd mode, exactly.
        fs::set_permissions(&src, PermissionsExt::from_mode(0o640))
            .await
            .unwrap();
        std::fs::set_permissions(&dst, PermissionsExt::from_mode(0o600)).unwrap();
        fs::copy(&src, &dst).await.unwrap();
        assert_eq!(fs::metadata(&dst).await.unwrap().mode() & 0o7777, 0o640);
    });
}

#[test]
fn dir_builder_recursive_mode_and_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("foo").join("bar");
    uring_rt::start(async {
        DirBuilder::new()
            .recursive(true)
            .create(&deep)
            .await
            .unwrap();
        assert!(deep.is_dir());
        // Recursive: an existing directory is fine; not recursive: it is not.
        DirBuilder::new()
            .recursive(true)
            .create(&deep)
            .await
            .unwrap();
        let err = DirBuilder::new().create(&deep).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        // Not recursive: a missing parent is an error.
        let orphan = dir.path().join("x").join("y");
        let err = DirBuilder::new().create(&orphan).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        // A file in the way, recursive or not.
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        for recursive in [false, true] {
            let err = DirBuilder::new()
                .recursive(recursive)
                .create(&file)
                .await
                .unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::AlreadyExists,
                "recursive {recursive}"
            );
        }

        let ro = dir.path().join("abc");
        DirBuilder::new()
            .recursive(true)
            .mode(0o444)
            .create(&ro)
            .await
            .unwrap();
        let perms = fs::metadata(&ro).await.unwrap().permissions();
        assert!(perms.readonly());
        assert_eq!(perms.mode() & 0o777, 0o444);
        // The mode of every directory a recursive build makes.
        let private = dir.path().join("p").join("q");
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&private)
            .await
            .unwrap();
        for d in [dir.path().join("p"), private] {
            assert_eq!(
                std::fs::metadata(&d).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
    });
}

#[test]
fn read_dir_names_and_entry_info() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for d in ["aa", "bb", "cc"] {
        std::fs::create_dir(p.join(d)).unwrap();
    }
    uring_rt::start(async {
        let mut names = Vec::new();
        let mut entries = fs::read_dir(p).await.unwrap();
        while let Some(e) = entries.next_entry().await.unwrap() {
            assert!(e.file_type().unwrap().is_dir());
            names.push(e.file_name().into_string().unwrap());
        }
        names.sort();
        assert_eq!(names, ["aa", "bb", "cc"]);
        // The end is sticky.
        assert!(entries.next_entry().await.unwrap().is_none());

        let only = tempfile::tempdir().unwrap();
        let file_path = only.path().join("a.txt");
        fs::write(&file_path, b"Hello File!").await.unwrap();
        let mut entries = fs::read_dir(only.path()).await.unwrap();
        let first = entries.next_entry().await.unwrap().unwrap();
        assert_eq!(first.path(), file_path);
        assert_eq!(first.file_name(), "a.txt");
        let meta = first.metadata().await.unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), 11);
        assert!(first.file_type().unwrap().is_file());
        assert!(entries.next_entry().await.unwrap().is_none());

        let err = fs::read_dir(p.join("missing")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = fs::read_dir(&file_path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotADirectory);
    });
}

#[test]
fn hard_link_shares_the_inode_and_reports_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src.txt"), dir.path().join("dst.txt"));
    std::fs::write(&src, b"hello").unwrap();
    uring_rt::start(async {
        fs::hard_link(&src, &dst).await.unwrap();
        // Rewriting the source in place shows through the link: one inode.
        std::fs::write(&src, b"new-data").unwrap();
        assert_eq!(fs::read(&dst).await.unwrap(), b"new-data");
        // Not a symlink: read_link refuses it.
        let err = fs::read_link(&dst).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(!fs::symlink_metadata(&dst).await.unwrap().is_symlink());

        let missing = dir.path().join("nonexistent.txt");
        let err = fs::hard_link(&missing, dir.path().join("x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = fs::hard_link(&src, &dst).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        // Directories cannot be hard-linked (EPERM, root included).
        let sub = dir.path().join("src_directory");
        fs::create_dir(&sub).await.unwrap();
        let err = fs::hard_link(&sub, dir.path().join("d")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    });
}

#[test]
fn symlink_is_followed_by_read_and_seen_by_read_link() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src.txt"), dir.path().join("dst.txt"));
    std::fs::write(&src, b"hello").unwrap();
    uring_rt::start(async {
        fs::symlink(&src, &dst).await.unwrap();
        std::fs::write(&src, b"new-data").unwrap();
        assert_eq!(fs::read(&dst).await.unwrap(), b"new-data");
        assert_eq!(fs::read_link(&dst).await.unwrap(), src);
        let meta = fs::symlink_metadata(&dst).await.unwrap();
        assert!(meta.file_type().is_symlink());
        assert!(fs::metadata(&dst).await.unwrap().is_file());

        let err = fs::symlink(&src, &dst).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        // A dangling link exists as a link, not as a file.
        std::fs::remove_file(&src).unwrap();
        assert!(!fs::try_exists(&dst).await.unwrap());
        assert!(fs::symlink_metadata(&dst).await.is_ok());
    });
}

#[test]
fn remove_dir_all_removes_the_tree_but_not_what_links_point_to() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, b"keep me").unwrap();
    let test_dir = dir.path().join("test");
    uring_rt::start(async {
        fs::create_dir(&test_dir).await.unwrap();
        let file_path = test_dir.join("a.txt");
        fs::write(&file_path, b"Hello File!").await.unwrap();
        fs::create_dir_all(test_dir.join("x/y/z")).await.unwrap();
        fs::write(test_dir.join("x/y/z/deep"), pattern(5000))
            .await
            .unwrap();
        fs::symlink(&outside, test_dir.join("x/link"))
            .await
            .unwrap();
        fs::symlink(dir.path(), test_dir.join("x/y/dirlink"))
            .await
            .unwrap();

        fs::remove_dir_all(&test_dir).await.unwrap();
        assert!(!fs::try_exists(&test_dir).await.unwrap());
        assert!(!fs::try_exists(&file_path).await.unwrap());
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep me");

        let err = fs::remove_dir_all(&test_dir).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = fs::remove_dir_all(&outside).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotADirectory);
        assert!(outside.exists());
    });
}

#[test]
fn remove_file_and_rename_seen_through_try_exists() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    uring_rt::start(async {
        fs::write(&a, b"Hello File!").await.unwrap();
        assert!(fs::try_exists(&a).await.unwrap());
        fs::rename(&a, &b).await.unwrap();
        assert!(fs::try_exists(&b).await.unwrap());
        assert!(!fs::try_exists(&a).await.unwrap());
        assert_eq!(fs::read(&b).await.unwrap(), b"Hello File!");

        // Rename replaces an existing destination.
        fs::write(&a, b"source").await.unwrap();
        fs::rename(&a, &b).await.unwrap();
        assert!(!fs::try_exists(&a).await.unwrap());
        assert_eq!(fs::read(&b).await.unwrap(), b"source");

        // A directory moves with its contents.
        let (src_dir, dst_dir) = (dir.path().join("src_dir"), dir.path().join("dst_dir"));
        fs::create_dir(&src_dir).await.unwrap();
        fs::write(src_dir.join("file.txt"), b"contents")
            .await
            .unwrap();
        fs::rename(&src_dir, &dst_dir).await.unwrap();
        assert!(!fs::try_exists(&src_dir).await.unwrap());
        assert_eq!(
            fs::read(dst_dir.join("file.txt")).await.unwrap(),
            b"contents"
        );

        // Errors carry the kernel's errno.
        let err = fs::rename(dir.path().join("nonexistent"), dir.path().join("dst"))
            .await
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
        let err = fs::rename(&b, too_long(dir.path())).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENAMETOOLONG));
        assert_eq!(err.kind(), ErrorKind::InvalidFilename);
        assert!(fs::try_exists(&b).await.unwrap());

        fs::remove_file(&b).await.unwrap();
        assert!(!fs::try_exists(&b).await.unwrap());
        let err = fs::remove_file(&b).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn try_exists_is_false_only_for_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("foo.txt");
    uring_rt::start(async {
        fs::write(&existing, b"Hello File!").await.unwrap();
        assert!(fs::try_exists(&existing).await.unwrap());
        assert!(fs::try_exists(dir.path()).await.unwrap());
        assert!(!fs::try_exists(dir.path().join("bar.txt")).await.unwrap());
        // A missing parent is still "does not exist".
        assert!(!fs::try_exists(dir.path().join("no/such/file"))
            .await
            .unwrap());

        // A file used as a directory: ENOTDIR is an error, not `false`.
        let err = fs::try_exists(existing.join("child")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotADirectory);

        // Two symlinks pointing at each other.
        let (first, second) = (dir.path().join("bar"), dir.path().join("foo"));
        fs::symlink(&first, &second).await.unwrap();
        fs::symlink(&second, &first).await.unwrap();
        for link in [&first, &second] {
            let err = fs::try_exists(link).await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ELOOP));
        }

        let err = fs::try_exists(too_long(dir.path())).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidFilename);
        let err = fs::try_exists("nul\0byte").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);

        // A directory that may not be searched: the answer is unknown, so an error.
        if is_root() {
            eprintln!("skipped the permission check: root may search any directory");
            return;
        }
        let locked = dir.path().join("baz");
        fs::create_dir(&locked).await.unwrap();
        let inside = locked.join("baz.txt");
        fs::write(&inside, b"Hello File!").await.unwrap();
        fs::set_permissions(&locked, PermissionsExt::from_mode(0o244))
            .await
            .unwrap();
        let res = fs::try_exists(&inside).await;
        fs::set_permissions(&locked, PermissionsExt::from_mode(0o755))
            .await
            .unwrap();
        let err = res.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_eq!(err.raw_os_error(), Some(libc::EACCES));
    });
}

#[test]
fn canonicalize_resolves_dots_and_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    // The temp dir itself may sit behind a symlink (/tmp on some systems).
    let real = std::fs::canonicalize(dir.path()).unwrap();
    uring_rt::start(async {
        assert_eq!(fs::canonicalize("/.").await.unwrap().to_str(), Some("/"));
        fs::create_dir_all(real.join("a/b")).await.unwrap();
        fs::symlink(real.join("a/b"), real.join("link"))
            .await
            .unwrap();
        let twisty = dir.path().join("a/./b/../../link/.");
        assert_eq!(fs::canonicalize(&twisty).await.unwrap(), real.join("a/b"));
        assert_eq!(
            fs::canonicalize(&twisty).await.unwrap(),
            std::fs::canonicalize(&twisty).unwrap()
        );
        let err = fs::canonicalize(dir.path().join("missing/.."))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn open_options_read_and_debug_fields() {
    const HELLO: &[u8] = b"hello world...";
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), HELLO).unwrap();
    uring_rt::start(async {
        let file = OpenOptions::new()
            .read(true)
            .open(tmp.path())
            .await
            .unwrap();
        let (res, buf) = file.read_at(vec![0u8; 1024], 0).await;
        let n = res.unwrap();
        assert_eq!(n, HELLO.len());
        assert_eq!(&buf[..n], HELLO);
    });
    // tokio's own check of the stored options reads the Debug output; so does this one.
    let show = |o: &OpenOptions| format!("{o:?}");
    assert!(show(OpenOptions::new().write(true)).contains("write: true"));
    assert!(show(OpenOptions::new().append(true)).contains("append: true"));
    assert!(show(OpenOptions::new().truncate(true)).contains("truncate: true"));
    assert!(show(OpenOptions::new().create(true)).contains("create: true"));
    assert!(show(OpenOptions::new().create_new(true)).contains("create_new: true"));
    assert!(show(OpenOptions::new().mode(0o644)).contains("mode: 420"));
    assert!(show(OpenOptions::new().custom_flags(libc::O_TRUNC)).contains("custom_flags: 512"));
}
