//! The blocking thread pool behind `spawn_blocking`: threads are started on demand up to a
//! bound, and exit after idling.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

/// Most threads the pool runs at once; further jobs wait in its queue.
pub const MAX_BLOCKING_THREADS: usize = 512;
/// An idle pool thread exits after this long without work.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send + 'static>;

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

/// Runs `job` on a pool thread.
pub(crate) fn execute(job: Job) {
    let pool = pool();
    let mut state = pool.state.lock().unwrap_or_else(|e| e.into_inner());
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
        if spawned.is_ok() {
            state.threads += 1;
        }
        // If no thread could be started the job waits for an existing one; with none at all
        // it is run by the next successful spawn.
    }
}

fn worker() {
    let pool = pool();
    let mut state = pool.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            job();
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
