//! One seeded run: a runtime with random settings, a random mix of workers, then the
//! invariants (slab empty, fds back, canaries untouched, runtime drop within its bound).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uring_rt::net::{TcpListener, TcpStream, UnixStream};
use uring_rt::Runtime;

use crate::canary::Arena;
use crate::check::{fd_targets, gettid, open_fds, SignalStorm, Stats, STATS};
use crate::faults;
use crate::rng::Rng;
use uring_rt::time::timeout;

use crate::streams::{guard, read_all, std_peer, write_all, End, SeqCheck};
use crate::workers;

/// Liveness bound for dropping a runtime (its own bound is 5 s of waiting for the kernel).
const DROP_BOUND: Duration = Duration::from_secs(6);

/// Use SQPOLL rings (issue 9, defect 3: before its fix, an SQPOLL ring whose SQ thread went
/// to sleep is not woken by submissions, and ops stall).
const SQPOLL_RUNS: bool = true;

/// Let SQPOLL rings have 2 or 4 entries. Once off: an SQPOLL ring of 2 entries stalled a read
/// under a busy mix (seed 0xce9893be123f48db) while its SQE waited in the backlog; the driver
/// now waits in the kernel for SQ room (`rt_sqpoll::sqpoll_tiny_ring_submits_its_backlog_before_parking`).
const SQPOLL_TINY_RINGS: bool = true;

/// Liveness bound for one worker (its ops are bounded one by one by `guard`).
const WORKER_BOUND: Duration = Duration::from_secs(60);

/// Drop armed reads and sleeps on another thread (issue 9, defect 2: before its fix, such a
/// drop forgets the stream's input permit and the next read waits forever).
const OFF_THREAD_DROPS: bool = true;

/// What the seed chose.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) entries: u32,
    pub(crate) sqpoll: bool,
    pub(crate) defer_taskrun: Option<bool>,
    pub(crate) storm: bool,
    pub(crate) faults: bool,
    pub(crate) off_thread: bool,
    pub(crate) drop_in_flight: bool,
    /// Streams take direct descriptors (`Builder::direct_descriptors`), installed and
    /// removed by queued SQEs that faults, tiny rings and shutdowns hit too.
    pub(crate) direct: bool,
}

impl Plan {
    fn new(rng: &mut Rng) -> Plan {
        Plan {
            entries: [2, 2, 4, 8, 64, 256][rng.below(6) as usize],
            sqpoll: rng.chance(0.2) && SQPOLL_RUNS,
            defer_taskrun: [None, Some(false), Some(true)][rng.below(3) as usize],
            storm: rng.chance(0.3),
            faults: faults::AVAILABLE && rng.chance(0.5),
            off_thread: rng.chance(0.7)
                && OFF_THREAD_DROPS
                && std::env::var_os("TORTURE_NO_OFF_THREAD").is_none(),
            drop_in_flight: rng.chance(0.3),
            direct: rng.chance(0.35),
        }
    }
}

fn build(plan: &Plan, seed: u64) -> Runtime {
    let mut b = Runtime::builder().entries(plan.entries);
    if plan.sqpoll {
        if !SQPOLL_TINY_RINGS {
            b = b.entries(plan.entries.max(8));
        }
        b = b.sqpoll(10);
    } else if let Some(d) = plan.defer_taskrun {
        b = b.defer_taskrun(d);
    }
    if plan.faults {
        b = faults::configure(b, seed);
    }
    if plan.direct {
        b = b.direct_descriptors(64);
    }
    b.build()
        .unwrap_or_else(|e| panic!("building the runtime of {plan:?}: {e}"))
}

