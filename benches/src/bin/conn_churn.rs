//! Connection churn: what a connection costs the runtime, with and without direct descriptors.
//!
//! Usage: `conn_churn [--pairs N] [--rounds R] [--direct-descriptors SLOTS]`
//!
//! One runtime on one thread connects to its own listener, accepts, echoes 8 bytes and drops
//! both ends, `N` times (default 3,000). Each of `R` rounds (default 7) does this once with
//! direct descriptors off and once with `SLOTS` of them (default 1,024), in alternating order,
//! each on a new runtime; it prints the process CPU time (`/proc/self/task/*/schedstat`) and
//! the wall time per connected pair of every run, then the medians and their ratio (on / off).
//! With direct descriptors each stream enters its slot with an `IORING_OP_FILES_UPDATE` and
//! leaves it with a `close_direct`, both queued with the ring's other SQEs.

use std::time::{Duration, Instant};

use clap::Parser;
use uring_rt::net::{TcpListener, TcpStream};
use uring_rt::runtime::DriverKind;

#[derive(Debug, Parser)]
struct Cli {
    /// Connected pairs made and dropped per run.
    #[arg(long, default_value_t = 3000)]
    pairs: usize,
    /// Rounds, each one run off and one run on.
    #[arg(long, default_value_t = 7)]
    rounds: usize,
    /// `Builder::direct_descriptors` of the runs with the switch on.
    #[arg(long, default_value_t = 1024)]
    direct_descriptors: u32,
}

/// One run: `pairs` connections on a new runtime with `slots` direct descriptors; returns
/// (CPU, wall) per pair.
fn run(pairs: usize, slots: u32) -> std::io::Result<(Duration, Duration)> {
    let rt = uring_rt::Runtime::builder()
        .driver(DriverKind::IoUring)
        .direct_descriptors(slots)
        .build()?;
    let pid = std::process::id();
    let (cpu, wall) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let cpu0 = benches::process_cpu_ns(pid)?;
        let start = Instant::now();
        for _ in 0..pairs {
            let client = TcpStream::connect(addr).await?;
            let (server, _) = listener.accept().await?;
            client.write_all(vec![1u8; 8]).await.0?;
            let (res, buf) = server.read(vec![0u8; 8]).await;
            assert_eq!(res?, 8);
            assert_eq!(buf, [1u8; 8]);
        }
        let wall = start.elapsed();
        let cpu = Duration::from_nanos(benches::process_cpu_ns(pid)? - cpu0);
        std::io::Result::Ok((cpu, wall))
    })?;
    let n = pairs.max(1) as u32;
    Ok((cpu / n, wall / n))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let (mut off_wall, mut on_wall) = (Vec::new(), Vec::new());
    for round in 0..cli.rounds.max(1) {
        let order = if round % 2 == 0 {
            [0, cli.direct_descriptors]
        } else {
            [cli.direct_descriptors, 0]
        };
        for slots in order {
            let (cpu, wall) = run(cli.pairs, slots)?;
            println!(
                "round {round} direct_descriptors {slots:5}: {:6.2} µs CPU, {:6.2} µs wall per pair",
                us(cpu),
                us(wall)
            );
            if slots == 0 {
                off.push(cpu);
                off_wall.push(wall);
            } else {
                on.push(cpu);
                on_wall.push(wall);
            }
        }
    }
    let (off, on) = (median(off), median(on));
    let (off_wall, on_wall) = (median(off_wall), median(on_wall));
    println!(
        "median of {} rounds, {} pairs each: off {:.2} µs CPU ({:.2} wall), on {:.2} µs CPU \
         ({:.2} wall) per pair; CPU on/off {:.3}",
        cli.rounds.max(1),
        cli.pairs,
        us(off),
        us(off_wall),
        us(on),
        us(on_wall),
        on.as_secs_f64() / off.as_secs_f64()
    );
    Ok(())
}
