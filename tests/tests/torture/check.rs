//! Invariants and counters shared by the torture runs: open fds, the signal storm, the
//! summary counters.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Open file descriptors of this process (`/proc/self/fd`, minus the directory's own fd).
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count() - 1
}

/// What each open fd points to (for the message when fds leak).
pub(crate) fn fd_targets() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            Some(format!(
                "{} -> {}",
                e.file_name().to_string_lossy(),
                target.display()
            ))
        })
        .collect();
    v.sort();
    v
}

/// Counters summed over every seed.
#[derive(Debug)]
pub(crate) struct Stats {
    pub(crate) seeds: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) cancelled: AtomicU64,
    pub(crate) off_thread_drops: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) bytes_checked: AtomicU64,
    pub(crate) signals: AtomicU64,
    pub(crate) canaries: AtomicU64,
    pub(crate) faults: AtomicU64,
    pub(crate) sqpoll_runs: AtomicU64,
    pub(crate) tiny_ring_runs: AtomicU64,
    pub(crate) storm_runs: AtomicU64,
    pub(crate) fault_runs: AtomicU64,
    pub(crate) drop_in_flight_runs: AtomicU64,
    pub(crate) ring_faulted_runs: AtomicU64,
    pub(crate) direct_runs: AtomicU64,
}

/// The process's counters (workers on any thread add to them).
pub(crate) static STATS: Stats = Stats {
    seeds: AtomicU64::new(0),
    completed: AtomicU64::new(0),
    cancelled: AtomicU64::new(0),
    off_thread_drops: AtomicU64::new(0),
    errors: AtomicU64::new(0),
    bytes_checked: AtomicU64::new(0),
    signals: AtomicU64::new(0),
    canaries: AtomicU64::new(0),
    faults: AtomicU64::new(0),
    sqpoll_runs: AtomicU64::new(0),
    tiny_ring_runs: AtomicU64::new(0),
    storm_runs: AtomicU64::new(0),
    fault_runs: AtomicU64::new(0),
    drop_in_flight_runs: AtomicU64::new(0),
    ring_faulted_runs: AtomicU64::new(0),
    direct_runs: AtomicU64::new(0),
};

impl Stats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn summary(&self) -> String {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "torture summary: seeds run {}, ops completed {}, cancelled {} ({} dropped off the \
             runtime's thread), errors returned {}, stream bytes checked {}, canaries checked \
             {}, signals sent {}, faults injected {}; runs with SQPOLL {}, a ring of 2-4 \
             entries {}, a signal storm {}, faults {}, a runtime dropped with ops in flight {}, a ring faulted for good by an injected enter \
             error {}, direct descriptors {}",
            g(&self.seeds),
            g(&self.completed),
            g(&self.cancelled),
            g(&self.off_thread_drops),
            g(&self.errors),
            g(&self.bytes_checked),
            g(&self.canaries),
            g(&self.signals),
            g(&self.faults),
            g(&self.sqpoll_runs),
            g(&self.tiny_ring_runs),
            g(&self.storm_runs),
            g(&self.fault_runs),
            g(&self.drop_in_flight_runs),
            g(&self.ring_faulted_runs),
            g(&self.direct_runs),
        )
    }
}

/// The current thread's kernel id (for `tgkill`).
pub(crate) fn gettid() -> libc::pid_t {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

extern "C" fn on_sigusr1(_: libc::c_int) {}

/// Installs a no-op SIGUSR1 handler without `SA_RESTART`, so blocking system calls of the
/// target thread (`io_uring_enter` included) return `EINTR`.
fn install_handler() {
    // SAFETY: a zeroed sigaction is valid (empty mask, no flags); the handler is async-signal
    // safe (does nothing).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigusr1 as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        sa.sa_flags = 0;
        assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
    }
}

/// A thread that sends SIGUSR1 to one thread in a loop until dropped.
#[derive(Debug)]
pub(crate) struct SignalStorm {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<u64>>,
}

impl SignalStorm {
    pub(crate) fn start(target: libc::pid_t, pause: Duration) -> SignalStorm {
        install_handler();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            // SAFETY: getpid has no preconditions.
            let pid = unsafe { libc::getpid() };
            let mut sent = 0;
            while !flag.load(Ordering::Relaxed) {
                // SAFETY: tgkill with a valid signal number; the target thread has the
                // handler installed above (process-wide).
                let rc = unsafe { libc::syscall(libc::SYS_tgkill, pid, target, libc::SIGUSR1) };
                if rc != 0 {
                    break; // the target thread exited
                }
                sent += 1;
                std::thread::sleep(pause);
            }
            sent
        });
        SignalStorm {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the storm; returns the number of signals sent.
    pub(crate) fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for SignalStorm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
