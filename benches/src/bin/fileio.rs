//! File I/O benchmark: 4 KiB random reads at queue depths 1, 32 and 128, `O_DIRECT` and
//! buffered (page cache hot), and sequential 128 KiB reads and writes (`O_DIRECT`, QD 8):
//! uring-rt vs `tokio::fs` vs a `std` `pread` thread pool vs fio's `io_uring` engine (when
//! `fio` is on PATH), on the same file, alternating engines, median of several rounds.
//!
//! ```text
//! cargo run --release -p benches --bin fileio
//! ```
//!
//! Environment: `FILEIO_DIR` (default `/var/tmp`; not a tmpfs), `FILEIO_SIZE_MB` (1024),
//! `FILEIO_SECS` (seconds per round, 1), `FILEIO_ROUNDS` (3), `FILEIO_JOBS` (run only the
//! jobs whose label contains this, e.g. `QD32 direct`), `FILEIO_DEFER_TASKRUN` (1: the
//! runtime's default `DEFER_TASKRUN` ring; 0: a ring without it). The data file
//! (`$FILEIO_DIR/uring-rt-fileio/data.bin`) is kept between runs; delete it when done.
//!
//! tokio: buffered reads use `tokio::fs::File` (seek + read, one file handle per task);
//! `tokio::fs::File` cannot do `O_DIRECT` (its internal buffer is not aligned), so the
//! `O_DIRECT` rows run `pread` through `tokio::task::spawn_blocking`, which is what
//! `tokio::fs` does internally.

use std::cell::Cell;
use std::fs::OpenOptions as StdOpenOptions;
use std::io::{SeekFrom, Write as _};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use uring_rt::buf::AlignedBuf;
use uring_rt::fs::OpenOptions;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Pattern {
    RandRead,
    SeqRead,
    SeqWrite,
}

#[derive(Clone, Copy, Debug)]
struct Job {
    pattern: Pattern,
    bs: usize,
    qd: usize,
    direct: bool,
    secs: f64,
    file_size: u64,
}

impl Job {
    fn label(&self) -> String {
        let kind = match self.pattern {
            Pattern::RandRead => "randread",
            Pattern::SeqRead => "seqread",
            Pattern::SeqWrite => "seqwrite",
        };
        let mode = if self.direct { "direct" } else { "buffered" };
        format!("{kind} {}K QD{} {mode}", self.bs / 1024, self.qd)
    }

    fn blocks(&self) -> u64 {
        self.file_size / self.bs as u64
    }
}

/// xorshift64: cheap per-task random block numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Offset of the next I/O: random block, or the next block of a shared sequential cursor.
fn offset(job: &Job, rng: &mut Rng, cursor: &AtomicU64) -> u64 {
    let block = match job.pattern {
        Pattern::RandRead => rng.next() % job.blocks(),
        _ => cursor.fetch_add(1, Ordering::Relaxed) % job.blocks(),
    };
    block * job.bs as u64
}

fn buffer(job: &Job) -> AlignedBuf {
    let mut buf = AlignedBuf::new(job.bs);
    if job.pattern == Pattern::SeqWrite {
        buf.resize(job.bs, 0x5a);
    }
    buf
}

