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
