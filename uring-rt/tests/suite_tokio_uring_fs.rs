//! tokio-uring's file, directory and driver tests (`tests/fs_file.rs`, `fs_directory.rs`,
//! `fixed_buf.rs`, `driver.rs`) restated for `uring_rt::fs` and the runtime.
//!
//! Not translated (no equivalent here):
//! - `FixedBufRegistry` (user-chosen buffers, `check_out(i)`, `unregister`): we have `FixedBufPool`.
//! - `FixedBufPool::next().await` (waiting for a free buffer): ours has `try_get`.
//! - `File::statx()`: covered by `metadata()`.
//! - `runtime.rs` (tokio's own socket types inside the runtime): out of scope.

use std::future::{poll_fn, Future};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use uring_rt::buf::{IoBuf, IoBufMut};
use uring_rt::fs::{self, File, FixedBufPool, OpenOptions};

const HELLO: &[u8] = b"hello world...";

/// Polls `fut` exactly once, asserts it is pending, then drops it (cancelling its op).
async fn poll_once_then_drop(fut: impl Future) {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        assert!(fut.as_mut().poll(cx).is_pending(), "expected a pending op");
        Poll::Ready(())
    })
    .await;
}

/// True when `fd` no longer refers to the file with inode `ino` (closed, or reused by
/// another test's file).
fn fd_released(fd: RawFd, ino: u64) -> bool {
    // SAFETY: an all-zero `stat` is a valid value to be overwritten.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes only into `st`; a closed fd gives EBADF.
    let rc = unsafe { libc::fstat(fd, &mut st) };
    rc != 0 || st.st_ino != ino
}

async fn read_hello(file: &File) {
    let (res, buf) = file.read_at(Vec::with_capacity(1024), 0).await;
    let n = res.unwrap();
    assert_eq!(n, HELLO.len());
    assert_eq!(buf.len(), n, "bytes_init follows what the kernel wrote");
    assert_eq!(&buf[..], HELLO);
}

fn hello_file() -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), HELLO).unwrap();
    f
}

#[test]
fn read_into_spare_capacity() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        read_hello(&file).await;
    });
}

#[test]
fn read_exact_into_capacity_of_a_large_file() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let data = HELLO.repeat(1000);
    std::fs::write(tmp.path(), &data).unwrap();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        let (res, buf) = file.read_exact_at(Vec::with_capacity(data.len()), 0).await;
        res.unwrap();
        assert_eq!(buf, data);
    });
}

#[test]
fn write_from_a_static_slice() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    uring_rt::start(async {
        let file = File::create(tmp.path()).await.unwrap();
        let (res, buf) = file.write_at(HELLO, 0).await;
        assert_eq!(res.unwrap(), HELLO.len());
        assert_eq!(buf, HELLO);
    });
    assert_eq!(std::fs::read(tmp.path()).unwrap(), HELLO);
}

#[test]
fn vectored_read_fills_buffers_in_order() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        let bufs = vec![Vec::<u8>::with_capacity(5), Vec::with_capacity(9)];
        let (res, bufs) = file.readv_at(bufs, 0).await;
        assert_eq!(res.unwrap(), HELLO.len());
        assert_eq!(bufs[0], &HELLO[..5]);
        assert_eq!(bufs[1], &HELLO[5..]);
        assert_eq!(bufs[1][0], b' ');
    });
}

#[test]
fn vectored_write_concatenates() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    uring_rt::start(async {
        let file = File::create(tmp.path()).await.unwrap();
        let bufs = vec![b"hello".to_vec(), b" world...".to_vec()];
        let (res, bufs) = file.writev_at(bufs, 0).await;
        assert_eq!(res.unwrap(), HELLO.len());
        assert_eq!(bufs.len(), 2);
    });
    assert_eq!(std::fs::read(tmp.path()).unwrap(), HELLO);
}

#[test]
fn write_all_of_a_large_buffer() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let data = HELLO.repeat(1000);
    let back = uring_rt::start(async {
        let file = File::create(tmp.path()).await.unwrap();
        let (res, back) = file.write_all_at(data.clone(), 0).await;
        res.unwrap();
        back
    });
    assert_eq!(back, data);
    assert_eq!(std::fs::read(tmp.path()).unwrap(), data);
}

#[test]
fn dropped_read_leaves_the_file_usable() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        for _ in 0..4 {
            // On the epoll driver a file read may complete on first poll; only cancel a
            // pending one.
            let mut fut = pin!(read_hello(&file));
            poll_fn(|cx| {
                let _ = fut.as_mut().poll(cx);
                Poll::Ready(())
            })
            .await;
        }
        read_hello(&file).await;
    });
}

