//! Cross-core messaging: uring-rt's thread-per-core runtimes against tokio's multi-thread
//! runtime, on two cores.
//!
//! - round trip: a task on core 0 sends a number through an `async-channel` to a task on
//!   core 1, which sends it back; latency per round trip (median of rounds).
//! - `Handle::spawn` round trip (uring-rt): core 0 spawns a task on core 1 and awaits its
//!   `JoinHandle`; tokio: `Handle::spawn` of a task awaited from another worker.
//! - throughput: core 0 streams messages through a bounded `async-channel` (capacity 1024) to
//!   core 1; messages per second.
//!
//! uring-rt pins core i to CPU i; tokio runs 2 workers, unpinned (it has no pinning), with the
//! two tasks spawned where its scheduler puts them (often the same worker, which then costs no
//! cross-thread wake-up at all). Two more rows make the cross-core comparison fair: two tokio
//! `current_thread` runtimes on two pinned threads (tokio used thread-per-core), and the floor
//! of this machine, two pinned OS threads ping-ponging through `std::sync::mpsc`.
//!
//! Run: `cargo run --release -p benches --bin crosscore [-- --rounds 5 --json FILE]`.

use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;
use uring_rt::runtime::ThreadPerCore;

const ROUND_TRIPS: u64 = 20_000;
const STREAM: u64 = 1_000_000;

fn uring_ping_pong() -> Duration {
    let (a_tx, a_rx) = async_channel::bounded::<u64>(1);
    let (b_tx, b_rx) = async_channel::bounded::<u64>(1);
    let out = ThreadPerCore::builder()
        .cores(2)
        .pin(true)
        .run(move |core| {
            let (tx, rx) = if core.index() == 0 {
                (a_tx.clone(), b_rx.clone())
            } else {
                (b_tx.clone(), a_rx.clone())
            };
            async move {
                if core.index() == 0 {
                    let start = Instant::now();
                    for i in 0..ROUND_TRIPS {
                        tx.send(i).await.unwrap();
                        let v = rx.recv().await.unwrap();
                        assert_eq!(v, i + 1);
                    }
                    start.elapsed()
                } else {
                    for _ in 0..ROUND_TRIPS {
                        let v = rx.recv().await.unwrap();
                        tx.send(v + 1).await.unwrap();
                    }
                    Duration::ZERO
                }
            }
        })
        .unwrap();
    out[0] / ROUND_TRIPS as u32
}

fn uring_spawn_round_trip() -> Duration {
    let (done_tx, done_rx) = async_channel::bounded::<()>(1);
    let out = ThreadPerCore::builder()
        .cores(2)
        .pin(true)
        .run(move |core| {
            let done_tx = done_tx.clone();
            let done_rx = done_rx.clone();
            async move {
                if core.index() == 1 {
                    let _ = done_rx.recv().await;
                    return Duration::ZERO;
                }
                let peer = core.handle(1);
                let start = Instant::now();
                for i in 0..ROUND_TRIPS {
                    let v = peer.spawn(async move { i + 1 }).await.unwrap();
                    assert_eq!(v, i + 1);
                }
                let elapsed = start.elapsed();
                done_tx.close();
                elapsed
            }
        })
        .unwrap();
    out[0] / ROUND_TRIPS as u32
}

fn uring_stream() -> f64 {
    let (tx, rx) = async_channel::bounded::<u64>(1024);
    let out = ThreadPerCore::builder()
        .cores(2)
        .pin(true)
        .run(move |core| {
            let tx = tx.clone();
            let rx = rx.clone();
            async move {
                if core.index() == 0 {
                    for i in 0..STREAM {
                        tx.send(i).await.unwrap();
                    }
                    0.0
                } else {
                    let start = Instant::now();
                    let mut n = 0;
                    while n < STREAM {
                        rx.recv().await.unwrap();
                        n += 1;
                    }
                    STREAM as f64 / start.elapsed().as_secs_f64()
                }
            }
        })
        .unwrap();
    out[1]
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn tokio_ping_pong() -> Duration {
    let rt = tokio_rt();
    rt.block_on(async {
        let (a_tx, a_rx) = async_channel::bounded::<u64>(1);
        let (b_tx, b_rx) = async_channel::bounded::<u64>(1);
        let echo = tokio::spawn(async move {
            for _ in 0..ROUND_TRIPS {
                let v = a_rx.recv().await.unwrap();
                b_tx.send(v + 1).await.unwrap();
            }
        });
        let pinger = tokio::spawn(async move {
            let start = Instant::now();
            for i in 0..ROUND_TRIPS {
                a_tx.send(i).await.unwrap();
                assert_eq!(b_rx.recv().await.unwrap(), i + 1);
            }
            start.elapsed()
        });
        let elapsed = pinger.await.unwrap();
        echo.await.unwrap();
        elapsed / ROUND_TRIPS as u32
    })
}

fn tokio_spawn_round_trip() -> Duration {
    let rt = tokio_rt();
    let handle = rt.handle().clone();
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            for i in 0..ROUND_TRIPS {
                let v = handle.spawn(async move { i + 1 }).await.unwrap();
                assert_eq!(v, i + 1);
            }
            start.elapsed() / ROUND_TRIPS as u32
        })
        .await
        .unwrap()
    })
}

fn tokio_stream() -> f64 {
    let rt = tokio_rt();
    rt.block_on(async {
        let (tx, rx) = async_channel::bounded::<u64>(1024);
        let producer = tokio::spawn(async move {
            for i in 0..STREAM {
                tx.send(i).await.unwrap();
            }
        });
        let consumer = tokio::spawn(async move {
            let start = Instant::now();
            let mut n = 0;
            while n < STREAM {
                rx.recv().await.unwrap();
                n += 1;
            }
            STREAM as f64 / start.elapsed().as_secs_f64()
        });
        producer.await.unwrap();
        consumer.await.unwrap()
    })
}