/// uring-rt: one runtime (one thread), `qd` tasks each with one op in flight.
fn run_uring(path: &Path, job: Job) -> f64 {
    let defer = env("FILEIO_DEFER_TASKRUN", 1) != 0;
    let rt = uring_rt::Runtime::builder()
        .defer_taskrun(defer)
        .build()
        .expect("io_uring runtime");
    rt.block_on(async {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .direct(job.direct)
            .open(path)
            .await
            .expect("open");
        let file = Rc::new(file);
        let ops = Rc::new(Cell::new(0u64));
        let cursor = Rc::new(AtomicU64::new(0));
        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64(job.secs);
        let mut tasks = Vec::new();
        for t in 0..job.qd {
            let (file, ops, cursor) = (file.clone(), ops.clone(), cursor.clone());
            tasks.push(uring_rt::spawn(async move {
                let mut rng = Rng(0x9e37_79b9 + t as u64 * 7919);
                let mut buf = buffer(&job);
                while Instant::now() < deadline {
                    let pos = offset(&job, &mut rng, &cursor);
                    let (res, b) = if job.pattern == Pattern::SeqWrite {
                        file.write_at(buf, pos).await
                    } else {
                        file.read_at(buf, pos).await
                    };
                    assert_eq!(res.expect("uring-rt I/O"), job.bs);
                    buf = b;
                    ops.set(ops.get() + 1);
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        ops.get() as f64 / start.elapsed().as_secs_f64()
    })
}

fn std_file(path: &Path, direct: bool) -> std::fs::File {
    StdOpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(if direct { libc::O_DIRECT } else { 0 })
        .open(path)
        .expect("open")
}

/// One blocking positional transfer.
fn pio(file: &std::fs::File, job: &Job, buf: &mut AlignedBuf, pos: u64) {
    let n = if job.pattern == Pattern::SeqWrite {
        file.write_at(buf, pos)
    } else {
        buf.resize(job.bs, 0);
        file.read_at(buf, pos)
    };
    assert_eq!(n.expect("pread/pwrite"), job.bs);
}

/// std: `qd` threads, each doing blocking `pread`/`pwrite`.
fn run_std(path: &Path, job: Job) -> f64 {
    let file = Arc::new(std_file(path, job.direct));
    let ops = Arc::new(AtomicU64::new(0));
    let cursor = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(job.secs);
    let threads: Vec<_> = (0..job.qd)
        .map(|t| {
            let (file, ops, cursor) = (file.clone(), ops.clone(), cursor.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(0x9e37_79b9 + t as u64 * 7919);
                let mut buf = buffer(&job);
                let mut n = 0;
                while Instant::now() < deadline {
                    let pos = offset(&job, &mut rng, &cursor);
                    pio(&file, &job, &mut buf, pos);
                    n += 1;
                }
                ops.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    ops.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// tokio: multi-thread runtime, `qd` tasks. Buffered: `tokio::fs::File` (seek + read);
/// `O_DIRECT`: `spawn_blocking` pread/pwrite with an aligned buffer.
fn run_tokio(path: &Path, job: Job) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
        let shared = Arc::new(std_file(path, job.direct));
        let ops = Arc::new(AtomicU64::new(0));
        let cursor = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64(job.secs);
        let mut tasks = Vec::new();
        for t in 0..job.qd {
            let (shared, ops, cursor) = (shared.clone(), ops.clone(), cursor.clone());
            let path = path.to_owned();
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng(0x9e37_79b9 + t as u64 * 7919);
                let mut n = 0;
                if job.direct {
                    let mut buf = buffer(&job);
                    while Instant::now() < deadline {
                        let pos = offset(&job, &mut rng, &cursor);
                        let file = shared.clone();
                        buf = tokio::task::spawn_blocking(move || {
                            pio(&file, &job, &mut buf, pos);
                            buf
                        })
                        .await
                        .expect("blocking");
                        n += 1;
                    }
                } else {
                    let mut file = tokio::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open(&path)
                        .await
                        .expect("open");
                    let mut buf = vec![0x5au8; job.bs];
                    while Instant::now() < deadline {
                        let pos = offset(&job, &mut rng, &cursor);
                        file.seek(SeekFrom::Start(pos)).await.expect("seek");
                        if job.pattern == Pattern::SeqWrite {
                            file.write_all(&buf).await.expect("write");
                        } else {
                            file.read_exact(&mut buf).await.expect("read");
                        }
                        n += 1;
                    }
                }
                ops.fetch_add(n, Ordering::Relaxed);
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        ops.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
    })
}

/// fio's io_uring engine on the same file; `None` when fio is missing or fails.
fn run_fio(path: &Path, job: Job) -> Option<f64> {
    let rw = match job.pattern {
        Pattern::RandRead => "randread",
        Pattern::SeqRead => "read",
        Pattern::SeqWrite => "write",
    };
    let out = Command::new("fio")
        .args([
            "--name=fileio",
            &format!("--filename={}", path.display()),
            &format!("--rw={rw}"),
            &format!("--bs={}", job.bs),
            &format!("--iodepth={}", job.qd),
            "--ioengine=io_uring",
            &format!("--direct={}", u8::from(job.direct)),
            &format!("--size={}", job.file_size),
            &format!("--runtime={}ms", (job.secs * 1000.0) as u64),
            "--time_based",
            "--norandommap",
            "--randrepeat=0",
            "--invalidate=0",
            "--output-format=terse",
            "--terse-version=3",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("fio failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("3;"))?;
    let fields: Vec<&str> = line.split(';').collect();
    // terse v3: field 7 is read IOPS, field 48 write IOPS (0-based).
    let idx = if job.pattern == Pattern::SeqWrite {
        48
    } else {
        7
    };
    fields.get(idx)?.parse().ok()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Creates (or reuses) the data file, fully written (not sparse).
fn prepare(dir: &Path, size: u64) -> PathBuf {
    let dir = dir.join("uring-rt-fileio");
    std::fs::create_dir_all(&dir).expect("create bench dir");
    let path = dir.join("data.bin");
    if std::fs::metadata(&path).map(|m| m.len()).ok() == Some(size) {
        return path;
    }
    eprintln!("writing {} MiB to {} ...", size >> 20, path.display());
    let mut f = std::fs::File::create(&path).expect("create data file");
    let mut chunk = vec![0u8; 8 << 20];
    let mut rng = Rng(42);
    for b in chunk.chunks_mut(8) {
        b.copy_from_slice(&rng.next().to_le_bytes());
    }
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..n]).expect("write data file");
        left -= n as u64;
    }
    f.sync_all().expect("fsync data file");
    path
}

/// Reads the whole file once so buffered rows run with a hot page cache.
fn warm(path: &Path) {
    let mut f = std::fs::File::open(path).expect("open");
    std::io::copy(&mut f, &mut std::io::sink()).expect("warm page cache");
}

fn main() {
    let dir: PathBuf = env("FILEIO_DIR", PathBuf::from("/var/tmp"));
    let size: u64 = env::<u64>("FILEIO_SIZE_MB", 1024) << 20;
    let secs: f64 = env("FILEIO_SECS", 1.0);
    let rounds: usize = env("FILEIO_ROUNDS", 3);
    let path = prepare(&dir, size);
    let has_fio = Command::new("fio").arg("--version").output().is_ok();
    if !has_fio {
        eprintln!("fio not found: install it with `apt-get install -y fio` for the fio column");
    }
    println!(
        "file {} ({} MiB), {rounds} rounds x {secs} s, median; fio: {}",
        path.display(),
        size >> 20,
        if has_fio {
            "io_uring engine"
        } else {
            "not installed"
        }
    );

    let mut jobs = Vec::new();
    for direct in [true, false] {
        for qd in [1, 32, 128] {
            jobs.push(Job {
                pattern: Pattern::RandRead,
                bs: 4096,
                qd,
                direct,
                secs,
                file_size: size,
            });
        }
    }
    for pattern in [Pattern::SeqRead, Pattern::SeqWrite] {
        jobs.push(Job {
            pattern,
            bs: 128 << 10,
            qd: 8,
            direct: true,
            secs,
            file_size: size,
        });
    }

    println!(
        "{:<28} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "job", "uring-rt", "tokio", "std pool", "fio", "uring/fio", "uring/tok"
    );
    let only: String = env("FILEIO_JOBS", String::new());
    for job in jobs.into_iter().filter(|j| j.label().contains(&only)) {
        if !job.direct {
            warm(&path);
        }
        let (mut u, mut t, mut s, mut f) = (vec![], vec![], vec![], vec![]);
        for _ in 0..rounds {
            u.push(run_uring(&path, job));
            t.push(run_tokio(&path, job));
            s.push(run_std(&path, job));
            if has_fio {
                if let Some(v) = run_fio(&path, job) {
                    f.push(v);
                }
            }
        }
        let unit = |ops: f64| {
            if job.pattern == Pattern::RandRead {
                format!("{:.0}", ops)
            } else {
                format!("{:.0} MiB/s", ops * job.bs as f64 / f64::from(1 << 20))
            }
        };
        let (u, t, s) = (median(u), median(t), median(s));
        let fio = (!f.is_empty()).then(|| median(f));
        println!(
            "{:<28} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9.2}",
            job.label(),
            unit(u),
            unit(t),
            unit(s),
            fio.map_or("-".into(), unit),
            fio.map_or("-".into(), |f| format!("{:.2}", u / f)),
            u / t,
        );
    }
}
