//! tokio's io_uring fs tests restated for uring-rt: `tokio/tests/fs_uring.rs`,
//! `fs_uring_cancel_open.rs`, `fs_uring_completed_then_dropped_before_repoll.rs`,
//! `fs_uring_statx_fd_leak_test.rs`, `fs_uring_runtime_shutdown.rs`, and the
//! shutdown/many-files halves of `fs_uring_read.rs`, `fs_uring_statx.rs` and
//! `fs_uring_rename.rs`.
//!
//! What they guard: an fd the kernel opened for an operation whose future is gone (aborted
//! before the completion, or after it but before the future took it, or between the steps
//! of `fs::read`) is closed; dropping a runtime with path operations in flight neither
//! hangs nor leaks an fd; thousands of them on rings of several sizes all complete.
//!
//! tokio counts all of the process's fds and allows some slack; these count only the fds
//! open on each test's own file (through `/proc/self/fd`), so tests running in parallel
//! cannot disturb them and no slack is needed. tokio's runtime flavours (current thread,
//! 1..256 workers) become ring sizes here: ours is one runtime per thread.
//!
//! On the epoll driver an operation may complete at its first poll; the tests accept that
//! (they then drop the finished result instead) and check the same fd accounting.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use uring_rt::fs::{self, OpenOptions};
use uring_rt::runtime::DriverKind;

mod support;
use support::fds_on;

/// A file with some bytes in it (in a directory of its own: a `NamedTempFile` would hold
/// an fd on it), and its canonical path (what `/proc/self/fd` shows).
fn temp_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = std::fs::canonicalize(dir.path()).unwrap().join("f");
    std::fs::write(&path, vec![20u8; 1023]).unwrap();
    (dir, path)
}

/// Runs ring round trips until no fd is open on `path` or 5 s pass; the count left.
async fn settle(path: &Path) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = fds_on(path);
        if left == 0 || Instant::now() > deadline {
            return left;
        }
        uring_rt::io::nop().await.unwrap();
        uring_rt::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A waker that only records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `fut` with a waker of its own; each time that waker fires it polls again, `repolls`
/// times in all; after the last wake-up (or 2 s without one) drops `fut` without polling it,
/// so the completion that woke it is left in the ring's slot. `true` if `fut` finished first.
async fn poll_then_drop_when_woken<F: Future>(fut: F, repolls: u32) -> bool {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut fut = pin!(fut);
    for _ in 0..=repolls {
        flag.0.store(false, Ordering::SeqCst);
        if fut
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            return true;
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while !flag.0.load(Ordering::SeqCst) && Instant::now() < deadline {
            uring_rt::io::nop().await.unwrap();
        }
    }
    false
}

#[test]
fn aborted_tasks_with_an_open_in_flight_leak_no_fd() {
    let (_tmp, path) = temp_file();
    let uring = uring_rt::Runtime::new().unwrap().driver_kind() == DriverKind::IoUring;
    uring_rt::start(async {
        for _ in 0..128 {
            // `None` until the task polled its open once; then whether it was pending.
            let first_poll: Rc<Cell<Option<bool>>> = Rc::new(Cell::new(None));
            let handle = uring_rt::spawn({
                let (path, first_poll) = (path.clone(), first_poll.clone());
                async move {
                    let mut opts = OpenOptions::new();
                    opts.read(true);
                    let mut open = Box::pin(opts.open(path));
                    poll_fn(|cx| {
                        if first_poll.get().is_none() {
                            first_poll.set(Some(open.as_mut().poll(cx).is_pending()));
                        }
                        Poll::<()>::Pending
                    })
                    .await;
                }
            });
            let pending = loop {
                match first_poll.get() {
                    Some(pending) => break pending,
                    None => uring_rt::yield_now().await,
                }
            };
            // The ring's open goes to the kernel and comes back later; the epoll driver may
            // run it inline.
            assert!(
                pending || !uring,
                "an io_uring open finished at its first poll"
            );
            handle.abort();
            assert!(handle.await.unwrap_err().is_cancelled());
        }
        assert_eq!(settle(&path).await, 0, "fds of aborted opens still open");
    });
}

#[test]
fn open_completed_but_never_polled_again_leaks_no_fd() {
    let (_tmp, path) = temp_file();
    let uring = uring_rt::Runtime::new().unwrap().driver_kind() == DriverKind::IoUring;
    uring_rt::start(async {
        let mut left_in_slot = 0;
        let mut opts = OpenOptions::new();
        opts.read(true);
        for _ in 0..128 {
            if !poll_then_drop_when_woken(opts.open(&path), 0).await {
                left_in_slot += 1;
            }
        }
        assert_eq!(
            settle(&path).await,
            0,
            "fds of completed, dropped opens still open"
        );
        // On the ring every open is still in flight after its first poll.
        assert!(
            left_in_slot == 128 || !uring,
            "only {left_in_slot} opens were left in a slot"
        );
    });
}

