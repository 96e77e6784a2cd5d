//! Ring setup: the flags we ask for, the fallbacks when the kernel lacks them, and errors that
//! say what to do.

use std::fmt;
use std::io;

use io_uring::IoUring;

use super::backend::Backend;
use super::epoll;

/// How the driver sets up its ring. Built by `runtime::Builder`.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) entries: u32,
    pub(crate) cq_entries: Option<u32>,
    pub(crate) sqpoll_idle: Option<u32>,
    /// Try `SINGLE_ISSUER | DEFER_TASKRUN` first (fall back when unsupported).
    pub(crate) defer_taskrun: bool,
    /// Try `COOP_TASKRUN | TASKRUN_FLAG` (when `DEFER_TASKRUN` is off or unsupported).
    pub(crate) coop_taskrun: bool,
    /// Register the ring fd (`IORING_REGISTER_RING_FDS`) and enter through its index.
    pub(crate) register_ring_fd: bool,
    /// Try `IORING_SETUP_NO_SQARRAY` (Linux 6.6+; fall back without it).
    pub(crate) no_sqarray: bool,
    /// Slots of the registered-file table stream sockets may hold (0: none).
    pub(crate) direct_descriptors: u32,
    /// The fault-injection layer to install.
    #[cfg(feature = "fault-injection")]
    pub(crate) faults: Option<super::FaultConfig>,
    /// The driver asked for; `None`: `URING_RT_DRIVER`, else `Auto`.
    pub(crate) driver: Option<DriverKind>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            entries: 256,
            cq_entries: None,
            sqpoll_idle: None,
            defer_taskrun: true,
            coop_taskrun: true,
            register_ring_fd: false,
            no_sqarray: false,
            direct_descriptors: 0,
            #[cfg(feature = "fault-injection")]
            faults: None,
            driver: None,
        }
    }
}

/// Which completion mode the ring ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskrunMode {
    /// `SINGLE_ISSUER | DEFER_TASKRUN`: completions are posted only when this thread enters the
    /// kernel to wait; fewest interruptions and the cheapest completions.
    Defer,
    /// `COOP_TASKRUN | TASKRUN_FLAG`: the kernel does not interrupt the thread to post
    /// completions.
    Coop,
    /// Plain setup (old kernels, or both switched off).
    Default,
}

/// Which driver a runtime uses.
///
/// `Auto` (the default) takes io_uring when the kernel lets the process set up a ring, and
/// the epoll driver otherwise (seccomp profiles of container runtimes,
/// `kernel.io_uring_disabled`, kernels or sandboxes without io_uring). The environment
/// variable `URING_RT_DRIVER=auto|io_uring|epoll` sets the default for runtimes whose builder
/// does not choose.
///
/// The epoll driver runs every operation of the crate: sockets, pipes and eventfds wait for
/// readiness and retry their syscall; file operations run on a thread pool (after a
/// `preadv2(RWF_NOWAIT)` try for reads and writes). Without a kernel ring some features
/// degrade: zero-copy sends are plain sends, registered buffers and files are ordinary
/// buffers and duplicated descriptors, provided-buffer rings are filled by the driver.
///
/// # Examples
///
/// ```
/// use uring_rt::runtime::DriverKind;
///
/// let rt = uring_rt::Runtime::builder().driver(DriverKind::Epoll).build().unwrap();
/// assert_eq!(rt.driver_kind(), DriverKind::Epoll);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverKind {
    /// io_uring when it can be set up, else epoll.
    Auto,
    /// io_uring only: building the runtime fails when it cannot be set up.
    IoUring,
    /// The readiness driver (epoll and a thread pool), even where io_uring works.
    Epoll,
}

/// The environment variable that sets the default driver.
pub(crate) const DRIVER_ENV: &str = "URING_RT_DRIVER";

impl DriverKind {
    /// The kind `config` asks for, or `URING_RT_DRIVER`'s, or `Auto`.
    fn resolve(config: &Config) -> io::Result<DriverKind> {
        if let Some(kind) = config.driver {
            return Ok(kind);
        }
        match std::env::var(DRIVER_ENV) {
            Err(std::env::VarError::NotPresent) => Ok(DriverKind::Auto),
            Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "auto" => Ok(DriverKind::Auto),
                "io_uring" | "iouring" | "uring" => Ok(DriverKind::IoUring),
                "epoll" => Ok(DriverKind::Epoll),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{DRIVER_ENV}={v:?} is not a driver: use auto, io_uring or epoll"),
                )),
            },
            Err(e) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{DRIVER_ENV} is not valid UTF-8: {e}"),
            )),
        }
    }
}

/// Builds the driver's ring: io_uring, the epoll emulation, or io_uring falling back to it.
pub(crate) fn build(config: &Config) -> io::Result<(Backend, TaskrunMode)> {
    if config.entries == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "ring entries must be at least 1",
        ));
    }
    let epoll = || Ok((Backend::Epoll(epoll::Ring::new()?), TaskrunMode::Default));
    match DriverKind::resolve(config)? {
        DriverKind::Epoll => epoll(),
        DriverKind::IoUring => build_uring(config).map(|(r, m)| (Backend::Uring(r), m)),
        DriverKind::Auto => match build_uring(config) {
            Ok((r, m)) => Ok((Backend::Uring(r), m)),
            // io_uring is missing, forbidden or out of resources here (the error was
            // explained for `IoUring`): the readiness driver runs the same program.
            Err(_) => epoll(),
        },
    }
}