/// Runs seed `seed`; panics (with the seed in the message) when an invariant breaks.
pub(crate) fn run_seed(seed: u64, budget: Duration) {
    let _report = SeedReport(seed);
    let start_fds = open_fds();
    let mut rng = Rng::new(seed);
    let plan = Plan::new(&mut rng);
    let rt = build(&plan, seed);
    let arena = Arena::new(128);
    let dir = tempfile::tempdir().unwrap();
    let storm = plan
        .storm
        .then(|| SignalStorm::start(gettid(), Duration::from_micros(rng.range(20, 300))));
    let peers = Rc::new(RefCell::new(Vec::new()));
    let deadline = Instant::now() + budget;

    let result: Result<(), String> = rt.block_on(async {
        let mut jobs = Vec::new();
        let workers = rng.range(3, 8);
        for i in 0..workers {
            let wrng = rng.fork();
            let arena = arena.clone();
            let path = dir.path().join(format!("w{i}"));
            let peers = peers.clone();
            let plan_faults = plan.faults;
            let off_thread = plan.off_thread;
            let kind = rng.below(7);
            jobs.push(uring_rt::spawn(async move {
                worker(
                    kind,
                    wrng,
                    arena,
                    path,
                    &peers,
                    plan_faults,
                    off_thread,
                    deadline,
                )
                .await
            }));
        }
        if plan.drop_in_flight {
            // Reads nobody will answer, left in flight when the runtime is dropped.
            for _ in 0..rng.range(1, 4) {
                let (a, b) = UnixStream::pair().map_err(|e| format!("io error: pair: {e}"))?;
                let buf = arena.buf(512);
                uring_rt::spawn(async move {
                    let _keep = b;
                    match buf {
                        Some(buf) => drop(a.read(buf).await),
                        None => drop(a.read(vec![0u8; 512]).await),
                    }
                });
            }
        }
        for (i, job) in jobs.into_iter().enumerate() {
            // Each op of a worker is bounded by `guard`; the worker as a whole by this.
            timeout(WORKER_BOUND, job)
                .await
                .map_err(|_| format!("worker {i} did not finish within {WORKER_BOUND:?}"))?
                .map_err(|e| format!("worker {i} panicked: {e}"))??;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("seed {seed:#x} ({plan:?}): {e}");
    }

    let left = if plan.drop_in_flight { 0 } else { settle(&rt) };
    // An injected non-transient enter error faults the ring for good: it never submits again,
    // so ops dropped after that (their cancels unsent) wait for completions that never come,
    // and the runtime leaks their data and the ring on drop, by design (never frees memory
    // the kernel may hold). Then only the slab, fd and live-buffer counts are not checked.
    let ring_faulted = faults::record(&rt);
    assert!(
        left == 0 || ring_faulted,
        "seed {seed:#x} ({plan:?}): {left} ops still in the slab 3 s after every worker \
         finished"
    );
    let signals = storm.map(SignalStorm::stop).unwrap_or(0);
    Stats::add(&STATS.signals, signals);
    let started = Instant::now();
    drop(rt);
    let took = started.elapsed();
    assert!(
        took < DROP_BOUND,
        "seed {seed:#x} ({plan:?}): dropping the runtime took {took:?}"
    );
    for p in peers.borrow_mut().drain(..) {
        p.join().unwrap();
    }
    assert!(
        arena.live() == 0 || ring_faulted,
        "seed {seed:#x} ({plan:?}): {} canary buffers still held after the runtime was dropped",
        arena.live()
    );
    let checked = arena
        .check()
        .unwrap_or_else(|e| panic!("seed {seed:#x} ({plan:?}): {e}"));
    Stats::add(&STATS.canaries, checked as u64);
    drop(dir);
    let fds = open_fds();
    assert!(
        fds == start_fds || (ring_faulted && fds > start_fds),
        "seed {seed:#x} ({plan:?}): {start_fds} fds open before the run, {fds} after: {:?}",
        fd_targets()
    );
    Stats::add(&STATS.ring_faulted_runs, ring_faulted as u64);
    Stats::add(&STATS.seeds, 1);
    Stats::add(&STATS.sqpoll_runs, plan.sqpoll as u64);
    Stats::add(&STATS.tiny_ring_runs, (plan.entries <= 4) as u64);
    Stats::add(&STATS.storm_runs, plan.storm as u64);
    Stats::add(&STATS.fault_runs, plan.faults as u64);
    Stats::add(&STATS.drop_in_flight_runs, plan.drop_in_flight as u64);
    Stats::add(&STATS.direct_runs, plan.direct as u64);
}

/// Drives the runtime until its slab is empty (cancellations still completing), at most 3 s.
fn settle(rt: &Runtime) -> usize {
    let until = Instant::now() + Duration::from_secs(3);
    rt.block_on(async {
        while rt.in_flight_ops() > 0 && Instant::now() < until {
            uring_rt::time::sleep(Duration::from_millis(1)).await;
        }
    });
    rt.in_flight_ops()
}

#[allow(clippy::too_many_arguments)]
async fn worker(
    kind: u64,
    mut rng: Rng,
    arena: Arena,
    path: std::path::PathBuf,
    peers: &Rc<RefCell<Vec<std::thread::JoinHandle<()>>>>,
    faults: bool,
    off_thread: bool,
    deadline: Instant,
) -> Result<(), String> {
    let ops = if Instant::now() < deadline {
        rng.range(10, 200)
    } else {
        5
    };
    let (name, res) = match kind {
        0 => (
            "tcp stream from a peer thread",
            tcp_from_std_peer(rng, arena, peers, faults, off_thread).await,
        ),
        1 => (
            "unix stream pair",
            unix_pair(rng, arena, faults, off_thread).await,
        ),
        2 => ("file", workers::file_rw(path, rng, arena, ops).await),
        3 => (
            "fifo canary",
            workers::fifo_canary(path, rng, faults, arena, ops / 10 + 1).await,
        ),
        4 => (
            "resetting peer",
            workers::reset_peer(rng, faults, arena, peers).await,
        ),
        5 => ("timers", workers::timers(rng, ops / 4, off_thread).await),
        _ => ("nops", workers::nops(rng, ops).await),
    };
    match res {
        // An injected fault ends the worker; what it checked before stays checked.
        Err(e) if faults && e.starts_with("io error") => {
            Stats::add(&STATS.errors, 1);
            Ok(())
        }
        res => res.map_err(|e| format!("{name} worker: {e}")),
    }
}

/// A TCP connection (accepted or connected by the runtime) from a peer thread that sends
/// counters; the runtime reads them all, with cancellations.
async fn tcp_from_std_peer(
    mut rng: Rng,
    arena: Arena,
    peers: &Rc<RefCell<Vec<std::thread::JoinHandle<()>>>>,
    faults: bool,
    off_thread: bool,
) -> Result<(), String> {
    let base = rng.next_u64();
    let len = rng.range(0, 400_000);
    let stream = if rng.chance(0.5) {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("io error: bind: {e}"))?;
        let sock = std::net::TcpStream::connect(listener.local_addr().unwrap())
            .map_err(|e| format!("io error: connect: {e}"))?;
        peers
            .borrow_mut()
            .push(std_peer(sock, rng.fork(), base, len, false));
        guard(listener.accept())
            .await?
            .map_err(|e| format!("io error: accept: {e}"))?
            .0
    } else {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = guard(TcpStream::connect(addr))
            .await?
            .map_err(|e| format!("io error: connect: {e}"))?;
        let (sock, _) = listener
            .accept()
            .map_err(|e| format!("io error: accept: {e}"))?;
        peers
            .borrow_mut()
            .push(std_peer(sock, rng.fork(), base, len, false));
        stream
    };
    let (rd, _wr) = stream.into_split();
    let mut check = SeqCheck::new(base);
    let end = read_all(
        Arc::new(rd),
        rng.fork(),
        arena,
        &mut check,
        faults,
        !faults,
        off_thread,
    )
    .await?;
    if end == End::Eof && check.received != len {
        return Err(format!("EOF after {} of {len} bytes", check.received));
    }
    Ok(())
}

/// A Unix stream pair: a runtime task writes counters, another reads them.
async fn unix_pair(
    mut rng: Rng,
    arena: Arena,
    faults: bool,
    off_thread: bool,
) -> Result<(), String> {
    let (a, b) = UnixStream::pair().map_err(|e| format!("io error: pair: {e}"))?;
    let base = rng.next_u64();
    let len = rng.range(0, 400_000);
    let (_ard, awr) = a.into_split();
    let (brd, bwr) = b.into_split();
    let writer = uring_rt::spawn(write_all(awr, rng.fork(), base, len, faults));
    let mut check = SeqCheck::new(base);
    let end = read_all(
        Arc::new(brd),
        rng.fork(),
        arena,
        &mut check,
        faults,
        !faults,
        off_thread,
    )
    .await?;
    // Close the reading side (its read half went with `read_all`): a writer blocked on a full
    // socket after the reader stopped early (an injected error) then fails instead of waiting.
    drop(bwr);
    let wrote = guard(writer)
        .await?
        .map_err(|e| format!("writer task: {e}"))??;
    match end {
        End::Eof if !faults && check.received != wrote => Err(format!(
            "EOF after {} bytes; the writer wrote {wrote}",
            check.received
        )),
        _ => Ok(()),
    }
}

/// Prints the seed when the run panics, so the failure can be replayed.
struct SeedReport(u64);

impl Drop for SeedReport {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "torture: seed {:#x} failed; replay with TORTURE_SEED={:#x} cargo test -p tests \
                 --test torture -- --nocapture",
                self.0, self.0
            );
        }
    }
}
