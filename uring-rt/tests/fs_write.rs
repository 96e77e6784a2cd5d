//! Data written with uring-rt is read back byte-for-byte by std; many files at once.

use std::rc::Rc;

use bytes::BytesMut;
use uring_rt::buf::IoBuf;
use uring_rt::fs::{self, File, OpenOptions};

fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn written_out_of_order_read_back_by_std() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w");
    let data = pattern(4 << 20, 10);
    uring_rt::start(async {
        let file = File::create(&path).await.unwrap();
        let chunk = 64 << 10;
        let n = data.len() / chunk;
        for i in 0..n {
            let c = (i * 29) % n;
            let v = data[c * chunk..(c + 1) * chunk].to_vec();
            let (res, _) = file.write_all_at(v, (c * chunk) as u64).await;
            res.unwrap();
        }
        file.sync_all().await.unwrap();
        file.close().await.unwrap();
    });
    assert!(std::fs::read(&path).unwrap() == data);
}

#[test]
fn every_buffer_kind_and_slices() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w");
    let data = pattern(200_000, 11);
    uring_rt::start(async {
        let file = File::create(&path).await.unwrap();
        // A Vec, a BytesMut, a Bytes, a &'static and a slice of a bigger buffer.
        let (res, _) = file.write_all_at(data[..50_000].to_vec(), 0).await;
        res.unwrap();
        let (res, _) = file
            .write_all_at(BytesMut::from(&data[50_000..100_000]), 50_000)
            .await;
        res.unwrap();
        let (res, _) = file
            .write_all_at(
                bytes::Bytes::copy_from_slice(&data[100_000..150_000]),
                100_000,
            )
            .await;
        res.unwrap();
        let big = data.clone();
        let (res, slice) = file.write_all_at(big.slice(150_000..), 150_000).await;
        res.unwrap();
        assert_eq!(slice.into_inner().len(), data.len());
        let (res, n) = file.writev_at(vec![&b"AB"[..], &b"CD"[..]], 200_000).await;
        assert_eq!(res.unwrap(), 4);
        assert_eq!(n.len(), 2);
        file.sync_data().await.unwrap();
    });
    let got = std::fs::read(&path).unwrap();
    assert_eq!(&got[..200_000], &data[..]);
    assert_eq!(&got[200_000..], b"ABCD");
}

#[test]
fn set_len_fallocate_sync_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t");
    uring_rt::start(async {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .unwrap();
        file.fallocate(0, 1 << 20, 0).await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 1 << 20);
        file.set_len(1000).await.unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 1000);
        let (res, _) = file.write_all_at(vec![1u8; 1000], 0).await;
        res.unwrap();
        file.sync_range(
            0,
            1000,
            libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER,
        )
        .await
        .unwrap();
        // Punch a hole: zeroes come back.
        file.fallocate(
            0,
            4096,
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
        )
        .await
        .unwrap();
        let (res, buf) = file.read_exact_at(vec![9u8; 1000], 0).await;
        res.unwrap();
        assert!(buf.iter().all(|&b| b == 0));
    });
}

#[test]
fn append_and_create_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a");
    uring_rt::start(async {
        fs::write(&path, "one,").await.unwrap();
        let file = OpenOptions::new().append(true).open(&path).await.unwrap();
        // O_APPEND: the offset is ignored by the kernel for appends.
        let (res, _) = file.write_at("two", 0).await;
        assert_eq!(res.unwrap(), 3);
        drop(file);
        assert_eq!(fs::read(&path).await.unwrap(), b"one,two");
        let err = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .mode(0o640)
            .open(dir.path().join("m"))
            .await
            .unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = f.metadata().await.unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !0o640, 0, "mode {mode:o}");
    });
}

#[test]
fn directories_links_and_renames() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    uring_rt::start(async {
        fs::create_dir_all(root.join("a/b/c")).await.unwrap();
        assert!(root.join("a/b/c").is_dir());
        fs::write(root.join("a/b/c/f"), b"data".to_vec())
            .await
            .unwrap();
        fs::rename(root.join("a/b/c/f"), root.join("a/g"))
            .await
            .unwrap();
        fs::hard_link(root.join("a/g"), root.join("a/h"))
            .await
            .unwrap();
        fs::symlink("g", root.join("a/s")).await.unwrap();
        assert_eq!(fs::read(root.join("a/s")).await.unwrap(), b"data");
        assert_eq!(fs::metadata(root.join("a/h")).await.unwrap().nlink(), 2);
        assert!(fs::symlink_metadata(root.join("a/s"))
            .await
            .unwrap()
            .is_symlink());
        for f in ["a/g", "a/h", "a/s"] {
            fs::remove_file(root.join(f)).await.unwrap();
        }
        for d in ["a/b/c", "a/b", "a"] {
            fs::remove_dir(root.join(d)).await.unwrap();
        }
        assert_eq!(std::fs::read_dir(root).unwrap().count(), 0);
    });
}

#[test]
fn five_hundred_files_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let root = Rc::new(dir.path().to_owned());
    uring_rt::start(async {
        let mut tasks = Vec::new();
        for i in 0..500u64 {
            let root = root.clone();
            tasks.push(uring_rt::spawn(async move {
                let path = root.join(format!("f{i}"));
                let data = pattern(8192 + i as usize, i);
                let f = File::create(&path).await.unwrap();
                let (res, data) = f.write_all_at(data, 0).await;
                res.unwrap();
                f.close().await.unwrap();
                let f = File::open(&path).await.unwrap();
                let (res, back) = f.read_exact_at(vec![0u8; data.len()], 0).await;
                res.unwrap();
                assert!(back == data, "file {i}");
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    for i in 0..500u64 {
        let got = std::fs::read(dir.path().join(format!("f{i}"))).unwrap();
        assert!(got == pattern(8192 + i as usize, i), "file {i}");
    }
}
