//! Counters a server reports to `compare` over the measured window.
//!
//! A server started with `--metrics` blocks `SIGUSR1`, waits for it on a signalfd (one read
//! in flight on its ring, so it costs nothing until the signal comes) and, each time it
//! arrives, prints one line of its cumulative counters on stdout:
//!
//! ```text
//! {"metrics":{"enters":..,"sqes_submitted":..,...}}
//! ```
//!
//! `loadgen --signal-server` sends the signal when the measured window starts and when it
//! ends; `compare` takes the difference of the last two lines ([`window`]).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::os::fd::{FromRawFd, OwnedFd};

/// The signal that asks a server for a snapshot.
pub const SIGNAL: libc::c_int = libc::SIGUSR1;

/// Size of one `struct signalfd_siginfo`, what one read of the signalfd returns.
pub const SIGINFO_SIZE: usize = std::mem::size_of::<libc::signalfd_siginfo>();

/// Blocks [`SIGNAL`] for the calling thread (threads it creates later inherit the mask) and
/// returns a signalfd that becomes readable when the signal arrives. Call before starting
/// other threads, so no thread receives the signal with its default action (exit).
pub fn signal_fd() -> io::Result<OwnedFd> {
    // SAFETY: `set` is a local sigset_t initialised by sigemptyset before any other use;
    // pthread_sigmask and signalfd only read it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, SIGNAL);
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        let fd = libc::signalfd(-1, &set, libc::SFD_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

/// Prints one snapshot line of `counters` on stdout and flushes it.
pub fn print_snapshot(counters: &[(&str, u64)]) {
    let map: serde_json::Map<String, serde_json::Value> = counters
        .iter()
        .map(|&(k, v)| (k.to_string(), v.into()))
        .collect();
    let line = serde_json::json!({ "metrics": map });
    let mut out = io::stdout().lock();
    // Best effort: compare reports the metrics as missing if the line is lost.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The difference between the last two snapshot lines in a server's `stdout`, per counter:
/// the counts over the measured window. `None` if fewer than two snapshots were printed.
pub fn window(stdout: &str) -> Option<BTreeMap<String, u64>> {
    let snapshots: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["metrics"].is_object())
        .collect();
    let [.., start, end] = snapshots.as_slice() else {
        return None;
    };
    let start = start["metrics"].as_object()?;
    let end = end["metrics"].as_object()?;
    Some(
        end.iter()
            .filter_map(|(k, v)| {
                let before = start.get(k).and_then(|s| s.as_u64()).unwrap_or(0);
                Some((k.clone(), v.as_u64()?.saturating_sub(before)))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_the_difference_of_the_last_two_snapshots() {
        let out = "noise\n{\"metrics\":{\"enters\":5,\"sqes_submitted\":7}}\n\
                   {\"metrics\":{\"enters\":10,\"sqes_submitted\":20}}\n\
                   {\"metrics\":{\"enters\":25,\"sqes_submitted\":50}}\n";
        let w = window(out).unwrap();
        assert_eq!(w["enters"], 15);
        assert_eq!(w["sqes_submitted"], 30);
        assert!(window("{\"metrics\":{\"enters\":1}}\n").is_none());
    }
}