/// Builds an io_uring, trying the best setup flags first.
fn build_uring(config: &Config) -> io::Result<(IoUring, TaskrunMode)> {
    if config.entries == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "ring entries must be at least 1",
        ));
    }
    let mut modes = Vec::with_capacity(3);
    // SQPOLL submits from a kernel thread, which DEFER_TASKRUN does not allow.
    if config.defer_taskrun && config.sqpoll_idle.is_none() {
        modes.push(TaskrunMode::Defer);
    }
    if config.coop_taskrun {
        modes.push(TaskrunMode::Coop);
    }
    modes.push(TaskrunMode::Default);

    // Each mode with NO_SQARRAY first (if asked), then without.
    let sqarray_options: &[bool] = if config.no_sqarray {
        &[true, false]
    } else {
        &[false]
    };
    let attempts = modes.into_iter().flat_map(|mode| {
        sqarray_options
            .iter()
            .map(move |&no_sqarray| (mode, no_sqarray))
    });
    let mut last = None;
    for (mode, no_sqarray) in attempts {
        let mut builder = IoUring::builder();
        if no_sqarray {
            builder.setup_no_sqarray();
        }
        builder.setup_clamp();
        if let Some(cq) = config.cq_entries {
            builder.setup_cqsize(cq);
        }
        if let Some(idle) = config.sqpoll_idle {
            builder.setup_sqpoll(idle);
        }
        match mode {
            TaskrunMode::Defer => {
                builder
                    .setup_single_issuer()
                    .setup_defer_taskrun()
                    .setup_taskrun_flag()
                    .setup_submit_all();
            }
            TaskrunMode::Coop => {
                builder
                    .setup_coop_taskrun()
                    .setup_taskrun_flag()
                    .setup_submit_all();
            }
            TaskrunMode::Default => {}
        }
        match builder.build(config.entries) {
            Ok(ring) => return Ok((ring, mode)),
            // An unknown flag: try the next, older combination.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => last = Some(e),
            Err(e) => return Err(explain(e)),
        }
    }
    Err(explain(last.unwrap_or_else(|| {
        io::Error::from_raw_os_error(libc::EINVAL)
    })))
}

/// An `io_uring_setup` failure with its cause and remedy spelled out.
#[derive(Debug)]
pub struct SetupError {
    errno: Option<i32>,
    message: &'static str,
}

impl SetupError {
    /// The errno `io_uring_setup` returned.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.errno
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)?;
        if let Some(errno) = self.errno {
            write!(f, " ({})", io::Error::from_raw_os_error(errno))?;
        }
        Ok(())
    }
}

impl std::error::Error for SetupError {}

/// Turns a setup errno into an error naming the cause and the fix.
pub(crate) fn explain(err: io::Error) -> io::Error {
    let errno = err.raw_os_error();
    let message = match errno {
        Some(libc::ENOSYS) => {
            "io_uring is not available: this kernel was built without io_uring (ENOSYS). \
             uring-rt needs Linux 5.19 or newer with CONFIG_IO_URING=y"
        }
        Some(libc::EPERM) => {
            "io_uring_setup was denied (EPERM): io_uring is disabled by the sysctl \
             kernel.io_uring_disabled, or blocked by a seccomp profile (container runtimes \
             often block it). Set `sysctl kernel.io_uring_disabled=0`, or run with a seccomp \
             profile that allows io_uring_setup, io_uring_enter and io_uring_register"
        }
        Some(libc::ENOMEM) => {
            "io_uring_setup could not allocate the ring (ENOMEM): on kernels before 5.12 the \
             ring counts against RLIMIT_MEMLOCK. Raise it (`ulimit -l`, or memlock in \
             /etc/security/limits.conf) or build the runtime with fewer entries"
        }
        Some(libc::EMFILE) | Some(libc::ENFILE) => {
            "io_uring_setup needs a file descriptor and none is left (EMFILE/ENFILE): raise \
             the open-file limit (`ulimit -n`) or close descriptors"
        }
        Some(libc::EINVAL) => {
            "io_uring_setup rejected the parameters (EINVAL): the entry count may be too \
             large, or the kernel is older than uring-rt supports (5.19+)"
        }
        _ => return err,
    };
    io::Error::new(err.kind(), SetupError { errno, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_names_cause_and_fix() {
        let e = explain(io::Error::from_raw_os_error(libc::EPERM));
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        let msg = e.to_string();
        assert!(msg.contains("kernel.io_uring_disabled"), "{msg}");
        assert!(msg.contains("seccomp"), "{msg}");
        let e = explain(io::Error::from_raw_os_error(libc::ENOSYS));
        assert!(e.to_string().contains("CONFIG_IO_URING"));
        let e = explain(io::Error::from_raw_os_error(libc::ENOMEM));
        assert!(e.to_string().contains("RLIMIT_MEMLOCK"));
    }

    #[test]
    fn other_errors_pass_through() {
        let e = explain(io::Error::from_raw_os_error(libc::EIO));
        assert_eq!(e.raw_os_error(), Some(libc::EIO));
    }
}
