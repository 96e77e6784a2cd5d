//! tokio's `File` tests restated for `uring_rt::fs::File` and its cursor: `tokio/tests/
//! fs_file.rs`, `fs.rs` (`try_clone`) and `fs_uring_file_read.rs` (sequential reads through
//! the io_uring path: sizes around buffer boundaries, seeks, reads after writes, many files
//! at once, a cancelled reader).
//!
//! tokio's `File` reads and writes sequentially from an implicit position; ours are
//! positional (`read_at`), and the sequential form is [`FileCursor`] (`file.cursor()`) with
//! `AsyncReadOwnedExt`/`AsyncWriteOwnedExt`. Where tokio passes `&mut [u8]`, these pass an
//! owned buffer and check the bytes it comes back with.
//!
//! Not translated: `set_max_buf_size` (no internal buffer: each cursor read is one kernel
//! read of the caller's buffer), `write_vectored` (covered by `suite_tokio_uring_fs`),
//! `into_std` (ours: `IntoRawFd`, used below), the Debug text of tokio's `File`.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::io::SeekFrom;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::path::Path;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use uring_rt::fs::{File, OpenOptions};
use uring_rt::io::{AsyncReadOwned, AsyncReadOwnedExt, AsyncWriteOwned, AsyncWriteOwnedExt};

const HELLO: &[u8] = b"hello world...";

fn temp_with(data: &[u8]) -> tempfile::NamedTempFile {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), data).unwrap();
    tmp
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 256) as u8).collect()
}

async fn read_all(path: &Path) -> Vec<u8> {
    let mut cur = File::open(path).await.unwrap().cursor();
    let (res, buf) = cur.read_to_end(Vec::new()).await;
    assert_eq!(res.unwrap(), buf.len());
    assert_eq!(cur.position(), buf.len() as u64);
    buf
}

#[test]
fn cursor_read_write_flush_and_shutdown() {
    let tmp = temp_with(HELLO);
    uring_rt::start(async {
        let mut cur = File::open(tmp.path()).await.unwrap().cursor();
        let (res, buf) = cur.read(vec![0u8; 1024]).await;
        let n = res.unwrap();
        assert_eq!(n, HELLO.len());
        assert_eq!(&buf[..n], HELLO);
        assert_eq!(cur.read(vec![0u8; 1024]).await.0.unwrap(), 0, "end of file");

        for shut in [false, true] {
            let mut cur = File::create(tmp.path()).await.unwrap().cursor();
            cur.write_all(HELLO).await.0.unwrap();
            cur.write_all(HELLO.to_vec()).await.0.unwrap();
            if shut {
                cur.shutdown().await.unwrap();
            } else {
                cur.flush().await.unwrap();
            }
            assert_eq!(std::fs::read(tmp.path()).unwrap(), [HELLO, HELLO].concat());
        }

        // Seek forward, rewind, and the position is back at 0.
        let mut cur = File::create(tmp.path()).await.unwrap().cursor();
        assert_eq!(cur.seek(SeekFrom::Current(10)).await.unwrap(), 10);
        assert_eq!(cur.seek(SeekFrom::Start(0)).await.unwrap(), 0);
        assert_eq!(cur.position(), 0);
    });
}

#[test]
fn empty_read_is_not_end_of_file() {
    let tmp = temp_with(HELLO);
    uring_rt::start(async {
        let mut cur = File::open(tmp.path()).await.unwrap().cursor();
        let (res, empty) = cur.read(Vec::new()).await;
        assert_eq!(res.unwrap(), 0);
        assert!(empty.is_empty());
        assert_eq!(cur.position(), 0);
        let (res, buf) = cur.read(Vec::with_capacity(1024)).await;
        assert_eq!(res.unwrap(), HELLO.len());
        assert_eq!(buf, HELLO);
    });
}

#[test]
fn read_loop_on_one_file_yields_to_other_tasks() {
    // tokio's `coop`: a task that reads and seeks in a loop (each read finishing at once
    // from the page cache, or inline on the epoll driver) must still let others run.
    let tmp = temp_with(HELLO);
    const BOUND: u32 = 100_000;
    uring_rt::start(async {
        let stop = Rc::new(Cell::new(false));
        let file = File::open(tmp.path()).await.unwrap();
        let looping = uring_rt::spawn({
            let stop = stop.clone();
            async move {
                let mut cur = file.cursor();
                let mut buf = Vec::with_capacity(1024);
                for i in 0..BOUND {
                    if stop.get() {
                        return i;
                    }
                    buf.clear();
                    let (res, b) = cur.read(buf).await;
                    buf = b;
                    assert_eq!(res.unwrap(), HELLO.len());
                    cur.seek(SeekFrom::Start(0)).await.unwrap();
                }
                BOUND
            }
        });
        uring_rt::yield_now().await;
        stop.set(true);
        let iterations = looping.await.unwrap();
        assert!(iterations < BOUND, "the reading task never yielded");
    });
}