#[test]
fn read_dropped_between_its_steps_leaks_no_fd() {
    // `fs::read` opens, then asks `statx` for the size, then reads: drop it after each
    // step's completion arrived and before the future saw it.
    let (_tmp, path) = temp_file();
    uring_rt::start(async {
        for repolls in [0, 1, 2] {
            for _ in 0..64 {
                poll_then_drop_when_woken(fs::read(&path), repolls).await;
            }
            assert_eq!(settle(&path).await, 0, "leak after {repolls} re-polls");
        }
        assert_eq!(fs::read(&path).await.unwrap(), vec![20u8; 1023]);
    });
}

#[test]
fn runtime_dropped_with_path_operations_in_flight() {
    for entries in [4, 32, 256] {
        let (_tmp, path) = temp_file();
        let dst = path.with_extension("renamed");
        let rt = uring_rt::Runtime::builder()
            .entries(entries)
            .build()
            .unwrap();
        rt.block_on(async {
            // Futures polled once and then held, never finished, in a task that waits forever.
            let task_path = path.clone();
            let task_dst = dst.clone();
            uring_rt::spawn(async move {
                let mut held: Vec<std::pin::Pin<Box<dyn Future<Output = ()>>>> = Vec::new();
                for i in 0..100 {
                    let (p, d) = (task_path.clone(), task_dst.clone());
                    let mut fut: std::pin::Pin<Box<dyn Future<Output = ()>>> = match i % 4 {
                        0 => Box::pin(async move {
                            let _ = OpenOptions::new().read(true).open(p).await;
                        }),
                        1 => Box::pin(async move {
                            let _ = fs::read(p).await;
                        }),
                        2 => Box::pin(async move {
                            let _ = fs::try_exists(p).await;
                        }),
                        _ => Box::pin(async move {
                            let _ = fs::rename(&d, &d).await;
                        }),
                    };
                    poll_fn(|cx| {
                        let _ = fut.as_mut().poll(cx);
                        Poll::Ready(())
                    })
                    .await;
                    held.push(fut);
                }
                std::future::pending::<()>().await;
            });
            // Tasks mid-way through reading the file, also left behind.
            for _ in 0..50 {
                let p = path.clone();
                uring_rt::spawn(async move {
                    let file = fs::File::open(&p).await.unwrap();
                    let _ = file.read_at(vec![0u8; 4096], 0).await;
                    std::future::pending::<()>().await;
                });
            }
            for _ in 0..3 {
                uring_rt::yield_now().await;
            }
        });
        drop(rt);
        // Everything was closed by the runtime's drop, or very soon after it.
        let deadline = Instant::now() + Duration::from_secs(2);
        while fds_on(&path) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            fds_on(&path),
            0,
            "fds leaked by a dropped runtime (entries {entries})"
        );
        // The runtime is gone, the file is intact, and a new runtime works.
        uring_rt::start(async {
            assert_eq!(fs::read(&path).await.unwrap(), vec![20u8; 1023]);
        });
    }
}

#[test]
fn thousands_of_opens_reads_stats_and_renames_on_small_and_large_rings() {
    const FILES: usize = 128;
    const OPS: usize = 2_000;
    let tmps: Vec<_> = (0..FILES).map(|_| temp_file()).collect();
    let paths: Rc<Vec<PathBuf>> = Rc::new(tmps.iter().map(|(_, p)| p.clone()).collect());
    for entries in [8, 256] {
        let rt = uring_rt::Runtime::builder()
            .entries(entries)
            .build()
            .unwrap();
        let paths = paths.clone();
        rt.block_on(async move {
            let mut handles = Vec::with_capacity(OPS);
            for i in 0..OPS {
                let path = paths[i % FILES].clone();
                handles.push(uring_rt::spawn(async move {
                    match i % 3 {
                        0 => drop(OpenOptions::new().read(true).open(&path).await.unwrap()),
                        1 => assert_eq!(fs::read(&path).await.unwrap(), vec![20u8; 1023]),
                        _ => assert!(fs::try_exists(&path).await.unwrap()),
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }

            let dir = tempfile::tempdir().unwrap();
            let mut handles = Vec::new();
            for i in 0..FILES {
                let src = dir.path().join(format!("src-{i}"));
                let dst = dir.path().join(format!("dst-{i}"));
                fs::write(&src, format!("contents {i}")).await.unwrap();
                handles.push(uring_rt::spawn(async move {
                    fs::rename(&src, &dst).await.unwrap();
                    assert!(!fs::try_exists(&src).await.unwrap());
                    assert_eq!(
                        fs::read_to_string(&dst).await.unwrap(),
                        format!("contents {i}")
                    );
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            for p in paths.iter() {
                assert_eq!(fds_on(p), 0);
            }
        });
    }
}
