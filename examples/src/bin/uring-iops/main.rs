//! `uring-iops`: a small fio. Random or sequential reads and writes of `--bs` blocks on one
//! file, `--qd` in flight per thread, one pinned runtime per thread (`ThreadPerCore`);
//! prints IOPS, bandwidth and latency percentiles from an HDR histogram.
//!
//! ```text
//! uring-iops FILE [--rw randread|randwrite|read|write|randrw] [--mix PCT] [--bs SIZE] [--qd N]
//!            [--direct] [--fixed-bufs] [--size SIZE] [--runtime DUR | --ops N] [--threads N] [--json]
//! ```
//!
//! Each thread opens the file, takes `--qd` buffers (registered with its ring under
//! `--fixed-bufs`) and runs `--qd` tasks; each task issues one operation at a time at a
//! block-aligned offset and records its latency, from the call to its completion, in the
//! thread's histogram. The histograms are merged at the end.

use std::cell::{Cell, RefCell};
use std::fs::OpenOptions as StdOpenOptions;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use uring_rt::buf::AlignedBuf;
use uring_rt::fs::{File, FixedBuf, FixedBufPool, OpenOptions};
use uring_rt::runtime::ThreadPerCore;

/// The access pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Rw {
    /// Random reads.
    Randread,
    /// Random writes.
    Randwrite,
    /// Sequential reads.
    Read,
    /// Sequential writes.
    Write,
    /// Random reads and writes, --mix percent reads.
    Randrw,
}

impl Rw {
    fn random(self) -> bool {
        matches!(self, Rw::Randread | Rw::Randwrite | Rw::Randrw)
    }

    fn writes(self) -> bool {
        !matches!(self, Rw::Randread | Rw::Read)
    }

    fn name(self) -> &'static str {
        match self {
            Rw::Randread => "randread",
            Rw::Randwrite => "randwrite",
            Rw::Read => "read",
            Rw::Write => "write",
            Rw::Randrw => "randrw",
        }
    }
}

/// Command line (see `--help`).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "uring-iops",
    version,
    about = "Measure a file's IOPS, bandwidth and latency through io_uring (a small fio)",
    after_help = "Latency is measured per operation, from submission to completion, into an \
                  HDR histogram (3 significant digits). Offsets are multiples of --bs inside \
                  the file (or its first --size bytes). --json prints one object: \
                  {\"iops\", \"bw_bytes\", \"lat_ns\": {\"p50\", \"p99\", \"p999\", \"max\"}, \"ops\"}."
)]
struct Cli {
    /// The file to test (created or extended with --size).
    file: PathBuf,
    /// Access pattern.
    #[arg(long, value_enum, default_value = "randread")]
    rw: Rw,
    /// Percentage of reads with --rw randrw.
    #[arg(long, value_name = "PCT", default_value_t = 50,
          value_parser = clap::value_parser!(u8).range(0..=100))]
    mix: u8,
    /// Block size of each operation: 512, 4k, 64k, 1M, ...
    #[arg(long, value_name = "SIZE", default_value = "4k", value_parser = examples::parse_size)]
    bs: u64,
    /// Operations in flight per thread.
    #[arg(long, value_name = "N", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..=16384))]
    qd: u32,
    /// O_DIRECT: bypass the page cache (--bs must suit the device's alignment).
    #[arg(long)]
    direct: bool,
    /// Use buffers registered with the ring (READ_FIXED / WRITE_FIXED).
    #[arg(long)]
    fixed_bufs: bool,
    /// Test the first SIZE bytes; the file is created, or extended by writing data, to SIZE.
    #[arg(long, value_name = "SIZE", value_parser = examples::parse_size)]
    size: Option<u64>,
    /// How long to run: 500ms, 10s, 2m (default 10s).
    #[arg(long, value_name = "DUR", value_parser = examples::parse_duration,
          conflicts_with = "ops")]
    runtime: Option<Duration>,
    /// Stop after N operations in all (instead of --runtime).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    ops: Option<u64>,
    /// Threads, one pinned runtime each (pinned when there are enough CPUs).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: u16,
    /// Print one JSON object on stdout instead of the human summary.
    #[arg(long)]
    json: bool,
}

/// What one thread measured.
#[derive(Debug)]
struct ThreadResult {
    hist: Histogram<u64>,
    ops: u64,
    bytes: u64,
    elapsed: Duration,
}

