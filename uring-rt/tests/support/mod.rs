//! Helpers shared by integration test files (`mod support;`); each file uses what it needs.
#![allow(dead_code)]

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use uring_rt::Runtime;

/// Runs `f` on its own thread and fails the test if it does not finish in 20 s: a task that
/// never yields, or a timer that never fires, would otherwise hang the runtime forever.
pub(crate) fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the runtime hung: a starved task or timer never ran")
}

/// Timers registered in `rt` (its `Debug` output carries the count).
pub(crate) fn timers(rt: &Runtime) -> usize {
    let dbg = format!("{rt:?}");
    let at = dbg
        .find("timers: ")
        .expect("Runtime's Debug shows its timers")
        + 8;
    let digits: String = dbg[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// How many of this process's fds are open on `path` (which must be canonical), from
/// `/proc/self/fd`.
pub(crate) fn fds_on(path: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target == path)
        .count()
}