#[test]
fn explicit_close_releases_the_fd() {
    let tmp = hello_file();
    let ino = std::fs::metadata(tmp.path()).unwrap().ino();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        let fd = file.as_raw_fd();
        assert!(!fd_released(fd, ino));
        file.close().await.unwrap();
        assert!(fd_released(fd, ino));
    });
}

#[test]
fn dropping_an_unpolled_open_is_harmless() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    uring_rt::start(async {
        drop(File::create(tmp.path()));
        let file = File::create(tmp.path()).await.unwrap();
        file.write_at(HELLO, 0).await.0.unwrap();
    });
    assert_eq!(std::fs::read(tmp.path()).unwrap(), HELLO);
}

#[test]
fn file_dropped_off_runtime_closes_its_fd() {
    let tmp = hello_file();
    let ino = std::fs::metadata(tmp.path()).unwrap().ino();
    let file = uring_rt::start(async { File::open(tmp.path()).await.unwrap() });
    let fd = file.as_raw_fd();
    assert!(!fd_released(fd, ino));
    drop(file);
    assert!(fd_released(fd, ino));
}

#[test]
fn sync_before_and_after_a_write() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    uring_rt::start(async {
        let file = File::create(tmp.path()).await.unwrap();
        file.sync_all().await.unwrap();
        file.sync_data().await.unwrap();
        file.write_at(&b"foo"[..], 0).await.0.unwrap();
        file.sync_all().await.unwrap();
        file.sync_data().await.unwrap();
    });
    assert_eq!(std::fs::read(tmp.path()).unwrap(), b"foo");
}

#[test]
fn rename_moves_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    let new = dir.path().join("old_renamed");
    std::fs::write(&old, HELLO).unwrap();
    uring_rt::start(async {
        let f = File::open(&old).await.unwrap();
        read_hello(&f).await;
        f.close().await.unwrap();
        fs::rename(&old, &new).await.unwrap();
        read_hello(&File::open(&new).await.unwrap()).await;
        let e = File::open(&old).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn fixed_buffers_read_and_write() {
    let tmp = hello_file();
    uring_rt::start(async {
        let pool = match FixedBufPool::new(2, 1024) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                eprintln!("skipped: registered buffers unsupported here: {e}");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(tmp.path())
            .await
            .unwrap();
        let a = pool.try_get().unwrap();
        let b = pool.try_get().unwrap();
        assert_eq!(a.bytes_total(), 1024);
        assert!(pool.try_get().is_none(), "both buffers are checked out");
        let (res, a) = file.read_fixed_at(a, 6).await;
        assert_eq!(res.unwrap(), HELLO.len() - 6);
        assert_eq!(&a[..], &HELLO[6..]);
        drop(b);
        assert_eq!(pool.available(), 1);

        let mut w = pool.try_get().unwrap();
        w.extend_from_slice(b"HELLO");
        let (res, _w) = file.write_fixed_at(w, 0).await;
        assert_eq!(res.unwrap(), 5);
        drop(a);
    });
    assert_eq!(std::fs::read(tmp.path()).unwrap(), b"HELLO world...");
}

#[test]
fn fixed_buffer_slices_read_and_write_their_window() {
    let tmp = hello_file();
    uring_rt::start(async {
        let pool = match FixedBufPool::new(1, 1024) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                eprintln!("skipped: registered buffers unsupported here: {e}");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(tmp.path())
            .await
            .unwrap();
        // At most 8 bytes, into the start of the buffer.
        let (res, slice) = file
            .read_fixed_at(pool.try_get().unwrap().slice(..8), 3)
            .await;
        assert_eq!(res.unwrap(), 8);
        assert_eq!(&slice[..], &HELLO[3..11]);
        let buf = slice.into_inner();
        assert_eq!(buf.len(), 8);

        // The initialized bytes from offset 1 of the buffer, appended to the file.
        let (res, slice) = file
            .write_fixed_at(buf.slice(1..), HELLO.len() as u64)
            .await;
        assert_eq!(res.unwrap(), 7);
        assert_eq!(&slice[..], &HELLO[4..11]);

        // Read the whole file into the buffer from offset 3, extending what it holds.
        let (res, slice) = file.read_fixed_at(slice.into_inner().slice(3..), 0).await;
        assert_eq!(res.unwrap(), HELLO.len() + 7);
        assert_eq!(&slice[..HELLO.len()], HELLO);
        assert_eq!(&slice[HELLO.len()..], &HELLO[4..11]);
        let buf = slice.into_inner();
        assert_eq!(&buf[..3], &HELLO[3..6], "bytes before the window are kept");
        assert_eq!(buf.len(), 3 + HELLO.len() + 7);
        assert_eq!(buf.buf_index(), 0);
    });
}

#[test]
fn fallocate_zero_range_and_keep_size() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    uring_rt::start(async {
        let file = File::create(tmp.path()).await.unwrap();
        match file.fallocate(0, 1024, libc::FALLOC_FL_ZERO_RANGE).await {
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                eprintln!("skipped: filesystem lacks FALLOC_FL_ZERO_RANGE: {e}");
                return;
            }
            r => r.unwrap(),
        }
        file.sync_all().await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 1024);
        file.fallocate(
            0,
            2048,
            libc::FALLOC_FL_ZERO_RANGE | libc::FALLOC_FL_KEEP_SIZE,
        )
        .await
        .unwrap();
        file.sync_all().await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 1024);
    });
}

