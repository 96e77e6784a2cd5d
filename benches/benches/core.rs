//! The core path, side by side with tokio's `current_thread` runtime + `LocalSet`:
//! spawn+join of a trivial task, one no-op round trip through the scheduler (uring-rt: an
//! `IORING_OP_NOP` through the ring; tokio: `yield_now`, as it has no I/O no-op), and
//! 10,000 timers (spawned tasks each sleeping 1 ms, measured in CPU time of the thread so the
//! millisecond of waiting does not count).
//!
//! Run: `cargo bench -p benches --bench core`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out-pointer for clock_gettime.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn tokio_rt() -> (tokio::runtime::Runtime, tokio::task::LocalSet) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (rt, tokio::task::LocalSet::new())
}

fn spawn_join(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_join");
    let rt = uring_rt::Runtime::new().unwrap();
    g.bench_function("uring-rt", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for i in 0..iters {
                    let v = uring_rt::spawn(async move { i }).await.unwrap();
                    std::hint::black_box(v);
                }
                start.elapsed()
            })
        })
    });
    let (trt, local) = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            local.block_on(&trt, async {
                let start = Instant::now();
                for i in 0..iters {
                    let v = tokio::task::spawn_local(async move { i }).await.unwrap();
                    std::hint::black_box(v);
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

fn round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("noop_round_trip");
    let rt = uring_rt::Runtime::new().unwrap();
    g.bench_function("uring-rt nop", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    uring_rt::io::nop().await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    let (trt, local) = tokio_rt();
    g.bench_function("tokio yield_now", |b| {
        b.iter_custom(|iters| {
            local.block_on(&trt, async {
                let start = Instant::now();
                for _ in 0..iters {
                    tokio::task::yield_now().await;
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

const TIMERS: u64 = 10_000;

fn timers(c: &mut Criterion) {
    let mut g = c.benchmark_group("timers_10k");
    g.sample_size(20);
    let rt = uring_rt::Runtime::new().unwrap();
    g.bench_function("uring-rt", |b| {
        b.iter_custom(|iters| {
            let mut cpu = Duration::ZERO;
            for _ in 0..iters {
                let before = thread_cpu();
                rt.block_on(async {
                    let hs: Vec<_> = (0..TIMERS)
                        .map(|_| uring_rt::spawn(uring_rt::time::sleep(Duration::from_millis(1))))
                        .collect();
                    for h in hs {
                        h.await.unwrap();
                    }
                });
                cpu += thread_cpu() - before;
            }
            cpu
        })
    });
    let (trt, local) = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            let mut cpu = Duration::ZERO;
            for _ in 0..iters {
                let before = thread_cpu();
                local.block_on(&trt, async {
                    let hs: Vec<_> = (0..TIMERS)
                        .map(|_| {
                            tokio::task::spawn_local(tokio::time::sleep(Duration::from_millis(1)))
                        })
                        .collect();
                    for h in hs {
                        h.await.unwrap();
                    }
                });
                cpu += thread_cpu() - before;
            }
            cpu
        })
    });
    g.finish();
}

criterion_group!(benches, spawn_join, round_trip, timers);
criterion_main!(benches);
