//! `--perf`: where each server's CPU per request goes.
//!
//! During the measured window of a run, `perf record -e cpu-clock` samples the server process
//! (software clock: hardware counters are not available on these VMs). Each sampled symbol is
//! put in one of [`CATEGORIES`] by its name, and a category's share of the samples times the
//! run's CPU per request (from `loadgen`, exact) gives nanoseconds per request. The names are
//! the kernel's own and change between versions, so the split is a guide, not a ledger: what
//! matters is that every server is classified by the same rules in the same run.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

/// The categories, in the order of the printed table.
pub(super) const CATEGORIES: [&str; 7] = [
    "tcp/ip+", "io_uring", "syscall", "epoll", "fd", "sched", "user",
];

/// Sampling frequency: enough samples in a 1 s window for a stable share, little overhead.
const FREQ: &str = "2999";

/// Kernel symbol prefixes of each category but the first (everything else in the kernel:
/// the TCP/IP stack, loopback, memory and the rest) and the last (user space).
const RULES: [(usize, &[&str]); 5] = [
    (
        1,
        &["io_", "__io_", "__x64_sys_io_uring", "__do_sys_io_uring"],
    ),
    (
        2,
        &[
            "do_syscall_64",
            "entry_SYSCALL",
            "syscall_",
            "__x64_sys_",
            "__sys_",
            "x64_sys_call",
            "exit_to_user_mode",
            "arch_exit_to_user_mode",
        ],
    ),
    (
        3,
        &[
            "ep_",
            "__ep_",
            "do_epoll_",
            "sock_poll",
            "tcp_poll",
            "epoll_",
        ],
    ),
    (
        4,
        &[
            "fdget",
            "fdput",
            "fput",
            "__fget",
            "fget",
            "__fput",
            "sockfd_lookup",
        ],
    ),
    (
        5,
        &[
            "__schedule",
            "schedule",
            "finish_task_switch",
            "try_to_wake_up",
            "ttwu_",
            "enqueue_task",
            "enqueue_entity",
            "dequeue_task",
            "dequeue_entity",
            "pick_next_",
            "update_curr",
            "__wake_up",
            "select_task_rq",
            "psi_",
        ],
    ),
];

/// Fails with a clear message unless `perf` can sample here: a short `perf record` of
/// `true`, so a missing binary or a refused `perf_event_open` (a container, a high
/// `kernel.perf_event_paranoid`) is said before the runs start, in perf's own words.
pub(super) fn check_perf() -> io::Result<()> {
    let out = std::env::temp_dir().join(format!("compare-perf-check-{}.data", std::process::id()));
    let trial = Command::new("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-o"])
        .arg(&out)
        .args(["--", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output();
    let _ = std::fs::remove_file(&out);
    let trial = match trial {
        Ok(trial) => trial,
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("--perf needs `perf` on PATH (Debian: apt-get install linux-perf): {e}"),
            ))
        }
    };
    if trial.status.success() {
        return Ok(());
    }
    let why = perf_says(&String::from_utf8_lossy(&trial.stderr));
    Err(io::Error::other(format!(
        "--perf: `perf record -e cpu-clock` fails here ({}): {why} (as root, or with \
         kernel.perf_event_paranoid <= 1, it can sample)",
        trial.status
    )))
}

/// What perf printed when it failed, on one line: its refusals start with a bare "Error:"
/// line, so the first three non-empty lines, joined.
fn perf_says(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect();
    if lines.is_empty() {
        "no message".to_owned()
    } else {
        lines.join(" ")
    }
}

/// A recording of one server over the measured window, taken on a thread so the load
/// generator runs meanwhile.
pub(super) struct Recording {
    thread: JoinHandle<io::Result<()>>,
    file: PathBuf,
}