#[test]
fn try_clone_writes_reach_the_same_file() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    uring_rt::start(async {
        let file = File::create(tmp.path()).await.unwrap();
        let clone = file.try_clone().await.unwrap();
        assert_ne!(clone.as_raw_fd(), file.as_raw_fd());
        let mut cur = clone.cursor();
        cur.write_all(HELLO.to_vec()).await.0.unwrap();
        cur.flush().await.unwrap();
        assert_eq!(std::fs::read(tmp.path()).unwrap(), HELLO);
        // Closing one leaves the other open.
        let (clone, _) = cur.into_inner();
        clone.close().await.unwrap();
        file.write_all_at(b"HELLO".to_vec(), 0).await.0.unwrap();
        assert_eq!(&std::fs::read(tmp.path()).unwrap()[..6], b"HELLO ");

        // A clone keeps the access mode: this one is write-only.
        let (res, _) = file
            .try_clone()
            .await
            .unwrap()
            .read_at(vec![0u8; 4], 0)
            .await;
        assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EBADF));
        // And O_APPEND: writes land at the end whatever the offset says.
        let appending = OpenOptions::new()
            .append(true)
            .open(tmp.path())
            .await
            .unwrap();
        let twin = appending.try_clone().await.unwrap();
        twin.write_all_at(b"!".to_vec(), 0).await.0.unwrap();
        assert_eq!(std::fs::read(tmp.path()).unwrap(), b"HELLO world...!");
    });
}

#[test]
fn raw_fd_round_trip_and_from_std() {
    let tmp = temp_with(HELLO);
    uring_rt::start(async {
        let file = File::create(tempfile::NamedTempFile::new().unwrap().path())
            .await
            .unwrap();
        // The fd is a live descriptor of that file: fstat through it names a regular file.
        let meta = std::fs::metadata(format!("/proc/self/fd/{}", file.as_raw_fd())).unwrap();
        assert!(meta.is_file());

        let first = File::open(tmp.path()).await.unwrap();
        let raw = first.into_raw_fd();
        assert!(raw > 0);
        // SAFETY: `raw` was just released by `into_raw_fd` and is owned by nobody else.
        let second = unsafe { File::from_raw_fd(raw) };
        let (res, buf) = second.read_at(vec![0u8; 1024], 0).await;
        assert_eq!(&buf[..res.unwrap()], HELLO);

        let from_std = File::from_std(std::fs::File::open(tmp.path()).unwrap());
        let mut cur = from_std.cursor();
        let (res, buf) = cur.read_to_end(Vec::new()).await;
        assert_eq!(res.unwrap(), HELLO.len());
        assert_eq!(buf, HELLO);
    });
}

#[test]
fn read_to_end_at_every_size_class() {
    uring_rt::start(async {
        // Empty, small, larger than one read's first guess, several MiB (tokio's 2 MiB
        // chunk boundary crossed twice).
        for len in [0, 100, 100_000, 3_000_000, (4 << 20) + 1000] {
            let data = pattern(len);
            let tmp = temp_with(&data);
            assert_eq!(read_all(tmp.path()).await, data, "len {len}");
        }
        // Into a buffer with exactly the room: no reallocation.
        let data = pattern(70_000);
        let tmp = temp_with(&data);
        let mut cur = File::open(tmp.path()).await.unwrap().cursor();
        let buf = Vec::with_capacity(data.len());
        let ptr = buf.as_ptr();
        let (res, buf) = cur.read_to_end(buf).await;
        assert_eq!(res.unwrap(), data.len());
        assert_eq!(buf, data);
        assert_eq!(
            buf.as_ptr(),
            ptr,
            "read_to_end reallocated a buffer that fit"
        );
        assert_eq!(buf.capacity(), data.len());

        let text = "hello, io-uring world! 🦀";
        let tmp = temp_with(text.as_bytes());
        let mut cur = File::open(tmp.path()).await.unwrap().cursor();
        let (res, s) = cur.read_to_string(String::new()).await;
        assert_eq!(res.unwrap(), text.len());
        assert_eq!(s, text);
        let tmp = temp_with(&[b'o', b'k', 0xff]);
        let mut cur = File::open(tmp.path()).await.unwrap().cursor();
        let (res, s) = cur.read_to_string(String::from("kept")).await;
        assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(s, "kept");
    });
}

