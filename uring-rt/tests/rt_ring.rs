//! The ring under pressure: tiny rings, many ops, drops in flight, shutdown with work pending.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use uring_rt::{io::nop, spawn, Runtime};

#[test]
fn nop_round_trips() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        for _ in 0..10_000 {
            nop().await.unwrap();
        }
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn a_four_entry_ring_completes_5000_concurrent_sleeps_and_nops() {
    let rt = Runtime::builder().entries(4).build().unwrap();
    let (sleeps, nops) = rt.block_on(async {
        let sleepers: Vec<_> = (0..5_000u64)
            .map(|i| {
                spawn(async move {
                    uring_rt::time::sleep(Duration::from_micros(i % 50)).await;
                    1u32
                })
            })
            .collect();
        let noppers: Vec<_> = (0..5_000)
            .map(|_| {
                spawn(async {
                    nop().await.unwrap();
                    nop().await.unwrap();
                    1u32
                })
            })
            .collect();
        let mut s = 0;
        for h in sleepers {
            s += h.await.unwrap();
        }
        let mut n = 0;
        for h in noppers {
            n += h.await.unwrap();
        }
        (s, n)
    });
    assert_eq!((sleeps, nops), (5_000, 5_000));
    assert_eq!(rt.in_flight_ops(), 0, "no slot left behind");
}

#[test]
fn tiny_ring_with_tiny_cq_loses_no_completion() {
    // 10,000 ops in flight at once on a 4-entry SQ and a 8-entry CQ: the kernel's overflow
    // list (IORING_FEAT_NODROP) must be flushed and every completion delivered.
    for defer in [true, false] {
        let rt = Runtime::builder()
            .entries(4)
            .cq_entries(8)
            .defer_taskrun(defer)
            .build()
            .unwrap();
        let done = rt.block_on(async {
            let hs: Vec<_> = (0..10_000)
                .map(|_| spawn(async { nop().await.is_ok() as u32 }))
                .collect();
            let mut done = 0;
            for h in hs {
                done += h.await.unwrap();
            }
            done
        });
        assert_eq!(done, 10_000);
        assert_eq!(rt.in_flight_ops(), 0);
    }
}

#[test]
fn every_setup_mode_runs_the_same_workload() {
    for (defer, coop) in [(true, true), (false, true), (false, false)] {
        let rt = Runtime::builder()
            .defer_taskrun(defer)
            .coop_taskrun(coop)
            .build()
            .unwrap();
        let n = rt.block_on(async {
            let hs: Vec<_> = (0..1000).map(|_| spawn(nop())).collect();
            let mut n = 0;
            for h in hs {
                h.await.unwrap().unwrap();
                n += 1;
            }
            n
        });
        assert_eq!(n, 1000, "mode {:?}", rt.taskrun_mode());
    }
}

#[test]
fn sqpoll_runtime_works() {
    let rt = match Runtime::builder().sqpoll(10).build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("skipping: SQPOLL unavailable here: {e}");
            return;
        }
    };
    rt.block_on(async {
        for _ in 0..100 {
            nop().await.unwrap();
        }
    });
}

/// Polls a future once, then hands it back.
struct PollOnce<F>(Option<F>);
impl<F: Future + Unpin> Future for PollOnce<F> {
    type Output = F;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F> {
        let mut f = self.0.take().unwrap();
        let _ = Pin::new(&mut f).poll(cx);
        Poll::Ready(f)
    }
}

#[test]
fn op_dropped_before_first_poll_submits_nothing() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        for _ in 0..100 {
            drop(nop());
        }
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn op_dropped_in_flight_frees_its_slot_when_the_cqe_arrives() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        for _ in 0..1000 {
            let f = PollOnce(Some(Box::pin(nop()))).await;
            drop(f); // submitted, not completed yet
        }
        // The CQEs arrive on the next ticks; the slots are then released.
        for _ in 0..10 {
            uring_rt::yield_now().await;
        }
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn forgotten_op_leaks_instead_of_freeing_under_the_kernel() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let f = PollOnce(Some(Box::pin(nop()))).await;
        std::mem::forget(f);
        uring_rt::yield_now().await;
    });
    // The slot's CQE arrived; nobody will take it. Shutdown must still be prompt.
    let start = Instant::now();
    drop(rt);
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn dropping_a_runtime_with_pending_work_returns_promptly() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        for _ in 0..1000 {
            spawn(async {
                loop {
                    nop().await.unwrap();
                    uring_rt::time::sleep(Duration::from_secs(3600)).await;
                }
            });
        }
        for _ in 0..1000 {
            // In flight at shutdown: submitted, never awaited to completion.
            spawn(async {
                let f = PollOnce(Some(Box::pin(nop()))).await;
                std::future::pending::<()>().await;
                drop(f);
            });
        }
        uring_rt::yield_now().await;
        uring_rt::yield_now().await;
    });
    let start = Instant::now();
    drop(rt);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        start.elapsed()
    );
}

#[test]
fn many_runtimes_in_sequence_release_their_rings() {
    let fds_before = std::fs::read_dir("/proc/self/fd").unwrap().count();
    for _ in 0..50 {
        let rt = Runtime::builder().entries(8).build().unwrap();
        rt.block_on(async { nop().await.unwrap() });
    }
    let fds_after = std::fs::read_dir("/proc/self/fd").unwrap().count();
    // Other tests of this binary run in parallel and open rings too; allow their share.
    assert!(
        fds_after <= fds_before + 16,
        "fd count grew from {fds_before} to {fds_after}"
    );
}

#[test]
fn zero_entries_is_a_clear_error() {
    let err = Runtime::builder().entries(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn nop_outside_a_runtime_is_an_error() {
    let err = futures::executor::block_on(nop()).unwrap_err();
    assert!(err.to_string().contains("no uring-rt runtime"), "{err}");
}
