//! Bulk receive through a `RecvStream`: the workload where receive bundles and incremental
//! buffers can matter (more bytes waiting than one buffer holds), unlike echo ping-pong.
//!
//! Usage: `recv_bulk [--mib N] [--rounds N] [--entries N] [--buf-size BYTES]`
//!
//! One runtime, one thread: a task writes N MiB over a loopback TCP connection in 64 KiB
//! writes while the main task receives them with `recv_stream` and drops each chunk. Four
//! modes (plain, bundle, incremental, both) alternate within each round; printed per mode:
//! the median of the rounds of wall time, process CPU time (`getrusage`, both sides of the
//! connection, as both run on this thread) and receive completions per MiB (the ring's
//! counters).

use std::time::{Duration, Instant};

use clap::Parser;
use uring_rt::net::{BufRing, TcpListener, TcpStream};

/// Command line.
#[derive(Debug, Parser)]
struct Cli {
    /// MiB per transfer.
    #[arg(long, default_value_t = 256)]
    mib: usize,
    /// Rounds (each runs every mode once).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Buffers in the ring.
    #[arg(long, default_value_t = 256)]
    entries: u16,
    /// Bytes per buffer.
    #[arg(long, default_value_t = 4096)]
    buf_size: usize,
}

/// Process CPU time (user + system) so far.
fn cpu_time() -> Duration {
    // SAFETY: `usage` is a valid out-pointer; a zeroed `rusage` is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// One transfer: (wall, cpu, completions, bundle in effect, incremental in effect).
async fn transfer(cli: &Cli, bundle: bool, inc: bool) -> (Duration, Duration, u64, bool, bool) {
    let ring = BufRing::builder(cli.entries, cli.buf_size)
        .bundle(bundle)
        .incremental(inc)
        .build()
        .expect("buffer ring");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client = TcpStream::connect(listener.local_addr().expect("addr"))
        .await
        .expect("connect");
    let (server, _) = listener.accept().await.expect("accept");
    let total = cli.mib << 20;
    let (t0, c0) = (Instant::now(), cpu_time());
    let writer = uring_rt::spawn(async move {
        let chunk = vec![7u8; 64 << 10];
        let mut sent = 0;
        while sent < total {
            let (res, _) = client.write_all(chunk.clone()).await;
            res.expect("write");
            sent += chunk.len();
        }
    });
    let mut chunks = server.recv_stream(&ring).expect("recv_stream");
    let mut got = 0;
    while let Some(buf) = chunks.next().await {
        got += buf.expect("recv").len();
    }
    writer.await.expect("writer");
    assert_eq!(got, total);
    let (wall, cpu) = (t0.elapsed(), cpu_time() - c0);
    let stats = ring.stats();
    (
        wall,
        cpu,
        stats.completions,
        ring.is_bundle(),
        ring.is_incremental(),
    )
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let modes = [
        ("plain", false, false),
        ("bundle", true, false),
        ("incremental", false, true),
        ("both", true, true),
    ];
    let rt = uring_rt::Runtime::new()?;
    let mut walls = vec![Vec::new(); modes.len()];
    let mut cpus = vec![Vec::new(); modes.len()];
    let mut comps = vec![0u64; modes.len()];
    let mut active = vec![(false, false); modes.len()];
    for _ in 0..cli.rounds {
        for (i, &(_, bundle, inc)) in modes.iter().enumerate() {
            let (wall, cpu, c, b, n) = rt.block_on(transfer(&cli, bundle, inc));
            walls[i].push(wall);
            cpus[i].push(cpu);
            comps[i] = c;
            active[i] = (b, n);
        }
    }
    println!(
        "recv_bulk: {} MiB per transfer, ring {} x {} B, median of {} rounds",
        cli.mib, cli.entries, cli.buf_size, cli.rounds
    );
    let base = median(&mut cpus[0].clone());
    for (i, (name, _, _)) in modes.iter().enumerate() {
        let wall = median(&mut walls[i]);
        let cpu = median(&mut cpus[i]);
        let mib_s = cli.mib as f64 / wall.as_secs_f64();
        println!(
            "{name:12} {mib_s:8.0} MiB/s  cpu {:6.1} ms ({:.2}x plain)  completions/MiB {:7.1}  \
             (bundle {}, incremental {})",
            cpu.as_secs_f64() * 1e3,
            cpu.as_secs_f64() / base.as_secs_f64(),
            comps[i] as f64 / cli.mib as f64,
            active[i].0,
            active[i].1,
        );
    }
    Ok(())
}
