//! `File::{seek_data, seek_hole, set_permissions, set_times}` and
//! `fs::{set_permissions, read_link}`: results against std and the kernel, errors with their
//! errno, and nothing left in flight.

use std::fs::{FileTimes, Permissions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::time::{Duration, SystemTime};

use uring_rt::fs::{self, File, OpenOptions};
use uring_rt::Runtime;

/// How many of this process's fds are open on `path` (other tests run in parallel, so
/// only fds on this test's own file are counted).
fn fds_on(path: &std::path::Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target == path)
        .count()
}

#[test]
fn seek_data_and_hole_walk_a_sparse_file() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("sparse");
    let std_file = std::fs::File::create(&path).unwrap();
    std_file.set_len(64 << 20).unwrap();
    std_file.write_all_at(&[1u8; 8192], 4 << 20).unwrap();
    std_file.write_all_at(&[2u8; 4096], 40 << 20).unwrap();
    drop(std_file);
    if std::fs::metadata(&path).unwrap().blocks() * 512 >= 64 << 20 {
        println!("skipped: this filesystem does not keep holes");
        return;
    }
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let file = File::open(&path).await.unwrap();
        assert_eq!(file.seek_data(0).await.unwrap(), Some(4 << 20));
        assert_eq!(
            file.seek_hole(4 << 20).await.unwrap(),
            Some((4 << 20) + 8192)
        );
        assert_eq!(
            file.seek_data((4 << 20) + 8192).await.unwrap(),
            Some(40 << 20)
        );
        assert_eq!(
            file.seek_hole(40 << 20).await.unwrap(),
            Some((40 << 20) + 4096)
        );
        // The trailing hole: no more data; an offset in a hole is its own hole.
        assert_eq!(file.seek_data((40 << 20) + 4096).await.unwrap(), None);
        assert_eq!(
            file.seek_hole((40 << 20) + 4096).await.unwrap(),
            Some((40 << 20) + 4096)
        );
        // At and past the end: ENXIO, reported as None.
        assert_eq!(file.seek_data(64 << 20).await.unwrap(), None);
        assert_eq!(file.seek_hole(1 << 40).await.unwrap(), None);
        // An offset lseek cannot take.
        let err = file.seek_data(u64::MAX).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        file.close().await.unwrap();
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn set_permissions_and_times_match_std() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"data").unwrap();
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let file = OpenOptions::new().write(true).open(&path).await.unwrap();
        file.set_permissions(Permissions::from_mode(0o4751))
            .await
            .unwrap();
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_234_567_890, 987_654_321);
        let a = SystemTime::UNIX_EPOCH + Duration::new(1_000_000_000, 1);
        file.set_times(FileTimes::new().set_modified(t).set_accessed(a))
            .await
            .unwrap();
        // Only the modification time: the access time stays.
        let t2 = t + Duration::from_secs(60);
        file.set_times(FileTimes::new().set_modified(t2))
            .await
            .unwrap();
        // The duplicates std used are closed: only the file's own fd is open on the path.
        assert_eq!(fds_on(&path), 1);
        file.close().await.unwrap();
        assert_eq!(fds_on(&path), 0);
        let m = std::fs::metadata(&path).unwrap();
        assert_eq!(m.mode() & 0o7777, 0o4751);
        assert_eq!(m.modified().unwrap(), t2);
        assert_eq!(m.accessed().unwrap(), a);

        fs::set_permissions(&path, Permissions::from_mode(0o600))
            .await
            .unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o7777, 0o600);
        let err = fs::set_permissions(dir.path().join("missing"), Permissions::from_mode(0o600))
            .await
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn read_link_returns_the_target_or_the_errno() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink("../some/where", &link).unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"").unwrap();
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        assert_eq!(
            fs::read_link(&link).await.unwrap(),
            std::fs::read_link(&link).unwrap()
        );
        let err = fs::read_link(&plain).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
        let err = fs::read_link(dir.path().join("missing")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = fs::read_link("bad\0path").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn outside_a_runtime_the_calls_fail_cleanly() {
    let file = File::from_std(tempfile::tempfile().unwrap());
    let err = futures::executor::block_on(file.seek_data(0)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    let err = futures::executor::block_on(file.set_permissions(Permissions::from_mode(0o600)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    let err = futures::executor::block_on(fs::read_link("/")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
}
