//! Ctrl-C: a `SIGINT` handler that only sets a flag; the copy checks it between operations
//! and a watcher task turns it into the job's error, so ucp stops and cleans up as on any
//! other error.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Async-signal-safe: one atomic store.
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Installs the handler for `SIGINT` (replacing the default, which would kill the process
/// and leave temporary files behind).
pub(crate) fn install() -> io::Result<()> {
    // SAFETY: an all-zero `sigaction` is a valid value (empty mask, no flags) filled in
    // below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `action` is initialized, its handler only stores to an atomic (async-signal
    // safe), and a null old-action pointer is allowed.
    if unsafe { libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether Ctrl-C was pressed.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}