fn main() -> ExitCode {
    let cli: Cli = examples::parse_args("uring-iops");
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("uring-iops: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> Result<(), String> {
    let path = &cli.file;
    let bs = cli.bs;
    if bs > 1 << 30 {
        return Err(format!("--bs {bs}: at most 1G"));
    }
    let len = match cli.size {
        Some(size) => {
            prepare(path, size).map_err(|e| format!("{}: {e}", path.display()))?;
            size
        }
        None => match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => return Err(format!("{}: not a regular file", path.display())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(format!("{}: {e} (use --size to create it)", path.display()))
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        },
    };
    let blocks = len / bs;
    if blocks == 0 {
        return Err(format!(
            "{}: {len} bytes, smaller than one block of --bs {bs} (use --size)",
            path.display()
        ));
    }
    let threads = usize::from(cli.threads);
    let pin = threads <= std::thread::available_parallelism().map_or(1, |n| n.get());
    let cfg = Arc::new(cli.clone());
    let deadline_after = cli.runtime.unwrap_or(Duration::from_secs(10));
    let results = ThreadPerCore::builder()
        .cores(threads)
        .pin(pin)
        .run(move |core| {
            let cfg = cfg.clone();
            async move {
                let ops = cfg.ops.map(|n| {
                    // Split N over the threads; the first ones take the remainder.
                    let t = cfg.threads as u64;
                    n / t + u64::from((core.index() as u64) < n % t)
                });
                let start_block = blocks * core.index() as u64 / u64::from(cfg.threads);
                run_thread(
                    &cfg,
                    blocks,
                    start_block,
                    core.index() as u64,
                    ops,
                    deadline_after,
                )
                .await
            }
        })
        .map_err(|e| format!("runtime: {e}"))?;

    let mut hist = new_histogram();
    let (mut ops, mut bytes, mut elapsed) = (0, 0, Duration::ZERO);
    for result in results {
        let r = result.map_err(|e| format!("{}: {e}", path.display()))?;
        hist.add(&r.hist)
            .map_err(|e| format!("merging histograms: {e}"))?;
        ops += r.ops;
        bytes += r.bytes;
        elapsed = elapsed.max(r.elapsed);
    }
    let secs = elapsed.as_secs_f64().max(1e-9);
    let iops = ops as f64 / secs;
    let bw = bytes as f64 / secs;
    let (p50, p99, p999, max) = (
        hist.value_at_quantile(0.50),
        hist.value_at_quantile(0.99),
        hist.value_at_quantile(0.999),
        hist.max(),
    );
    if cli.json {
        println!(
            "{}",
            serde_json::json!({
                "iops": iops,
                "bw_bytes": bw,
                "lat_ns": { "p50": p50, "p99": p99, "p999": p999, "max": max },
                "ops": ops,
            })
        );
    } else {
        println!(
            "{} {} x QD {} x {} thread{}{}{}: {:.0} IOPS, {}/s; latency p50 {}, p99 {}, \
             p99.9 {}, max {} ({ops} ops in {secs:.2} s)",
            cli.rw.name(),
            examples::human_bytes(bs),
            cli.qd,
            threads,
            if threads == 1 { "" } else { "s" },
            if cli.direct { ", direct" } else { "" },
            if cli.fixed_bufs { ", fixed bufs" } else { "" },
            iops,
            examples::human_bytes(bw as u64),
            human_ns(p50),
            human_ns(p99),
            human_ns(p999),
            human_ns(max),
        );
    }
    Ok(())
}

/// Creates `path` if needed and writes data up to `size` bytes where it is shorter (holes
/// would be read without touching the device).
fn prepare(path: &Path, size: u64) -> io::Result<()> {
    let mut file = StdOpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let mut pos = file.metadata()?.len();
    if pos >= size {
        return Ok(());
    }
    use std::io::Seek;
    file.seek(io::SeekFrom::Start(pos))?;
    let mut rng = Rng::new(pos ^ size);
    let mut chunk = vec![0u8; 1 << 20];
    while pos < size {
        let n = chunk.len().min((size - pos) as usize);
        rng.fill(&mut chunk[..n]);
        file.write_all(&chunk[..n])?;
        pos += n as u64;
    }
    file.sync_all()
}

/// A histogram of nanoseconds from 1 ns to an hour, 3 significant digits.
fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("the bounds are valid")
}

/// Shared by one thread's workers.
struct Shared {
    file: File,
    rw: Rw,
    mix: u8,
    bs: u64,
    blocks: u64,
    /// Next block of a sequential pattern.
    next_block: Cell<u64>,
    /// Operations still to issue under `--ops`.
    remaining: Cell<Option<u64>>,
    deadline: Instant,
    stop: Cell<bool>,
    error: RefCell<Option<io::Error>>,
    hist: RefCell<Histogram<u64>>,
    ops: Cell<u64>,
    bytes: Cell<u64>,
}