#[test]
fn partial_reads_seeks_and_reads_after_writes() {
    let data = pattern(100);
    let tmp = temp_with(&data);
    uring_rt::start(async {
        let mut cur = File::open(tmp.path()).await.unwrap().cursor();
        let (res, head) = cur.read_exact(vec![0u8; 5]).await;
        res.unwrap();
        assert_eq!(head, data[..5]);
        let (res, rest) = cur.read_to_end(Vec::new()).await;
        assert_eq!(res.unwrap(), 95);
        assert_eq!(rest, data[5..]);

        // Seek to the middle and back.
        let tmp = temp_with(b"hello world");
        let mut cur = File::open(tmp.path()).await.unwrap().cursor();
        cur.seek(SeekFrom::Start(6)).await.unwrap();
        assert_eq!(cur.read_to_end(Vec::new()).await.1, b"world");
        cur.seek(SeekFrom::Start(0)).await.unwrap();
        assert_eq!(cur.read_to_end(Vec::new()).await.1, b"hello world");
        cur.seek(SeekFrom::End(-5)).await.unwrap();
        let (res, w) = cur.read_exact(vec![0u8; 5]).await;
        res.unwrap();
        assert_eq!(w, b"world");
        // A buffer bigger than the file reads what there is.
        cur.seek(SeekFrom::Start(0)).await.unwrap();
        let (res, big) = cur.read(vec![0u8; 1024]).await;
        let n = res.unwrap();
        assert_eq!(&big[..n], b"hello world");

        // Write, seek back, read it.
        let empty = tempfile::NamedTempFile::new().unwrap();
        let rw = OpenOptions::new()
            .read(true)
            .write(true)
            .open(empty.path())
            .await
            .unwrap();
        let mut cur = rw.cursor();
        cur.write_all(b"hello uring".to_vec()).await.0.unwrap();
        cur.flush().await.unwrap();
        cur.seek(SeekFrom::Start(0)).await.unwrap();
        assert_eq!(cur.read_to_end(Vec::new()).await.1, b"hello uring");

        // Read some, then write: the write lands at the position the reads reached (our
        // cursor buffers nothing, so there is nothing to seek back over).
        let abc = b"abcdefghijklmnopqrstuvwxyz";
        let tmp = temp_with(abc);
        let rw = OpenOptions::new()
            .read(true)
            .write(true)
            .open(tmp.path())
            .await
            .unwrap();
        let mut cur = rw.cursor();
        let (res, first) = cur.read_exact(vec![0u8; 10]).await;
        res.unwrap();
        assert_eq!(first, b"abcdefghij");
        let (res, second) = cur.read_exact(vec![0u8; 3]).await;
        res.unwrap();
        assert_eq!(second, b"klm");
        cur.write_all(b"NOP".to_vec()).await.0.unwrap();
        cur.flush().await.unwrap();
        cur.seek(SeekFrom::Start(0)).await.unwrap();
        let (_, all) = cur.read_to_end(Vec::new()).await;
        assert_eq!(&all[..13], b"abcdefghijklm");
        assert_eq!(&all[13..16], b"NOP");
        assert_eq!(&all[16..], &abc[16..]);
    });
}

#[test]
fn a_hundred_files_read_concurrently() {
    const FILES: usize = 100;
    let expected = |i: usize| -> Vec<u8> { (0..1024).map(|j| ((i + j) % 256) as u8).collect() };
    let tmps: Vec<_> = (0..FILES).map(|i| temp_with(&expected(i))).collect();
    uring_rt::start(async {
        let handles: Vec<_> = tmps
            .iter()
            .enumerate()
            .map(|(i, tmp)| {
                let path = tmp.path().to_path_buf();
                uring_rt::spawn(async move { (i, read_all(&path).await) })
            })
            .collect();
        for h in handles {
            let (i, got) = h.await.unwrap();
            assert_eq!(got, expected(i), "file {i}");
        }
    });
}

#[test]
fn aborted_reader_leaves_the_runtime_working() {
    let data = pattern(10_000);
    let tmp = temp_with(&data);
    uring_rt::start(async {
        // Aborted before it ran, and aborted with a read in flight.
        for polls in [0, 1] {
            let path = tmp.path().to_path_buf();
            let handle = uring_rt::spawn(async move { read_all(&path).await });
            for _ in 0..polls {
                uring_rt::yield_now().await;
            }
            handle.abort();
            match handle.await {
                Err(e) => assert!(e.is_cancelled()),
                // The epoll driver may finish the whole read before the abort lands.
                Ok(buf) => assert_eq!(buf, data),
            }
        }
        assert_eq!(read_all(tmp.path()).await, data);

        // A read future polled once and dropped: the file stays usable.
        let file = File::open(tmp.path()).await.unwrap();
        {
            let mut fut = pin!(file.read_at(vec![0u8; 4096], 0));
            poll_fn(|cx| {
                let _ = fut.as_mut().poll(cx);
                Poll::Ready(())
            })
            .await;
        }
        let (res, buf) = file.read_exact_at(vec![0u8; 10_000], 0).await;
        res.unwrap();
        assert_eq!(buf, data);
    });
}

#[test]
fn reading_on_several_runtimes_one_after_another() {
    let data = pattern(10_000);
    let tmp = temp_with(&data);
    for entries in [2, 8, 64, 256] {
        let rt = uring_rt::Runtime::builder()
            .entries(entries)
            .build()
            .unwrap();
        let got = rt.block_on(read_all(tmp.path()));
        assert_eq!(got, data, "entries {entries}");
    }
}
