//! Threads that run the emulated ops which would block (file and path operations), as the
//! kernel's io-wq workers do for io_uring. A finished op's result is posted to `done` and the
//! ring's thread is notified; the op's data stays in its future or its driver slot until the
//! ring reaps that result, exactly as with a kernel completion. The io_uring driver uses the
//! same pool for the ops its kernel lacks an opcode for (`driver::fallback`).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::perform;
use super::sqe::Sqe;

/// Most threads one ring's pool runs at once.
const MAX_THREADS: usize = 8;
/// An idle thread exits after this long.
const IDLE: Duration = Duration::from_secs(10);

/// A finished job: `(user_data, result)`.
pub(crate) type Done = (u64, i32);

struct Job {
    sqe: Sqe,
    fd: i32,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    cond: Condvar,
    done: Mutex<Vec<Done>>,
    notify: Box<dyn Fn() + Send + Sync>,
}

/// One ring's blocking pool.
pub(crate) struct Pool {
    shared: Arc<Shared>,
    /// Joined on drop, so the pool's references (its notify eventfd) are gone with the ring.
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool that calls `notify` after posting each result (to wake the ring's thread).
    pub(crate) fn new(notify: Box<dyn Fn() + Send + Sync>) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue::default()),
                cond: Condvar::new(),
                done: Mutex::new(Vec::new()),
                notify,
            }),
            threads: Mutex::new(Vec::new()),
        }
    }

    /// Runs `sqe` (on descriptor `fd`) on a pool thread.
    ///
    /// # Safety
    /// The pointers in `sqe` stay valid until its result is taken from [`Pool::take_done`].
    pub(crate) unsafe fn submit(&self, sqe: Sqe, fd: i32) {
        let mut q = lock(&self.shared.queue);
        q.jobs.push_back(Job { sqe, fd });
        if q.idle > 0 {
            self.shared.cond.notify_one();
            return;
        }
        if q.threads < MAX_THREADS {
            let shared = self.shared.clone();
            let spawned = std::thread::Builder::new()
                .name("uring-rt-epoll-io".into())
                .spawn(move || work(&shared));
            if let Ok(handle) = spawned {
                q.threads += 1;
                let mut threads = lock(&self.threads);
                threads.retain(|t| !t.is_finished());
                threads.push(handle);
                return;
            }
        }
        if q.threads == 0 {
            // No thread could be started: run the job here rather than never.
            let job = q.jobs.pop_back();
            drop(q);
            if let Some(job) = job {
                // SAFETY: the caller's contract.
                let res = unsafe { perform::blocking(&job.sqe, job.fd) };
                lock(&self.shared.done).push((job.sqe.user_data, res));
                (self.shared.notify)();
            }
        }
    }

    /// Appends the results posted since the last call to `out`.
    pub(crate) fn take_done(&self, out: &mut Vec<Done>) {
        out.append(&mut lock(&self.shared.done));
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // The ring waited for every result first, so the threads are idle (or about to be):
        // they see `closed` and exit.
        lock(&self.shared.queue).closed = true;
        self.shared.cond.notify_all();
        for t in std::mem::take(&mut *lock(&self.threads)) {
            let _ = t.join();
        }
    }
}

/// A poisoned lock only means another pool thread panicked; the data is plain.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn work(shared: &Shared) {
    let mut q = lock(&shared.queue);
    loop {
        if let Some(job) = q.jobs.pop_front() {
            drop(q);
            // SAFETY: `Pool::submit`'s contract keeps the SQE's pointers valid until the
            // result is reaped, which happens after we post it below.
            let res = unsafe { perform::blocking(&job.sqe, job.fd) };
            lock(&shared.done).push((job.sqe.user_data, res));
            (shared.notify)();
            q = lock(&shared.queue);
            continue;
        }
        if q.closed {
            break;
        }
        q.idle += 1;
        let (guard, timeout) = shared
            .cond
            .wait_timeout(q, IDLE)
            .unwrap_or_else(|e| e.into_inner());
        q = guard;
        q.idle -= 1;
        if timeout.timed_out() && q.jobs.is_empty() {
            break;
        }
    }
    q.threads -= 1;
}
