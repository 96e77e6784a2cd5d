//! `Builder`: ring size and setup flags of a runtime.

use std::io;

use super::rt::Runtime;
use crate::driver::{Config, DriverKind};

/// Configures a [`Runtime`] before it is built.
///
/// # Examples
///
/// ```
/// let rt = uring_rt::Runtime::builder().entries(64).build().unwrap();
/// rt.block_on(async { uring_rt::io::nop().await.unwrap() });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    config: Config,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder::default()
    }

    /// Submission queue size (rounded up to a power of two; clamped to the kernel maximum).
    /// A full SQ never fails an operation: the driver submits and retries. Default: 256.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().entries(4).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn entries(mut self, entries: u32) -> Builder {
        self.config.entries = entries;
        self
    }

    /// Completion queue size (default: twice `entries`). Overflow loses nothing either way.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().entries(64).cq_entries(1024).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn cq_entries(mut self, entries: u32) -> Builder {
        self.config.cq_entries = Some(entries);
        self
    }

    /// Submits from a kernel thread that polls the SQ, sleeping after `idle_ms` without work.
    /// Trades a busy kernel thread for fewer syscalls; excludes `DEFER_TASKRUN`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().sqpoll(50).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn sqpoll(mut self, idle_ms: u32) -> Builder {
        self.config.sqpoll_idle = Some(idle_ms);
        self
    }

    /// Whether to try `SINGLE_ISSUER | DEFER_TASKRUN` (default: true, with a fallback when the
    /// kernel lacks them). Completions are then posted only when the runtime waits for them,
    /// which saves work per operation.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().defer_taskrun(false).build().unwrap();
    /// assert_ne!(rt.taskrun_mode(), uring_rt::runtime::TaskrunMode::Defer);
    /// ```
    pub fn defer_taskrun(mut self, enabled: bool) -> Builder {
        self.config.defer_taskrun = enabled;
        self
    }

    /// Whether to try `COOP_TASKRUN | TASKRUN_FLAG` when `DEFER_TASKRUN` is not used
    /// (default: true).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder()
    ///     .defer_taskrun(false)
    ///     .coop_taskrun(false)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.taskrun_mode(), uring_rt::runtime::TaskrunMode::Default);
    /// ```
    pub fn coop_taskrun(mut self, enabled: bool) -> Builder {
        self.config.coop_taskrun = enabled;
        self
    }

    /// Installs a fault-injection layer between the driver and the ring (tests only: cargo
    /// feature `fault-injection`). See [`crate::fault`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder()
    ///     .faults(uring_rt::fault::FaultConfig::new(9).delay(0.5))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { uring_rt::io::nop().await.unwrap() });
    /// ```
    #[cfg(feature = "fault-injection")]
    pub fn faults(mut self, config: crate::fault::FaultConfig) -> Builder {
        self.config.faults = Some(config);
        self
    }

    /// Which driver runs the runtime's I/O (default: [`DriverKind::Auto`], or what the
    /// environment variable `URING_RT_DRIVER=auto|io_uring|epoll` says). See [`DriverKind`]
    /// for what the epoll driver does differently.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::runtime::DriverKind;
    ///
    /// let rt = uring_rt::Runtime::builder().driver(DriverKind::Auto).build().unwrap();
    /// assert_ne!(rt.driver_kind(), DriverKind::Auto);
    /// ```
    pub fn driver(mut self, kind: DriverKind) -> Builder {
        self.config.driver = Some(kind);
        self
    }

    /// Whether to register the ring's fd with the kernel (`IORING_REGISTER_RING_FDS`, Linux
    /// 5.18+) and enter through the registered index (`IORING_ENTER_REGISTERED_RING`), which
    /// spares each `io_uring_enter` the lookup of the fd in the process's file table and the
    /// reference taken on it. Default: false (the README's switch table measured no gain on
    /// the echo benchmark: the runtime enters the kernel about once per 8 to 30 requests).
    /// Costs one of the thread's 16 registered-ring slots; ignored with
    /// [`sqpoll`](Builder::sqpoll), and skipped silently when the kernel refuses it.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().register_ring_fd(true).build().unwrap();
    /// rt.block_on(async { uring_rt::io::nop().await.unwrap() });
    /// ```
    pub fn register_ring_fd(mut self, enabled: bool) -> Builder {
        self.config.register_ring_fd = enabled;
        self
    }

    /// Whether to try `IORING_SETUP_NO_SQARRAY` (Linux 6.6+): the kernel takes SQEs straight
    /// from the ring in order, without the index array between the SQ tail and the entries
    /// (one memory indirection less per SQE, and the array's memory saved). Default: false
    /// (no gain measured, see the README's switch table); when on, falls back without it on
    /// kernels that lack it.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().no_sqarray(true).build().unwrap();
    /// rt.block_on(async { uring_rt::io::nop().await.unwrap() });
    /// ```
    pub fn no_sqarray(mut self, enabled: bool) -> Builder {
        self.config.no_sqarray = enabled;
        self
    }

    /// How many stream sockets may hold a slot in the ring's registered-file table ("direct
    /// descriptors"); 0 (the default) turns the feature off.
    ///
    /// With `slots > 0`, each TCP or Unix stream made on this runtime (accepted, connected,
    /// `from_std`, `pair`, `from_raw_fd`) gets a slot when it is made, through an
    /// `IORING_OP_FILES_UPDATE` queued with the ring's next SQEs (no system call of its own),
    /// and once that has completed its reads and writes on this ring name it by slot
    /// (`IOSQE_FIXED_FILE`; before, by fd): the kernel then skips the lookup of
    /// the fd and the reference count on its file for every operation (`fget`/`fput`, about
    /// 2-3% of the echo server's CPU). The stream keeps its ordinary fd as well, so every
    /// sync call (`set_nodelay`, `peer_addr`, `shutdown`, `AsRawFd`, `IntoRawFd`) works as
    /// without the switch, and a stream moved to another runtime uses its fd there. Dropping
    /// the stream (its last half) empties the slot, with a queued `close_direct`
    /// (`IORING_OP_CLOSE` by slot).
    /// When the quota is used up, or the kernel cannot register the table, streams silently
    /// use their plain fds.
    ///
    /// Costs: two more SQEs per stream (in and out of the table: about 1 µs of CPU per
    /// stream, measured by `conn_churn`); the
    /// table is registered once, on first use, with `max(slots, 1024)` entries (the table
    /// that [`File::register`](crate::fs::File::register) uses; `slots` past `RLIMIT_NOFILE`
    /// fall back to 1024), a few bytes of kernel memory per slot. Needs Linux 5.19+ (sparse
    /// tables). Ignored by the epoll driver, whose registered files are duplicated fds.
    /// Default off: see the README's switch table for what it measured.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().direct_descriptors(256).build().unwrap();
    /// rt.block_on(async {
    ///     let l = uring_rt::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let c = uring_rt::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (s, _) = l.accept().await.unwrap();
    ///     c.write_all(b"hi".to_vec()).await.0.unwrap();
    ///     let (n, buf) = s.read(vec![0; 2]).await;
    ///     assert_eq!((n.unwrap(), &buf[..]), (2, &b"hi"[..]));
    /// });
    /// ```
    pub fn direct_descriptors(mut self, slots: u32) -> Builder {
        self.config.direct_descriptors = slots;
        self
    }

    /// Creates the runtime on the calling thread.
    ///
    /// # Errors
    ///
    /// With [`DriverKind::IoUring`], when io_uring cannot be set up: the message names the
    /// cause (kernel without io_uring, `kernel.io_uring_disabled`, seccomp, memlock) and the
    /// fix. With any driver: an invalid `URING_RT_DRIVER` value (`InvalidInput`), or no
    /// descriptors left for the epoll set.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::builder().build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 }), 1);
    /// ```
    pub fn build(self) -> io::Result<Runtime> {
        Runtime::from_config(&self.config)
    }
}
