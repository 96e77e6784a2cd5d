//! Data written with std is read back byte-for-byte by uring-rt, with every buffer kind.

use std::rc::Rc;

use bytes::BytesMut;
use uring_rt::buf::IoBuf;
use uring_rt::fs::{self, File};

/// Deterministic pseudo-random bytes.
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
fn std_written_read_back_out_of_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    let data = pattern(4 << 20, 1);
    std::fs::write(&path, &data).unwrap();
    uring_rt::start(async {
        let file = File::open(&path).await.unwrap();
        let chunk = 64 << 10;
        let n = data.len() / chunk;
        // Visit the chunks in a scrambled order (a permutation: 37 is coprime with 64).
        for i in 0..n {
            let c = (i * 37) % n;
            let pos = (c * chunk) as u64;
            let (res, buf) = file.read_exact_at(Vec::with_capacity(chunk), pos).await;
            res.unwrap();
            assert_eq!(&buf[..], &data[c * chunk..(c + 1) * chunk], "chunk {c}");
        }
        // One read of the whole file through fs::read.
        assert_eq!(fs::read(&path).await.unwrap(), data);
    });
}

#[test]
fn bytes_mut_boxed_and_slices() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    let data = pattern(1 << 20, 2);
    std::fs::write(&path, &data).unwrap();
    uring_rt::start(async {
        let file = File::open(&path).await.unwrap();
        let (res, b) = file
            .read_exact_at(BytesMut::with_capacity(100_000), 5)
            .await;
        res.unwrap();
        assert_eq!(&b[..], &data[5..100_005]);

        let (res, b) = file
            .read_exact_at(vec![0u8; 4097].into_boxed_slice(), 999)
            .await;
        res.unwrap();
        assert_eq!(&b[..], &data[999..999 + 4097]);

        // Read into the middle of a larger buffer: the rest is untouched.
        let big = vec![0xEEu8; 3 * 4096];
        let (res, slice) = file.read_exact_at(big.slice(4096..8192), 12_345).await;
        res.unwrap();
        let big = slice.into_inner();
        assert!(big[..4096].iter().all(|&b| b == 0xEE));
        assert_eq!(&big[4096..8192], &data[12_345..12_345 + 4096]);
        assert!(big[8192..].iter().all(|&b| b == 0xEE));
    });
}

#[test]
fn vectored_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    let data = pattern(300_000, 3);
    std::fs::write(&path, &data).unwrap();
    uring_rt::start(async {
        let file = File::open(&path).await.unwrap();
        let bufs = vec![
            Vec::with_capacity(1000),
            Vec::with_capacity(70_000),
            Vec::with_capacity(3),
        ];
        let (res, bufs) = file.readv_at(bufs, 10).await;
        assert_eq!(res.unwrap(), 71_003);
        assert_eq!(bufs[0], &data[10..1010]);
        assert_eq!(bufs[1], &data[1010..71_010]);
        assert_eq!(bufs[2], &data[71_010..71_013]);
        // At the end of the file the tail buffers stay empty.
        let (res, bufs) = file
            .readv_at(
                vec![Vec::with_capacity(50), Vec::with_capacity(50)],
                299_970,
            )
            .await;
        assert_eq!(res.unwrap(), 30);
        assert_eq!(bufs[0], &data[299_970..]);
        assert!(bufs[1].is_empty());
    });
}

#[test]
fn metadata_matches_std() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m");
    std::fs::write(&path, pattern(12_345, 4)).unwrap();
    let std_meta = std::fs::metadata(&path).unwrap();
    uring_rt::start(async {
        let m = fs::metadata(&path).await.unwrap();
        assert_eq!(m.len(), std_meta.len());
        assert_eq!(m.ino(), std_meta.ino());
        assert_eq!(m.dev(), std_meta.dev());
        assert_eq!(m.mode(), std_meta.mode());
        assert_eq!(m.nlink(), std_meta.nlink());
        assert_eq!(m.uid(), std_meta.uid());
        assert_eq!(m.blocks(), std_meta.blocks());
        assert_eq!(m.modified().unwrap(), std_meta.modified().unwrap());
        assert_eq!(m.permissions(), std_meta.permissions());
        let f = File::open(&path).await.unwrap();
        assert_eq!(f.metadata().await.unwrap().ino(), std_meta.ino());
    });
}

#[test]
fn read_dir_lists_everything() {
    let dir = tempfile::tempdir().unwrap();
    // More than one batch of the blocking pool (128).
    for i in 0..300 {
        std::fs::write(dir.path().join(format!("f{i:03}")), b"").unwrap();
    }
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("f000", dir.path().join("link")).unwrap();
    uring_rt::start(async {
        let mut rd = fs::read_dir(dir.path()).await.unwrap();
        let mut names = Vec::new();
        while let Some(e) = rd.next_entry().await.unwrap() {
            let ft = e.file_type().unwrap();
            let name = e.file_name().into_string().unwrap();
            match name.as_str() {
                "sub" => assert!(ft.is_dir()),
                "link" => assert!(ft.is_symlink()),
                _ => assert!(ft.is_file()),
            }
            names.push(name);
        }
        names.sort();
        let mut want: Vec<String> = (0..300).map(|i| format!("f{i:03}")).collect();
        want.push("link".into());
        want.push("sub".into());
        want.sort();
        assert_eq!(names, want);
        let err = fs::read_dir(dir.path().join("nope")).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn file_is_send_and_sync_and_shared() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<File>();
    fn assert_send<T: Send>(_: &T) {}
    // The futures of a File's operations can move to another core before their first poll.
    let f = File::from_std(tempfile::tempfile().unwrap());
    assert_send(&f.read_at(Vec::new(), 0));
    assert_send(&f.read_exact_at(bytes::BytesMut::new(), 0));
    assert_send(&f.write_all_at(Vec::new(), 0));
    assert_send(&f.readv_at(vec![Vec::new()], 0));
    assert_send(&f.metadata());
    assert_send(&f.sync_all());
    assert_send(&File::open("x"));
    assert_send(&fs::read("x"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let data = pattern(64 << 10, 5);
    std::fs::write(&path, &data).unwrap();
    uring_rt::start(async {
        let file = Rc::new(File::open(&path).await.unwrap());
        let mut tasks = Vec::new();
        for i in 0..16u64 {
            let file = file.clone();
            tasks.push(uring_rt::spawn(async move {
                let (res, buf) = file.read_exact_at(vec![0u8; 4096], i * 4096).await;
                res.unwrap();
                buf
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), &data[i * 4096..(i + 1) * 4096]);
        }
    });
}
