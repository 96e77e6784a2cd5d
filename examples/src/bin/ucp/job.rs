//! The copy's options and shared state: the first error (which stops everything), the
//! temporary files to remove on failure, counters, the progress bar, the buffer pool and the
//! bound on files in flight.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::bufs::BufPool;
use crate::interrupt;

/// What the command line asked for.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) recursive: bool,
    pub(crate) force: bool,
    pub(crate) preserve: bool,
    pub(crate) direct: bool,
    pub(crate) qd: usize,
    pub(crate) bs: usize,
    pub(crate) verify: bool,
    pub(crate) progress: bool,
    /// Copy large buffered files in the kernel (`copy_file_range`); off with
    /// `--no-kernel-copy`.
    pub(crate) kernel_copy: bool,
}

/// Why a step stopped: an error on a path, or another step's error (already recorded).
#[derive(Debug)]
pub(crate) enum Error {
    /// `path: cause`.
    At(PathBuf, io::Error),
    /// The job stopped because of an earlier error or Ctrl-C.
    Stopped,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::At(path, e) => write!(f, "{}: {e}", path.display()),
            Error::Stopped => f.write_str("stopped"),
        }
    }
}

/// `io::Result` to a step's result, naming the path.
pub(crate) trait At<T> {
    fn at(self, path: &Path) -> Result<T, Error>;
}

impl<T> At<T> for io::Result<T> {
    fn at(self, path: &Path) -> Result<T, Error> {
        self.map_err(|e| Error::At(path.to_path_buf(), e))
    }
}

/// An `io::Error` of `kind` with `message`.
pub(crate) fn error(kind: io::ErrorKind, message: &str) -> io::Error {
    io::Error::new(kind, message.to_owned())
}

/// A regular file that was copied, for `--verify`.
#[derive(Debug)]
pub(crate) struct Copied {
    pub(crate) src: PathBuf,
    pub(crate) dst: PathBuf,
    pub(crate) len: u64,
}

/// Files (regular and symlinks) in flight at most, beyond the `--qd` reads and writes: opens,
/// stats, closes and renames of small files overlap with the data of others.
const FILES_IN_FLIGHT: usize = 256;

/// The state every task of the copy shares (on the one runtime thread).
pub(crate) struct Job {
    pub(crate) options: Options,
    pub(crate) bufs: BufPool,
    /// The process's umask, to know whether a created file's mode needs a `fchmod`.
    pub(crate) umask: u32,
    first_error: RefCell<Option<String>>,
    temps: RefCell<HashSet<PathBuf>>,
    next_temp: Cell<u64>,
    files: Cell<u64>,
    bytes: Cell<u64>,
    pub(crate) copied: RefCell<Vec<Copied>>,
    progress: Option<ProgressBar>,
    /// A bounded channel used as a semaphore: a task holds a slot while it runs.
    slots: (async_channel::Sender<()>, async_channel::Receiver<()>),
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("options", &self.options)
            .finish()
    }
}

impl Job {
    /// A job for `options`; call inside the runtime (the buffer pool registers with it).
    pub(crate) fn new(options: Options) -> Job {
        let progress = options.progress.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {binary_bytes}/{binary_total_bytes} \
                     {binary_bytes_per_sec} {msg}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Job {
            bufs: BufPool::new(options.qd, options.bs),
            umask: current_umask(),
            options,
            first_error: RefCell::new(None),
            temps: RefCell::new(HashSet::new()),
            next_temp: Cell::new(0),
            files: Cell::new(0),
            bytes: Cell::new(0),
            copied: RefCell::new(Vec::new()),
            progress,
            slots: async_channel::bounded(FILES_IN_FLIGHT),
        }
    }

