//! Registered buffers: `FixedBufPool` with `read_fixed_at` / `write_fixed_at`.

use std::io::ErrorKind;

use uring_rt::fs::{File, FixedBufPool, OpenOptions};

#[test]
fn fixed_round_trip_and_return_to_pool() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    uring_rt::start(async {
        let pool = FixedBufPool::new(4, 64 << 10).unwrap();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .open(&path)
            .await
            .unwrap();
        for i in 0..8u8 {
            let mut buf = pool.try_get().unwrap();
            buf.extend_from_slice(&vec![i; 64 << 10]);
            let (res, _) = file.write_fixed_at(buf, u64::from(i) * (64 << 10)).await;
            assert_eq!(res.unwrap(), 64 << 10);
        }
        assert_eq!(pool.available(), 4);
        let held: Vec<_> = (0..4).map(|_| pool.try_get().unwrap()).collect();
        assert!(pool.try_get().is_none());
        drop(held);
        for i in (0..8u8).rev() {
            let (res, buf) = file
                .read_fixed_at(pool.try_get().unwrap(), u64::from(i) * (64 << 10))
                .await;
            assert_eq!(res.unwrap(), 64 << 10);
            assert!(buf.iter().all(|&b| b == i), "chunk {i}");
        }
        // Past the end: 0 bytes, the buffer comes back empty.
        let (res, buf) = file.read_fixed_at(pool.try_get().unwrap(), 1 << 30).await;
        assert_eq!(res.unwrap(), 0);
        assert!(buf.is_empty());
    });
    let data = std::fs::read(&path).unwrap();
    for (i, chunk) in data.chunks(64 << 10).enumerate() {
        assert!(chunk.iter().all(|&b| b == i as u8));
    }
}

#[test]
fn registration_errors_are_clear() {
    uring_rt::start(async {
        let e = FixedBufPool::new(0, 4096).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let pool = FixedBufPool::new(1, 4096).unwrap();
        let e = FixedBufPool::new(1, 4096).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ResourceBusy);
        assert!(
            e.to_string().contains("already has registered buffers"),
            "{e}"
        );
        drop(pool);
        // Gone: the ring accepts a new set.
        let _pool = FixedBufPool::new(2, 4096).unwrap();
    });
    // Outside a runtime: an error, not a panic.
    assert_eq!(
        FixedBufPool::new(1, 4096).unwrap_err().kind(),
        ErrorKind::Other
    );
}

#[test]
fn fixed_buf_from_another_runtime_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"abc").unwrap();
    let rt1 = uring_rt::Runtime::new().unwrap();
    let rt2 = uring_rt::Runtime::new().unwrap();
    let (pool, buf) = rt1.block_on(async {
        let pool = FixedBufPool::new(1, 4096).unwrap();
        let buf = pool.try_get().unwrap();
        (pool, buf)
    });
    rt2.block_on(async {
        let file = File::open(&path).await.unwrap();
        let (res, buf) = file.read_fixed_at(buf, 0).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
        drop(buf);
    });
    drop(pool);
}

