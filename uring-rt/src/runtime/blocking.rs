//! The blocking thread pool behind `spawn_blocking`: threads are started on demand up to a
//! bound, and exit after idling. Its queue is bounded too: a job that cannot be queued, or
//! that no thread could ever run (none could be started), is refused: it is called with the
//! error instead of being run, so its caller always hears back.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Most threads the pool runs at once; further jobs wait in its queue.
pub const MAX_BLOCKING_THREADS: usize = 512;
/// Most jobs waiting in the pool's queue; `spawn_blocking` beyond it fails its handle.
pub const MAX_BLOCKING_QUEUE: usize = 65_536;
/// An idle pool thread exits after this long without work.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// A job: called with `Ok(())` on a pool thread to run, or with the error that refused it.
type Job = Box<dyn FnOnce(io::Result<()>) + Send + 'static>;

struct Pool {
    state: Mutex<State>,
    available: Condvar,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    threads: usize,
    /// Threads waiting for work.
    idle: usize,
    /// Wake-ups sent to idle threads and not yet consumed.
    notified: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State::default()),
        available: Condvar::new(),
    })
}

/// Runs `job` on a pool thread, or refuses it (calls it with the error, on this thread) when
/// the queue is full or no thread could be started to run it.
pub(crate) fn execute(job: Job) {
    let pool = pool();
    let mut state = pool.state.lock().unwrap_or_else(|e| e.into_inner());
    if state.queue.len() >= MAX_BLOCKING_QUEUE {
        drop(state);
        job(Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "the blocking pool's queue is full ({MAX_BLOCKING_QUEUE} jobs wait for \
                 {MAX_BLOCKING_THREADS} threads)"
            ),
        )));
        return;
    }
    state.queue.push_back(job);
    if state.idle > state.notified {
        state.notified += 1;
        pool.available.notify_one();
        return;
    }
    if state.threads < MAX_BLOCKING_THREADS {
        let spawned = std::thread::Builder::new()
            .name("uring-rt-blocking".into())
            .spawn(worker);
        match spawned {
            Ok(_) => state.threads += 1,
            // Threads exist: the job waits for one of them.
            Err(_) if state.threads > 0 => {}
            // No thread at all, and none can be started: nobody would ever run the job.
            Err(e) => {
                let job = state.queue.pop_back().expect("pushed above");
                drop(state);
                job(Err(io::Error::new(
                    e.kind(),
                    format!("cannot start a blocking-pool thread: {e}"),
                )));
            }
        }
    }
}

fn worker() {
    let pool = pool();
    let mut state = pool.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            job(Ok(()));
            state = pool.state.lock().unwrap_or_else(|e| e.into_inner());
            continue;
        }
        state.idle += 1;
        let (next, timeout) = pool
            .available
            .wait_timeout(state, IDLE_TIMEOUT)
            .unwrap_or_else(|e| e.into_inner());
        state = next;
        state.idle -= 1;
        state.notified = state.notified.saturating_sub(1);
        if timeout.timed_out() && state.queue.is_empty() {
            state.threads -= 1;
            return;
        }
    }
}

/// Counts a runtime's blocking closures that were handed to the pool and have not finished
/// (run, skipped or refused), so that shutting the runtime down can wait for them, as tokio's
/// does.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    pending: Mutex<usize>,
    finished: Condvar,
    /// Set when the runtime shuts down: no new closure is counted, queued ones are not run.
    closed: AtomicBool,
}

impl Tracker {
    /// Counts one more closure until the returned guard drops; `None` once closed.
    pub(crate) fn start(self: &Arc<Self>) -> Option<TrackerGuard> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        *pending += 1;
        Some(TrackerGuard(self.clone()))
    }

    /// Refuses closures from now on (the runtime is shutting down).
    pub(crate) fn close(&self) {
        let _pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        self.closed.store(true, Ordering::Release);
    }

    /// Whether the runtime has shut down.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Waits until no counted closure is left, or `timeout` passed (`None`: no limit).
    /// Returns whether none is left.
    pub(crate) fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        while *pending > 0 {
            match (timeout, deadline) {
                (None, _) | (Some(_), None) => {
                    pending = self
                        .finished
                        .wait(pending)
                        .unwrap_or_else(|e| e.into_inner());
                }
                (Some(_), Some(deadline)) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    pending = self
                        .finished
                        .wait_timeout(pending, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        true
    }
}

/// One counted closure of a [`Tracker`]; uncounts it on drop.
#[derive(Debug)]
pub(crate) struct TrackerGuard(Arc<Tracker>);

impl Drop for TrackerGuard {
    fn drop(&mut self) {
        let mut pending = self.0.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending -= 1;
        if *pending == 0 {
            self.0.finished.notify_all();
        }
    }
}
