//! Every error path of the fs API, with its `ErrorKind`.

use std::io::ErrorKind;

use uring_rt::fs::{self, File, OpenOptions};

#[test]
fn open_errors() {
    let dir = tempfile::tempdir().unwrap();
    uring_rt::start(async {
        let e = File::open(dir.path().join("missing")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = File::open("a\0b").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = OpenOptions::new().open(dir.path()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = OpenOptions::new()
            .read(true)
            .truncate(true)
            .open(dir.path().join("x"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = File::create(dir.path()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IsADirectory);
        let e = File::open(dir.path().join("missing/child"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn io_errors_and_short_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"12345").unwrap();
    uring_rt::start(async {
        let ro = File::open(&path).await.unwrap();
        let (res, buf) = ro.write_at(b"x".to_vec(), 0).await;
        assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EBADF));
        assert_eq!(buf, b"x");
        let (res, _) = ro.write_all_at(b"x".to_vec(), 0).await;
        assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EBADF));
        // Past EOF: the bytes that existed are in the buffer.
        let (res, buf) = ro.read_exact_at(vec![0u8; 10], 2).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
        assert_eq!(buf, b"345\0\0\0\0\0\0\0");
        let (res, buf) = ro.read_at(Vec::with_capacity(4), 100).await;
        assert_eq!(res.unwrap(), 0);
        assert!(buf.is_empty());
        let e = ro.set_len(0).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput); // EINVAL: not open for writing
        let e = ro.fallocate(0, 10, 0).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EBADF));

        let wo = File::create(dir.path().join("w")).await.unwrap();
        let (res, _) = wo.read_at(vec![0u8; 4], 0).await;
        assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EBADF));
        let e = wo.sync_range(0, 0, 0xff00).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn write_zero_from_dev_full_is_storage_full() {
    // /dev/full fails writes with ENOSPC; write_all_at reports it, not a hang.
    uring_rt::start(async {
        let f = OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .await
            .unwrap();
        let (res, _) = f.write_all_at(vec![1u8; 10], 0).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::StorageFull);
        // A zero-length write_all_at succeeds without a syscall.
        let (res, _) = f.write_all_at(Vec::new(), 0).await;
        res.unwrap();
    });
}

#[test]
fn path_function_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("file"), b"").unwrap();
    std::fs::create_dir(root.join("full")).unwrap();
    std::fs::write(root.join("full/x"), b"").unwrap();
    uring_rt::start(async {
        let k = |r: std::io::Result<()>| r.unwrap_err().kind();
        assert_eq!(
            k(fs::remove_file(root.join("nope")).await),
            ErrorKind::NotFound
        );
        assert_eq!(
            k(fs::remove_file(root.join("full")).await),
            ErrorKind::IsADirectory
        );
        assert_eq!(
            k(fs::remove_dir(root.join("full")).await),
            ErrorKind::DirectoryNotEmpty
        );
        assert_eq!(
            k(fs::remove_dir(root.join("file")).await),
            ErrorKind::NotADirectory
        );
        assert_eq!(
            k(fs::create_dir(root.join("full")).await),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            k(fs::create_dir(root.join("a/b")).await),
            ErrorKind::NotFound
        );
        assert_eq!(
            k(fs::create_dir_all(root.join("file/sub")).await),
            ErrorKind::NotADirectory
        );
        assert_eq!(
            k(fs::create_dir_all(root.join("file")).await),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            k(fs::rename(root.join("nope"), root.join("x")).await),
            ErrorKind::NotFound
        );
        assert_eq!(
            k(fs::hard_link(root.join("file"), root.join("full/x")).await),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            k(fs::symlink("t", root.join("file")).await),
            ErrorKind::AlreadyExists
        );
        let e = fs::metadata(root.join("nope")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = fs::read(root.join("full")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IsADirectory);
        let e = fs::write(root.join("nope/x"), "data").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = fs::metadata("bad\0path").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let (file, res) = uring_rt::start(async {
        let f = File::create(&path).await.unwrap();
        (f, ())
    });
    let () = res;
    // Futures can be polled only by a runtime, but a File outlives it and closes with close(2).
    drop(file);
    let e = futures_lite_block_on(fs::metadata(&path));
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Other);
}

/// A minimal executor for a future that completes on first poll.
fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(Noop));
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("future did not complete on first poll"),
    }
}