    /// `Err(Stopped)` once any step failed or Ctrl-C was pressed.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if interrupt::interrupted() {
            self.record(&Error::At(
                PathBuf::from("interrupted"),
                error(io::ErrorKind::Interrupted, "Ctrl-C; stopped and cleaned up"),
            ));
        }
        if self.first_error.borrow().is_some() {
            Err(Error::Stopped)
        } else {
            Ok(())
        }
    }

    /// Records `e` as the job's error if it is the first.
    pub(crate) fn record(&self, e: &Error) {
        if let Error::At(..) = e {
            let mut first = self.first_error.borrow_mut();
            if first.is_none() {
                *first = Some(e.to_string());
            }
        }
    }

    /// Waits for a file slot (at most `FILES_IN_FLIGHT` files at once).
    pub(crate) async fn acquire_slot(&self) {
        // The receiver lives in `self`, so the channel is never closed.
        let _ = self.slots.0.send(()).await;
    }

    /// Gives a file slot back.
    pub(crate) fn release_slot(&self) {
        let _ = self.slots.1.try_recv();
    }

    /// Waits until every file task has given its slot back.
    pub(crate) async fn wait_all(&self) {
        for _ in 0..FILES_IN_FLIGHT {
            self.acquire_slot().await;
        }
        for _ in 0..FILES_IN_FLIGHT {
            self.release_slot();
        }
    }

    /// A fresh temporary name next to `dst` (same directory, so the rename is atomic),
    /// registered for removal if the job fails.
    pub(crate) fn temp_for(&self, dst: &Path) -> PathBuf {
        let n = self.next_temp.get();
        self.next_temp.set(n + 1);
        let name = dst.file_name().map_or(&[][..], |n| n.as_bytes());
        // Stay well under NAME_MAX (255) whatever the original name's length.
        let name = &name[..name.len().min(200)];
        let mut temp = b".".to_vec();
        temp.extend_from_slice(name);
        temp.extend_from_slice(format!(".ucp-{}-{n}", std::process::id()).as_bytes());
        let path = dst.with_file_name(OsString::from_vec(temp));
        self.temps.borrow_mut().insert(path.clone());
        path
    }

    /// `temp` was renamed into place (or removed): no longer ours to clean up.
    pub(crate) fn forget_temp(&self, temp: &Path) {
        self.temps.borrow_mut().remove(temp);
    }

    /// Adds `len` bytes still to copy to the progress bar's total.
    pub(crate) fn expect_bytes(&self, len: u64) {
        if let Some(bar) = &self.progress {
            bar.inc_length(len);
        }
    }

    /// Counts `len` bytes copied.
    pub(crate) fn add_bytes(&self, len: u64) {
        self.bytes.set(self.bytes.get() + len);
        if let Some(bar) = &self.progress {
            bar.inc(len);
        }
    }

    /// Counts one file (or symlink) completed.
    pub(crate) fn add_file(&self) {
        self.files.set(self.files.get() + 1);
        if let Some(bar) = &self.progress {
            bar.set_message(format!("{} files", self.files.get()));
        }
    }

    /// Ends the job: waits for every task, removes temporary files after a failure, and
    /// returns `(files, bytes)` or the one-line error.
    pub(crate) async fn finish(&self, result: Result<(), Error>) -> Result<(u64, u64), String> {
        if let Err(e) = &result {
            self.record(e);
        }
        self.wait_all().await;
        // Ctrl-C during the last step still counts.
        let _ = self.check();
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
        let first = self.first_error.borrow_mut().take();
        match first {
            None => Ok((self.files.get(), self.bytes.get())),
            Some(message) => {
                let temps: Vec<PathBuf> = self.temps.borrow_mut().drain().collect();
                for temp in temps {
                    // A temporary that was never created is already gone.
                    let _ = uring_rt::fs::remove_file(&temp).await;
                }
                Err(message)
            }
        }
    }
}

/// The process's file-mode creation mask (read by setting it and setting it back, at
/// start-up, before any file is created).
fn current_umask() -> u32 {
    // SAFETY: umask(2) cannot fail; the old mask is restored right away.
    let old = unsafe { libc::umask(0o022) };
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    old as u32
}