/// Two tokio `current_thread` runtimes on two threads pinned to CPUs 0 and 1: tokio used
/// thread-per-core, so the messages really cross cores (its multi-thread scheduler often runs
/// both tasks on one worker).
fn tokio_ct_pair_ping_pong() -> Duration {
    let (a_tx, a_rx) = async_channel::bounded::<u64>(1);
    let (b_tx, b_rx) = async_channel::bounded::<u64>(1);
    let ct = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let echo = std::thread::spawn(move || {
        benches::pin_to_cpu(1).ok();
        ct().block_on(async move {
            for _ in 0..ROUND_TRIPS {
                let v = a_rx.recv().await.unwrap();
                b_tx.send(v + 1).await.unwrap();
            }
        })
    });
    let pinger = std::thread::spawn(move || {
        benches::pin_to_cpu(0).ok();
        ct().block_on(async move {
            let start = Instant::now();
            for i in 0..ROUND_TRIPS {
                a_tx.send(i).await.unwrap();
                assert_eq!(b_rx.recv().await.unwrap(), i + 1);
            }
            start.elapsed() / ROUND_TRIPS as u32
        })
    });
    echo.join().unwrap();
    pinger.join().unwrap()
}

/// The floor for any runtime: two OS threads blocking on `std::sync::mpsc`, pinned to CPUs 0
/// and 1 (what one cross-thread wake-up costs on this machine).
fn std_threads_ping_pong() -> Duration {
    let (a_tx, a_rx) = std::sync::mpsc::sync_channel::<u64>(1);
    let (b_tx, b_rx) = std::sync::mpsc::sync_channel::<u64>(1);
    let echo = std::thread::spawn(move || {
        benches::pin_to_cpu(1).ok();
        for _ in 0..ROUND_TRIPS {
            let v = a_rx.recv().unwrap();
            b_tx.send(v + 1).unwrap();
        }
    });
    let pinger = std::thread::spawn(move || {
        benches::pin_to_cpu(0).ok();
        let start = Instant::now();
        for i in 0..ROUND_TRIPS {
            a_tx.send(i).unwrap();
            assert_eq!(b_rx.recv().unwrap(), i + 1);
        }
        start.elapsed() / ROUND_TRIPS as u32
    });
    echo.join().unwrap();
    pinger.join().unwrap()
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// Command line.
#[derive(Debug, Parser)]
struct Cli {
    /// Rounds per benchmark; each figure is the median of the rounds.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Write the results to this JSON file.
    #[arg(long)]
    json: Option<String>,
}

fn main() {
    let Cli {
        rounds,
        json: json_path,
    } = Cli::parse();

    type Bench = (&'static str, &'static str, fn() -> f64);
    let extra: [Bench; 2] = [
        (
            "round trip (async-channel), µs",
            "tokio-ct x2 pinned",
            || tokio_ct_pair_ping_pong().as_secs_f64() * 1e6,
        ),
        (
            "round trip (std threads, mpsc), µs",
            "std threads pinned",
            || std_threads_ping_pong().as_secs_f64() * 1e6,
        ),
    ];
    let benches: [Bench; 6] = [
        ("round trip (async-channel), µs", "uring-rt", || {
            uring_ping_pong().as_secs_f64() * 1e6
        }),
        ("round trip (async-channel), µs", "tokio-mt", || {
            tokio_ping_pong().as_secs_f64() * 1e6
        }),
        ("spawn on other core + join, µs", "uring-rt", || {
            uring_spawn_round_trip().as_secs_f64() * 1e6
        }),
        ("spawn on other core + join, µs", "tokio-mt", || {
            tokio_spawn_round_trip().as_secs_f64() * 1e6
        }),
        ("stream (async-channel), msgs/s", "uring-rt", uring_stream),
        ("stream (async-channel), msgs/s", "tokio-mt", tokio_stream),
    ];
    // Alternate: every benchmark once per round.
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); benches.len()];
    let mut extra_samples = vec![Vec::new(); extra.len()];
    for round in 0..rounds {
        eprintln!("crosscore: round {}/{rounds}", round + 1);
        for (i, (_, _, f)) in benches.iter().enumerate() {
            samples[i].push(f());
        }
        for (i, (_, _, f)) in extra.iter().enumerate() {
            extra_samples[i].push(f());
        }
    }
    println!("| measure | runtime | median | min-max | ratio to tokio-mt |");
    println!("|---|---|---|---|---|");
    let mut rows = Vec::new();
    for pair in 0..benches.len() / 2 {
        let (name, _, _) = benches[pair * 2];
        let (u, u_lo, u_hi) = median(samples[pair * 2].clone());
        let (t, t_lo, t_hi) = median(samples[pair * 2 + 1].clone());
        let ratio = u / t;
        println!("| {name} | uring-rt | {u:.2} | {u_lo:.2}-{u_hi:.2} | {ratio:.2} |");
        println!("| {name} | tokio-mt | {t:.2} | {t_lo:.2}-{t_hi:.2} | 1.00 |");
        rows.push(json!({"measure": name, "uring_rt": samples[pair * 2], "tokio_mt": samples[pair * 2 + 1], "ratio": ratio}));
    }
    for (i, (name, who, _)) in extra.iter().enumerate() {
        let (f, f_lo, f_hi) = median(extra_samples[i].clone());
        println!("| {name} | {who} | {f:.2} | {f_lo:.2}-{f_hi:.2} | - |");
        rows.push(json!({"measure": name, "runtime": who, "samples": extra_samples[i]}));
    }
    if let Some(path) = json_path {
        std::fs::write(path, serde_json::to_string_pretty(&rows).unwrap()).unwrap();
    }
}