impl Recording {
    /// Samples process `pid` over the middle 90% of the measured window that `loadgen`
    /// opens `warmup` seconds after it starts and keeps for `duration` seconds: the margins
    /// keep loadgen's connection set-up (before its warm-up) and the server's teardown of the
    /// connections (after the window) out of the recording.
    pub(super) fn start(pid: u32, warmup: f64, duration: f64) -> Self {
        let (delay, length) = (warmup + duration * 0.05, duration * 0.9);
        let file =
            std::env::temp_dir().join(format!("compare-perf-{}-{pid}.data", std::process::id()));
        let out = file.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs_f64(delay));
            let status = Command::new("perf")
                .args(["record", "-q", "-e", "cpu-clock", "-F", FREQ, "-o"])
                .arg(&out)
                .arg("-p")
                .arg(pid.to_string())
                .args(["--", "sleep"])
                .arg(length.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()?;
            if status.success() {
                Ok(())
            } else {
                Err(io::Error::other(format!("perf record: {status}")))
            }
        });
        Self { thread, file }
    }

    /// Waits for the recording and returns each category's share of the samples.
    pub(super) fn finish(self) -> io::Result<[f64; CATEGORIES.len()]> {
        let recorded = self
            .thread
            .join()
            .map_err(|_| io::Error::other("perf thread panicked"))?;
        let shares = recorded.and_then(|()| shares(&self.file));
        let _ = std::fs::remove_file(&self.file);
        shares
    }
}

/// Reads a recording with `perf report` and sums the samples per category.
fn shares(file: &Path) -> io::Result<[f64; CATEGORIES.len()]> {
    let out = Command::new("perf")
        .args(["report", "--no-children", "--sort", "sym", "--stdio", "-i"])
        .arg(file)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!("perf report: {}", out.status)));
    }
    let mut sums = [0.0; CATEGORIES.len()];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((percent, category)) = classify_line(line) {
            sums[category] += percent;
        }
    }
    let total: f64 = sums.iter().sum();
    if total <= 0.0 {
        return Err(io::Error::other("perf recorded no samples of the server"));
    }
    Ok(sums.map(|s| s / total))
}

/// `"  6.55%  [k] tcp_ack"` -> (6.55, category of `tcp_ack`); `None` for other lines.
fn classify_line(line: &str) -> Option<(f64, usize)> {
    let mut words = line.split_whitespace();
    let percent: f64 = words.next()?.strip_suffix('%')?.parse().ok()?;
    let space = words.next()?;
    let symbol = words.next().unwrap_or("");
    let category = match space {
        "[k]" => RULES
            .iter()
            .find(|(_, prefixes)| prefixes.iter().any(|p| symbol.starts_with(p)))
            .map_or(0, |&(c, _)| c),
        _ => CATEGORIES.len() - 1,
    };
    Some((percent, category))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_perf_refusal_is_told_on_one_line_in_perf_s_words() {
        let stderr = "Error:\nAccess to performance monitoring and observability operations \
                      is limited.\n\nConsider adjusting /proc/sys/kernel/perf_event_paranoid\n\
                      More lines\n";
        assert_eq!(
            super::perf_says(stderr),
            "Error: Access to performance monitoring and observability operations is limited. \
             Consider adjusting /proc/sys/kernel/perf_event_paranoid"
        );
        assert_eq!(super::perf_says("\n  \n"), "no message");
    }

    use super::*;

    #[test]
    fn lines_fall_in_their_categories() {
        assert_eq!(classify_line("     6.55%  [k] tcp_ack"), Some((6.55, 0)));
        assert_eq!(classify_line("  1.20%  [k] io_issue_sqe"), Some((1.2, 1)));
        assert_eq!(classify_line("  2.79%  [k] do_syscall_64"), Some((2.79, 2)));
        assert_eq!(classify_line("  0.56%  [k] sock_poll"), Some((0.56, 3)));
        assert_eq!(classify_line("  1.28%  [k] fdget"), Some((1.28, 4)));
        // Loopback receive, not the scheduler's run queues.
        assert_eq!(
            classify_line("  0.30%  [k] enqueue_to_backlog"),
            Some((0.3, 0))
        );
        assert_eq!(
            classify_line("  0.30%  [k] enqueue_task_fair"),
            Some((0.3, 5))
        );
        assert_eq!(
            classify_line("  0.94%  [k] finish_task_switch.isra.0"),
            Some((0.94, 5))
        );
        assert_eq!(
            classify_line("  0.93%  [.] tokio::runtime::task::raw::poll"),
            Some((0.93, 6))
        );
        assert_eq!(classify_line("# Samples: 12K of event 'cpu-clock'"), None);
        assert_eq!(classify_line(""), None);
    }
}
