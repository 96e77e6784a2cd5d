//! Torture: seeded random mixes of file and socket operations with timeouts, aborts, drops on
//! and off the runtime's thread, tiny rings, SQPOLL, signal storms and resetting peers; after
//! each seed the invariants are checked (see `torture/run.rs`).
//!
//! Short form (the README's test command): a few seeds in a few seconds. Long form:
//! `TORTURE_SECS=600 cargo test -p tests --test torture -- --nocapture` loops seeds
//! until the time is up. `TORTURE_SEED=0x...` replays one seed. Every failure prints its seed.

mod canary;
mod check;
mod faults;
mod rng;
mod run;
mod streams;
mod workers;

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use check::{open_fds, STATS};

/// The runs count this process's fds: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

fn base_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

#[test]
fn torture_random_mixes() {
    let _serial = serial();
    if let Some(seed) = env_u64("TORTURE_SEED") {
        run::run_seed(seed, Duration::from_millis(500));
        println!("{}", STATS.summary());
        return;
    }
    let secs = env_u64("TORTURE_SECS");
    let mut rng = rng::Rng::new(base_seed());
    let started = Instant::now();
    let mut n = 0;
    loop {
        let done = match secs {
            Some(s) => started.elapsed() >= Duration::from_secs(s),
            None => n >= 6,
        };
        if done {
            break;
        }
        run::run_seed(rng.next_u64(), Duration::from_millis(300));
        n += 1;
    }
    println!("{}", STATS.summary());
}

const CHILD_ENV: &str = "URING_RT_TORTURE_CHILD";

/// Runs only in the child process `torture_under_a_low_fd_limit` starts (it lowers
/// `RLIMIT_NOFILE` for the whole process).
#[test]
#[ignore = "run by torture_under_a_low_fd_limit in a child process"]
fn low_fd_limit_child() {
    assert!(
        std::env::var_os(CHILD_ENV).is_some(),
        "lowers RLIMIT_NOFILE of the whole process: run only in the child"
    );
    let seed = env_u64("TORTURE_SEED").unwrap_or_else(base_seed);
    let mut rng = rng::Rng::new(seed);
    let start_fds = open_fds();
    let rt = uring_rt::Runtime::builder()
        .entries([2, 8, 64][rng.below(3) as usize])
        .build()
        .unwrap();
    let limit = (open_fds() + 12 + rng.below(12) as usize) as u64;
    let lim = libc::rlimit {
        rlim_cur: limit,
        rlim_max: limit,
    };
    // SAFETY: a valid rlimit; lowering the limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    let refused = rt
        .block_on(workers::exhaust_fds(64))
        .unwrap_or_else(|e| panic!("seed {seed:#x}: {e}"));
    assert!(
        refused > 0,
        "seed {seed:#x}: the fd limit {limit} was never hit"
    );
    let left = {
        let until = Instant::now() + Duration::from_secs(3);
        rt.block_on(async {
            while rt.in_flight_ops() > 0 && Instant::now() < until {
                uring_rt::time::sleep(Duration::from_millis(1)).await;
            }
        });
        rt.in_flight_ops()
    };
    assert_eq!(left, 0, "seed {seed:#x}: ops left in the slab");
    // A runtime under the limit still serves a full seed run's worth of ordinary work.
    rt.block_on(async {
        let (a, b) = uring_rt::net::UnixStream::pair().unwrap();
        a.write_all(b"after".to_vec()).await.0.unwrap();
        let (res, buf) = b.read(Vec::with_capacity(8)).await;
        assert_eq!(res.unwrap(), 5);
        assert_eq!(buf, b"after");
    });
    drop(rt);
    assert_eq!(
        open_fds(),
        start_fds,
        "seed {seed:#x}: fds leaked under the limit"
    );
    println!("CHILD-OK refused {refused} at limit {limit} seed {seed:#x}");
}

#[test]
fn torture_under_a_low_fd_limit() {
    let _serial = serial();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "low_fd_limit_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("CHILD-OK"),
        "child failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
}