#[test]
fn registered_files_round_trip_and_free_their_slots() {
    let dir = tempfile::tempdir().unwrap();
    uring_rt::start(async {
        let path = dir.path().join("r");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .open(&path)
            .await
            .unwrap();
        file.register().unwrap();
        file.register().unwrap(); // idempotent on the same ring
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (res, _) = file.write_all_at(data.clone(), 0).await;
        res.unwrap();
        file.sync_data().await.unwrap();
        file.set_len(150_000).await.unwrap();
        let (res, back) = file.read_exact_at(vec![0u8; 150_000], 0).await;
        res.unwrap();
        assert!(back[..] == data[..150_000]);
        let (res, bufs) = file.readv_at(vec![vec![0u8; 10], vec![0u8; 10]], 5).await;
        assert_eq!(res.unwrap(), 20);
        assert_eq!(bufs.concat(), &data[5..25]);
        // Fixed file and fixed buffer together.
        let pool = FixedBufPool::new(1, 4096).unwrap();
        let (res, buf) = file.read_fixed_at(pool.try_get().unwrap(), 4096).await;
        assert_eq!(res.unwrap(), 4096);
        assert_eq!(&buf[..], &data[4096..8192]);
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), &data[..150_000]);

        // 1024 slots per ring: filling them is ResourceBusy; dropped files free theirs.
        let mut files = Vec::new();
        let err = loop {
            let f = File::open(&path).await.unwrap();
            match f.register() {
                Ok(()) => files.push(f),
                Err(e) => break e,
            }
            assert!(files.len() <= 1024);
        };
        assert_eq!(err.kind(), ErrorKind::ResourceBusy, "{err}");
        assert_eq!(files.len(), 1024);
        files.truncate(10);
        let f = File::open(&path).await.unwrap();
        f.register().unwrap();
        let (res, buf) = f.read_exact_at(vec![0u8; 100], 0).await;
        res.unwrap();
        assert_eq!(buf, &data[..100]);

        // Proof that the slot, not the fd number, is used: point the fd number at /dev/null
        // behind the File's back; reads through the ring still see the file.
        use std::os::fd::AsRawFd;
        let null = std::fs::File::open("/dev/null").unwrap();
        // SAFETY: both are open fds; dup2 replaces `f`'s fd number with a /dev/null dup.
        assert!(unsafe { libc::dup2(null.as_raw_fd(), f.as_raw_fd()) } >= 0);
        let (res, buf) = f.read_exact_at(vec![0u8; 100], 100).await;
        res.unwrap();
        assert_eq!(buf, &data[100..200]);
        // An unregistered file sees /dev/null the same way (0 bytes): the fd path.
        let g = File::open(&path).await.unwrap();
        // SAFETY: as above.
        assert!(unsafe { libc::dup2(null.as_raw_fd(), g.as_raw_fd()) } >= 0);
        let (res, _) = g.read_at(vec![0u8; 100], 0).await;
        assert_eq!(res.unwrap(), 0);
    });
}

#[test]
fn registered_file_used_from_another_runtime_falls_back_to_the_fd() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x");
    std::fs::write(&path, b"shared").unwrap();
    let rt1 = uring_rt::Runtime::new().unwrap();
    let rt2 = uring_rt::Runtime::new().unwrap();
    let file = rt1.block_on(async {
        let f = File::open(&path).await.unwrap();
        f.register().unwrap();
        f
    });
    rt2.block_on(async {
        let (res, buf) = file.read_at(vec![0u8; 6], 0).await;
        assert_eq!(res.unwrap(), 6);
        assert_eq!(buf, b"shared");
        assert_eq!(file.register().unwrap_err().kind(), ErrorKind::InvalidInput);
    });
    rt1.block_on(async {
        let (res, _) = file.read_at(vec![0u8; 6], 0).await;
        assert_eq!(res.unwrap(), 6);
        drop(file);
    });
}

/// Runs in a child process (see `memlock_limit_is_a_clear_error`): a low `RLIMIT_MEMLOCK`,
/// without root's `CAP_IPC_LOCK`, so buffer registration is charged against the limit.
#[test]
fn memlock_child() {
    if std::env::var_os("URING_RT_MEMLOCK_CHILD").is_none() {
        return;
    }
    let limit = libc::rlimit {
        rlim_cur: 64 << 10,
        rlim_max: 64 << 10,
    };
    // SAFETY: plain syscalls with valid arguments.
    unsafe {
        assert_eq!(libc::setrlimit(libc::RLIMIT_MEMLOCK, &limit), 0);
        if libc::geteuid() == 0 {
            assert_eq!(libc::setgid(65534), 0);
            assert_eq!(libc::setuid(65534), 0);
        }
    }
    uring_rt::start(async {
        let e = FixedBufPool::new(16, 1 << 20).unwrap_err();
        println!("MEMLOCK-ERROR kind={:?} msg={e}", e.kind());
        // The runtime keeps working after the refusal, and small pools still fit.
        uring_rt::io::nop().await.unwrap();
        FixedBufPool::new(1, 4096).unwrap();
    });
}

#[test]
fn memlock_limit_is_a_clear_error() {
    let kind = uring_rt::Runtime::new().unwrap().driver_kind();
    if kind == uring_rt::runtime::DriverKind::Epoll {
        eprintln!("skipping: the epoll driver pins no memory, so RLIMIT_MEMLOCK does not apply");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "memlock_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("URING_RT_MEMLOCK_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.contains("MEMLOCK-ERROR"))
        .unwrap_or_else(|| panic!("no result from the child: {stdout}"));
    println!("{line}");
    assert!(line.contains("kind=OutOfMemory"), "{line}");
    assert!(line.contains("ulimit -l"), "{line}");
}
