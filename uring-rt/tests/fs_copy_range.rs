//! `File::copy_range_to` (`copy_file_range(2)` on the blocking pool): data compared byte for
//! byte with the source, short copies at the end of the source, errors with their errno for
//! files it cannot copy between, several copies in flight, a copy dropped in flight, and no
//! fd left open. Runs on either driver (`URING_RT_DRIVER`).

use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use uring_rt::fs::{File, OpenOptions};
use uring_rt::Runtime;

mod support;
use support::fds_on;

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// Deterministic, incompressible bytes.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn errno(e: &std::io::Error) -> Option<i32> {
    e.raw_os_error()
}

#[test]
fn copies_ranges_byte_for_byte() {
    let dir = tempdir();
    let (src_path, dst_path) = (dir.path().join("src"), dir.path().join("dst"));
    let data = pattern((3 << 20) + 777, 1);
    std::fs::write(&src_path, &data).unwrap();
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let src = File::open(&src_path).await.unwrap();
        let dst = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&dst_path)
            .await
            .unwrap();
        // The whole file in one call, then an unaligned range to an unaligned offset past
        // the destination's end (the gap reads as zeros).
        let n = src.copy_range_to(&dst, 0, 0, data.len() as u64).await;
        assert_eq!(n.unwrap(), data.len() as u64);
        let (from, to, len) = (12_345u64, (4 << 20) + 3, 1_000_001u64);
        assert_eq!(src.copy_range_to(&dst, from, to, len).await.unwrap(), len);
        dst.close().await.unwrap();
    });
    drop(rt);
    let got = std::fs::read(&dst_path).unwrap();
    let (from, to, len) = (12_345usize, (4 << 20) + 3, 1_000_001usize);
    assert_eq!(got.len(), to + len);
    assert!(got[..data.len()] == data[..], "the whole-file copy differs");
    assert!(got[data.len()..to].iter().all(|&b| b == 0));
    assert!(
        got[to..] == data[from..from + len],
        "the range copy differs"
    );
    assert_eq!(fds_on(&src_path) + fds_on(&dst_path), 0);
}

#[test]
fn stops_at_the_end_of_the_source() {
    let dir = tempdir();
    let (src_path, dst_path) = (dir.path().join("src"), dir.path().join("dst"));
    let data = pattern(100_000, 2);
    std::fs::write(&src_path, &data).unwrap();
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let src = File::open(&src_path).await.unwrap();
        let dst = File::create(&dst_path).await.unwrap();
        // Past the end: fewer bytes than asked.
        assert_eq!(
            src.copy_range_to(&dst, 90_000, 0, 1 << 20).await.unwrap(),
            10_000
        );
        // At and past the end: nothing, and the destination is not extended.
        assert_eq!(
            src.copy_range_to(&dst, 100_000, 50_000, 10).await.unwrap(),
            0
        );
        assert_eq!(
            src.copy_range_to(&dst, 1 << 40, 50_000, 10).await.unwrap(),
            0
        );
        // An empty range copies nothing, even at an absurd offset.
        assert_eq!(src.copy_range_to(&dst, 5, 5, 0).await.unwrap(), 0);
        assert_eq!(dst.metadata().await.unwrap().len(), 10_000);
    });
    assert!(std::fs::read(&dst_path).unwrap() == data[90_000..]);
}

