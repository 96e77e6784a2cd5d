//! `O_DIRECT` with `AlignedBuf`: data round trips with std; misalignment is `InvalidInput`;
//! concurrent direct reads (submitted one `io_uring_enter` each) on a ring smaller than them.

use std::io::ErrorKind;
use std::path::Path;

use uring_rt::buf::{AlignedBuf, IoBuf};
use uring_rt::fs::{File, OpenOptions};

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

/// Opens `path` read-write with `O_DIRECT`, or `None` (printing why) when the filesystem
/// refuses direct I/O (tmpfs before 6.6, some overlay setups).
async fn open_direct(path: &Path) -> Option<File> {
    match OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .direct(true)
        .open(path)
        .await
    {
        Ok(f) => Some(f),
        Err(e) if e.kind() == ErrorKind::InvalidInput => {
            println!(
                "skipped: {} does not support O_DIRECT ({e})",
                path.display()
            );
            None
        }
        Err(e) => panic!("open O_DIRECT: {e}"),
    }
}

#[test]
fn direct_round_trips_with_std() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d");
    let data = pattern(4 << 20, 7);
    uring_rt::start(async {
        let Some(file) = open_direct(&path).await else {
            return;
        };
        let align = file.alignment();
        assert!(align.is_power_of_two() && align >= 512, "alignment {align}");
        let chunk = 256 << 10;
        let n = data.len() / chunk;
        for i in 0..n {
            let c = (i * 7) % n;
            let mut buf = file.aligned_buf(chunk);
            buf.extend_from_slice(&data[c * chunk..(c + 1) * chunk]);
            let (res, _) = file.write_all_at(buf, (c * chunk) as u64).await;
            res.unwrap();
        }
        file.sync_all().await.unwrap();
        assert!(std::fs::read(&path).unwrap() == data);

        // std writes, O_DIRECT reads (out of order, into a slice of a larger buffer).
        let other = pattern(1 << 20, 8);
        std::fs::write(&path, &other).unwrap();
        for i in 0..16 {
            let c = (i * 5) % 16;
            let big = AlignedBuf::with_alignment(3 * 65536, align.max(4096));
            let (res, slice) = file
                .read_exact_at(big.slice(65536..2 * 65536), (c * 65536) as u64)
                .await;
            res.unwrap();
            let big = slice.into_inner();
            assert_eq!(&big[65536..], &other[c * 65536..(c + 1) * 65536]);
        }
        // Vectored, aligned.
        let bufs = vec![file.aligned_buf(4096), file.aligned_buf(8192)];
        let (res, bufs) = file.readv_at(bufs, 4096).await;
        assert_eq!(res.unwrap(), 12288);
        assert_eq!(&bufs[0][..], &other[4096..8192]);
        assert_eq!(&bufs[1][..], &other[8192..16384]);
    });
}

#[test]
fn misaligned_direct_io_is_invalid_input_naming_the_alignment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d");
    std::fs::write(&path, vec![1u8; 65536]).unwrap();
    uring_rt::start(async {
        let Some(file) = open_direct(&path).await else {
            return;
        };
        let align = file.alignment();
        let want = format!("{align} bytes");
        let check = |e: std::io::Error| {
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            let msg = e.to_string();
            assert!(msg.contains("O_DIRECT") && msg.contains(&want), "{msg}");
        };
        // Misaligned address: a slice starting one byte in.
        let buf = AlignedBuf::new(2 * 4096);
        let (res, buf) = file.read_at(buf.slice(1..4097), 0).await;
        check(res.unwrap_err());
        let buf = buf.into_inner();
        // Misaligned offset.
        let (res, buf) = file.read_at(buf, 100).await;
        check(res.unwrap_err());
        // Misaligned length.
        let (res, _) = file.read_at(buf.slice(..100), 0).await;
        check(res.unwrap_err());
        let mut w = AlignedBuf::new(4096);
        w.resize(10, 3);
        let (res, _) = file.write_at(w, 0).await;
        check(res.unwrap_err());
        let (res, _) = file.write_all_at(file.aligned_buf(4096), 1).await;
        // Empty write: nothing to do, so no error even at an odd offset.
        res.unwrap();
        // The file was not touched.
        assert_eq!(std::fs::read(&path).unwrap(), vec![1u8; 65536]);
    });
}

/// Direct reads are submitted as soon as they are polled, not batched with the tick; with
/// more of them in flight than the SQ holds, every one still completes with its own data.
#[test]
fn many_concurrent_direct_reads_on_a_small_ring() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d");
    let data = pattern(1 << 20, 9);
    std::fs::write(&path, &data).unwrap();
    let rt = uring_rt::Runtime::builder().entries(4).build().unwrap();
    rt.block_on(async {
        let Some(file) = open_direct(&path).await else {
            return;
        };
        let file = std::rc::Rc::new(file);
        let tasks: Vec<_> = (0..64u64)
            .map(|i| {
                let file = file.clone();
                uring_rt::spawn(async move {
                    let block = (i * 37) % 256;
                    let (res, buf) = file.read_at(file.aligned_buf(4096), block * 4096).await;
                    assert_eq!(res.unwrap(), 4096);
                    (block, buf)
                })
            })
            .collect();
        for t in tasks {
            let (block, buf) = t.await.unwrap();
            let at = block as usize * 4096;
            assert_eq!(&buf[..], &data[at..at + 4096]);
        }
    });
}