#[test]
fn create_and_remove_a_directory() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("foo");
    uring_rt::start(async {
        fs::create_dir(&dir).await.unwrap();
        assert!(dir.is_dir());
        let e = fs::create_dir(&dir).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        fs::remove_dir(&dir).await.unwrap();
        assert!(!dir.exists());
        let e = fs::remove_dir(&dir).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    });
}

/// A buffer that counts its live copies, to see when the runtime frees it.
struct Counted {
    data: Vec<u8>,
    _alive: Arc<()>,
}

// SAFETY: forwards to the Vec, which meets the contract; the Arc does not move the bytes.
unsafe impl IoBuf for Counted {
    fn stable_ptr(&self) -> *const u8 {
        self.data.stable_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.data.bytes_init()
    }
    fn bytes_total(&self) -> usize {
        self.data.bytes_total()
    }
}

// SAFETY: forwards to the Vec.
unsafe impl IoBufMut for Counted {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.data.stable_mut_ptr()
    }
    unsafe fn set_init(&mut self, n: usize) {
        // SAFETY: the caller's promise is passed on unchanged.
        unsafe { self.data.set_init(n) }
    }
}

#[test]
fn runtime_shutdown_frees_the_buffer_of_a_dropped_read() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), vec![7u8; 8 << 20]).unwrap();
    let alive = Arc::new(());
    let file = uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        let buf = Counted {
            data: vec![0; 64 << 10],
            _alive: alive.clone(),
        };
        {
            let mut fut = pin!(file.read_at(buf, 4 << 20));
            poll_fn(|cx| {
                let _ = fut.as_mut().poll(cx);
                Poll::Ready(())
            })
            .await;
        }
        file
    });
    assert_eq!(Arc::strong_count(&alive), 1, "the runtime kept the buffer");
    drop(file);
}

#[test]
fn many_dropped_writes_do_not_wedge_the_ring() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let rt = uring_rt::Runtime::builder().entries(8).build().unwrap();
    rt.block_on(async {
        let file = File::create(tmp.path()).await.unwrap();
        for _ in 0..600 {
            let mut fut = pin!(file.write_at(b"hello world".to_vec(), 0));
            poll_fn(|cx| {
                if let Poll::Ready((res, _)) = fut.as_mut().poll(cx) {
                    res.unwrap();
                }
                Poll::Ready(())
            })
            .await;
        }
        // Stale writes at 0 may still land after this one; none touches offset 100.
        let (res, _) = file.write_at(b"HELLO".to_vec(), 100).await;
        assert_eq!(res.unwrap(), 5);
    });
    drop(rt);
    let got = std::fs::read(tmp.path()).unwrap();
    assert_eq!(&got[100..], b"HELLO");
    assert!(
        &got[..11] == b"hello world" || got[..11].iter().all(|&b| b == 0),
        "{got:?}"
    );
}

#[test]
fn completions_beyond_a_tiny_cq_all_arrive() {
    let rt = uring_rt::Runtime::builder()
        .entries(2)
        .cq_entries(4)
        .build()
        .unwrap();
    let done = rt.block_on(async {
        let handles: Vec<_> = (0..50)
            .map(|_| uring_rt::spawn(uring_rt::io::nop()))
            .collect();
        let mut done = 0;
        for h in handles {
            uring_rt::time::timeout(std::time::Duration::from_secs(10), h)
                .await
                .expect("nop completions hung")
                .unwrap()
                .unwrap();
            done += 1;
        }
        done
    });
    assert_eq!(done, 50);
}

#[test]
fn dropped_reads_before_first_poll_touch_nothing() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        drop(file.read_at(vec![0u8; 16], 0));
        poll_once_then_drop(uring_rt::time::sleep(std::time::Duration::from_secs(5))).await;
        read_hello(&file).await;
    });
}