#[test]
fn errors_keep_their_errno() {
    let dir = tempdir();
    let (src_path, dst_path) = (dir.path().join("src"), dir.path().join("dst"));
    std::fs::write(&src_path, pattern(65_536, 3)).unwrap();
    std::fs::write(&dst_path, b"").unwrap();
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let src = File::open(&src_path).await.unwrap();
        let dst = OpenOptions::new()
            .write(true)
            .open(&dst_path)
            .await
            .unwrap();

        // The source opened write-only, the destination read-only: EBADF.
        let e = dst.copy_range_to(&src, 0, 0, 10).await.unwrap_err();
        assert_eq!(errno(&e), Some(libc::EBADF), "{e}");
        let ro = File::open(&dst_path).await.unwrap();
        let e = src.copy_range_to(&ro, 0, 0, 10).await.unwrap_err();
        assert_eq!(errno(&e), Some(libc::EBADF), "{e}");
        assert!(!File::is_copy_unsupported(&e));
        // An O_APPEND destination: EBADF.
        let append = OpenOptions::new()
            .append(true)
            .open(&dst_path)
            .await
            .unwrap();
        let e = src.copy_range_to(&append, 0, 0, 10).await.unwrap_err();
        assert_eq!(errno(&e), Some(libc::EBADF), "{e}");

        // A socket on either side: EINVAL (not a regular file), which callers fall back
        // from.
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (a, b) = (
            File::from_std(std::fs::File::from(OwnedFd::from(a))),
            File::from_std(std::fs::File::from(OwnedFd::from(b))),
        );
        let e = src.copy_range_to(&a, 0, 0, 10).await.unwrap_err();
        assert_eq!(errno(&e), Some(libc::EINVAL), "{e}");
        assert!(File::is_copy_unsupported(&e));
        let e = b.copy_range_to(&dst, 0, 0, 10).await.unwrap_err();
        assert_eq!(errno(&e), Some(libc::EINVAL), "{e}");

        // A directory as the source: EISDIR.
        let d = File::from_std(std::fs::File::open(dir.path()).unwrap());
        let e = d.copy_range_to(&dst, 0, 0, 10).await.unwrap_err();
        assert_eq!(errno(&e), Some(libc::EISDIR), "{e}");

        // Overlapping ranges of one file: EINVAL.
        let rw = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&src_path)
            .await
            .unwrap();
        let e = rw.copy_range_to(&rw, 0, 100, 1000).await.unwrap_err();
        assert_eq!(errno(&e), Some(libc::EINVAL), "{e}");

        // Offsets the kernel cannot represent: InvalidInput before any syscall.
        for (from, to) in [(u64::MAX - 5, 0), (0, i64::MAX as u64)] {
            let e = src.copy_range_to(&dst, from, to, 10).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        }
        assert_eq!(
            dst.metadata().await.unwrap().len(),
            0,
            "nothing was written"
        );
        for f in [src, dst, ro, append, rw, a, b, d] {
            f.close().await.unwrap();
        }
    });
    drop(rt);
    assert_eq!(fds_on(&src_path) + fds_on(&dst_path), 0);
}

#[test]
fn outside_a_runtime_is_an_error() {
    let dir = tempdir();
    let path = dir.path().join("f");
    std::fs::write(&path, b"abc").unwrap();
    let file = File::from_std(std::fs::File::open(&path).unwrap());
    let out = File::from_std(tempfile::tempfile().unwrap());
    let e = futures::executor::block_on(file.copy_range_to(&out, 0, 0, 3)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Other, "{e}");
}

#[test]
fn several_copies_in_flight_and_one_dropped() {
    let dir = tempdir();
    let (src_path, dst_path) = (dir.path().join("src"), dir.path().join("dst"));
    let chunk = 1 << 20;
    let data = pattern(8 * chunk + 5, 4);
    std::fs::write(&src_path, &data).unwrap();
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let src = std::rc::Rc::new(File::open(&src_path).await.unwrap());
        let dst = std::rc::Rc::new(File::create(&dst_path).await.unwrap());
        // Nine disjoint ranges at once, the last one short.
        let mut handles = Vec::new();
        for i in 0..9u64 {
            let (src, dst) = (src.clone(), dst.clone());
            let at = i * chunk as u64;
            handles.push(uring_rt::spawn(async move {
                src.copy_range_to(&dst, at, at, chunk as u64).await
            }));
        }
        let mut total = 0;
        for h in handles {
            total += h.await.unwrap().unwrap();
        }
        assert_eq!(total, data.len() as u64);

        // Dropped after its first poll: the copy finishes on its blocking thread, the
        // runtime goes on, and its fds are released once it is done.
        let mut dropped =
            Box::pin(src.copy_range_to(&dst, 0, data.len() as u64, data.len() as u64));
        let _ = futures::poll!(dropped.as_mut());
        drop(dropped);
        uring_rt::io::nop().await.unwrap();
    });
    drop(rt);
    let deadline = Instant::now() + Duration::from_secs(10);
    while fds_on(&src_path) + fds_on(&dst_path) > 0 {
        assert!(Instant::now() < deadline, "fds still open after 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let got = std::fs::read(&dst_path).unwrap();
    assert!(got[..data.len()] == data[..], "concurrent copies differ");
    // The dropped copy either did not start or completed: never a torn length.
    assert!(got.len() == data.len() || got.len() == 2 * data.len());
    let f = std::fs::File::open(&dst_path).unwrap();
    let mut head = [0u8; 16];
    f.read_exact_at(&mut head, 0).unwrap();
    assert_eq!(&head[..], &data[..16]);
}