/// One thread: opens the file and runs `--qd` workers until the deadline or the op count.
async fn run_thread(
    cfg: &Cli,
    blocks: u64,
    start_block: u64,
    thread: u64,
    ops: Option<u64>,
    duration: Duration,
) -> io::Result<ThreadResult> {
    let file = OpenOptions::new()
        .read(true)
        .write(cfg.rw.writes())
        .direct(cfg.direct)
        .open(&cfg.file)
        .await?;
    let bs = cfg.bs as usize;
    let qd = cfg.qd as usize;
    let pool = if cfg.fixed_bufs {
        Some(
            FixedBufPool::new(qd, bs)
                .map_err(|e| io::Error::new(e.kind(), format!("--fixed-bufs: {e}")))?,
        )
    } else {
        None
    };
    let start = Instant::now();
    let shared = Rc::new(Shared {
        file,
        rw: cfg.rw,
        mix: cfg.mix,
        bs: cfg.bs,
        blocks,
        next_block: Cell::new(start_block),
        remaining: Cell::new(ops),
        deadline: start + duration,
        stop: Cell::new(false),
        error: RefCell::new(None),
        hist: RefCell::new(new_histogram()),
        ops: Cell::new(0),
        bytes: Cell::new(0),
    });
    let mut workers = Vec::with_capacity(qd);
    for w in 0..qd as u64 {
        let mut rng = Rng::new((thread << 32) ^ (w + 1));
        let buf = match &pool {
            Some(pool) => {
                let mut b = pool.try_get().expect("the pool has --qd buffers");
                let mut fill = vec![0u8; bs];
                rng.fill(&mut fill);
                b.extend_from_slice(&fill);
                Buf::Fixed(b)
            }
            None => {
                let mut b = AlignedBuf::with_alignment(bs, shared.file.alignment().max(4096));
                b.resize(bs, 0);
                rng.fill(&mut b);
                Buf::Plain(b)
            }
        };
        let shared = shared.clone();
        workers.push(uring_rt::spawn(worker(shared, buf, rng)));
    }
    for w in workers {
        let _ = w.await;
    }
    let elapsed = start.elapsed();
    let shared = Rc::into_inner(shared).expect("every worker has finished");
    if let Some(e) = shared.error.into_inner() {
        return Err(e);
    }
    Ok(ThreadResult {
        hist: shared.hist.into_inner(),
        ops: shared.ops.get(),
        bytes: shared.bytes.get(),
        elapsed,
    })
}

/// A worker's buffer.
enum Buf {
    Fixed(FixedBuf),
    Plain(AlignedBuf),
}

/// Issues one operation at a time until told to stop.
async fn worker(shared: Rc<Shared>, mut buf: Buf, mut rng: Rng) {
    loop {
        if shared.stop.get() {
            return;
        }
        match shared.remaining.get() {
            Some(0) => return,
            Some(n) => shared.remaining.set(Some(n - 1)),
            None if Instant::now() >= shared.deadline => return,
            None => {}
        }
        let block = if shared.rw.random() {
            rng.next() % shared.blocks
        } else {
            let b = shared.next_block.get();
            shared.next_block.set(b + 1);
            b % shared.blocks
        };
        let pos = block * shared.bs;
        let read = match shared.rw {
            Rw::Randread | Rw::Read => true,
            Rw::Randwrite | Rw::Write => false,
            Rw::Randrw => rng.next() % 100 < u64::from(shared.mix),
        };
        let started = Instant::now();
        let (res, back) = match (buf, read) {
            (Buf::Fixed(b), true) => {
                let (r, b) = shared.file.read_fixed_at(b, pos).await;
                (r, Buf::Fixed(b))
            }
            (Buf::Fixed(b), false) => {
                let (r, b) = shared.file.write_fixed_at(b, pos).await;
                (r, Buf::Fixed(b))
            }
            (Buf::Plain(b), true) => {
                let (r, b) = shared.file.read_at(b, pos).await;
                (r, Buf::Plain(b))
            }
            (Buf::Plain(b), false) => {
                let (r, b) = shared.file.write_at(b, pos).await;
                (r, Buf::Plain(b))
            }
        };
        let latency = started.elapsed();
        buf = back;
        let res = res.and_then(|n| {
            if n as u64 == shared.bs {
                Ok(n)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "short {} of {n} bytes at offset {pos}",
                        if read { "read" } else { "write" }
                    ),
                ))
            }
        });
        match res {
            Ok(n) => {
                shared
                    .hist
                    .borrow_mut()
                    .saturating_record(latency.as_nanos().try_into().unwrap_or(u64::MAX));
                shared.ops.set(shared.ops.get() + 1);
                shared.bytes.set(shared.bytes.get() + n as u64);
            }
            Err(e) => {
                shared.stop.set(true);
                shared.error.borrow_mut().get_or_insert(e);
                return;
            }
        }
    }
}

/// xorshift64*: offsets and data that neither repeat nor compress.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Nanoseconds for people: `850 ns`, `45.1 µs`, `1.20 ms`.
fn human_ns(ns: u64) -> String {
    match ns {
        0..=999 => format!("{ns} ns"),
        1_000..=999_999 => format!("{:.1} µs", ns as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.2} ms", ns as f64 / 1e6),
        _ => format!("{:.2} s", ns as f64 / 1e9),
    }
}
