//! [`ctrl_c`]: the `SIGINT` handler, its eventfd slots, and the future that waits on one.
//!
//! # Invariants
//!
//! - `FDS[i]` is -1 or an eventfd that stays open for the rest of the process; it is set
//!   once (by the holder of `BUSY[i]`) and never changed after.
//! - The handler writes `FDS[i]` only while `BUSY[i]` is set; a future owns `BUSY[i]` from
//!   its creation to its drop.

use std::future::Future;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::OnceLock;

use crate::fs::File;

/// How many `ctrl_c` futures may wait at once in the process.
const SLOTS: usize = 128;

static FDS: [AtomicI32; SLOTS] = [const { AtomicI32::new(-1) }; SLOTS];
static BUSY: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
/// The result of installing the handler (an errno on failure), decided once.
static INSTALLED: OnceLock<Result<(), i32>> = OnceLock::new();

extern "C" fn on_sigint(_: libc::c_int) {
    // SAFETY: `__errno_location` returns this thread's errno; saving and restoring it keeps
    // the interrupted code's errno intact, as a signal handler must.
    let saved = unsafe { *libc::__errno_location() };
    let one: u64 = 1;
    for i in 0..SLOTS {
        let fd = FDS[i].load(Ordering::Acquire);
        if fd >= 0 && BUSY[i].load(Ordering::Acquire) {
            // SAFETY: `fd` is an eventfd that is never closed (module invariants); `one` is
            // 8 readable bytes. write(2) is async-signal-safe.
            unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
        }
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}

fn install() -> io::Result<()> {
    let res = INSTALLED.get_or_init(|| {
        // SAFETY: a zeroed `sigaction` is a valid empty one; the handler is an `extern "C"`
        // fn that only does async-signal-safe work; the pointers are to live locals.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigint as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EINVAL));
            }
        }
        Ok(())
    });
    res.map_err(io::Error::from_raw_os_error)
}

/// A claimed slot, released on drop.
struct Slot(usize);

impl Drop for Slot {
    fn drop(&mut self) {
        BUSY[self.0].store(false, Ordering::Release);
    }
}

/// Claims a free slot, makes its eventfd if needed, empties it, and returns a handle to read
/// it through the ring (a duplicate fd, closed when the reader is done).
fn claim() -> io::Result<(Slot, File)> {
    let i = (0..SLOTS)
        .find(|&i| {
            BUSY[i]
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        })
        .ok_or_else(|| {
            io::Error::other(format!(
                "uring_rt::signal::ctrl_c: more than {SLOTS} futures wait at once"
            ))
        })?;
    let slot = Slot(i);
    let mut fd = FDS[i].load(Ordering::Acquire);
    if fd < 0 {
        // SAFETY: plain syscall; the result is checked.
        fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        FDS[i].store(fd, Ordering::Release);
    }
    // Forget signals that arrived while the slot was not ours (written before release).
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let mut sink = 0u64;
    // SAFETY: `pfd` is a live local; `fd` stays open (module invariants).
    while unsafe { libc::poll(&mut pfd, 1, 0) } == 1 {
        // SAFETY: `sink` is 8 writable bytes; `fd` stays open.
        if unsafe { libc::read(fd, (&mut sink as *mut u64).cast(), 8) } != 8 {
            break;
        }
    }
    // SAFETY: `fd` is open for the rest of the process (module invariants).
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `dup` is a fresh fd that nothing else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(dup) };
    Ok((slot, File::from_std(std::fs::File::from(owned))))
}

/// Completes when the process receives `SIGINT` (Ctrl-C in a terminal, `kill -INT`), sent to
/// the process or to any of its threads that does not block it.
///
/// Every `ctrl_c` future waiting when the signal arrives completes, on every runtime and
/// thread; a future counts the signals that arrive after `ctrl_c()` returned (one arriving
/// while it runs may or may not count). Each future completes once; call `ctrl_c()` again
/// for the next signal.
///
/// **The default action of `SIGINT` is replaced for the rest of the process** by the first
/// call: from then on Ctrl-C no longer kills the process, even when no future waits; it is
/// never restored behind your back. Exit yourself when the future completes. A `SIGINT`
/// handler installed by other code before is replaced too.
///
/// At most 128 futures may wait at once in the process.
///
/// # Errors
///
/// When the handler cannot be installed or an eventfd made (`EMFILE`, ...), or 128 futures
/// already wait (`ErrorKind::Other`); `Other` when awaited outside a runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// uring_rt::start(async {
///     let ctrl_c = uring_rt::signal::ctrl_c();
///     // Another thread, that does not block SIGINT, gets it.
///     std::thread::spawn(|| unsafe { libc::kill(libc::getpid(), libc::SIGINT) });
///     uring_rt::time::timeout(Duration::from_secs(10), ctrl_c)
///         .await
///         .expect("SIGINT seen")
///         .unwrap();
/// });
/// ```
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> + 'static {
    let claimed = install().and_then(|()| claim());
    async move {
        let (_slot, file) = claimed?;
        let (res, _) = file.read_at(Vec::<u8>::with_capacity(8), 0).await;
        res.map(drop)
    }
}
