//! The one seam between the two drivers: the ring the driver submits to is either the
//! kernel's io_uring or the epoll emulation ([`super::epoll`]). Both take the same SQEs and
//! give back the same CQEs, so the slab, cancellation and every op above are shared.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use io_uring::types::{SubmitArgs, Timespec};
use io_uring::{squeue, EnterFlags, IoUring, Probe};

use super::epoll;
use super::lifecycle::Completion;
use super::setup::DriverKind;

/// A driver's ring.
pub(crate) enum Backend {
    Uring(IoUring),
    Epoll(epoll::Ring),
}

impl Backend {
    /// Queues `entry`; false when the SQ is full.
    ///
    /// # Safety
    /// Every pointer in `entry` stays valid until its final completion.
    #[inline(always)]
    pub(crate) unsafe fn push(&mut self, entry: &squeue::Entry) -> bool {
        match self {
            // SAFETY: the caller's contract.
            Backend::Uring(ring) => unsafe { ring.submission().push(entry) }.is_ok(),
            Backend::Epoll(ring) => {
                // SAFETY: the caller's contract.
                unsafe { ring.push(entry) };
                true
            }
        }
    }

    /// SQEs queued and not yet consumed (none for the emulation, which consumes at push).
    pub(crate) fn sq_len(&mut self) -> usize {
        match self {
            Backend::Uring(ring) => ring.submission().len(),
            Backend::Epoll(_) => 0,
        }
    }

    /// Entries the SQ holds (0 for the emulation, which keeps none).
    pub(crate) fn sq_capacity(&mut self) -> usize {
        match self {
            Backend::Uring(ring) => ring.submission().capacity(),
            Backend::Epoll(_) => 0,
        }
    }

    /// Whether [`Backend::push`] consumes the SQE itself (the emulation runs it at once), so
    /// its completion may be ready to reap right after the push.
    pub(crate) fn consumes_at_push(&self) -> bool {
        matches!(self, Backend::Epoll(_))
    }

    /// Whether completions wait in the CQ (only asked of the emulation, after a push).
    pub(crate) fn has_completions(&self) -> bool {
        match self {
            Backend::Uring(_) => false,
            Backend::Epoll(ring) => ring.has_completions(),
        }
    }

    /// Whether completions wait for an `enter` (the kernel's `IORING_SQ_TASKRUN`; for the
    /// emulation: ops waiting for readiness or on the pool).
    pub(crate) fn taskrun(&mut self) -> bool {
        match self {
            Backend::Uring(ring) => ring.submission().taskrun(),
            Backend::Epoll(ring) => ring.has_pending(),
        }
    }

    /// Whether the kernel's CQ overflowed (completions wait in its overflow list).
    pub(crate) fn cq_overflow(&mut self) -> bool {
        match self {
            Backend::Uring(ring) => ring.submission().cq_overflow(),
            Backend::Epoll(_) => false,
        }
    }

    /// Whether a kernel SQ thread polls the SQ (`IORING_SETUP_SQPOLL`).
    pub(crate) fn is_sqpoll(&self) -> bool {
        match self {
            Backend::Uring(ring) => ring.params().is_setup_sqpoll(),
            Backend::Epoll(_) => false,
        }
    }

    /// Whether the SQPOLL thread sleeps and needs `IORING_ENTER_SQ_WAKEUP`.
    pub(crate) fn need_wakeup(&mut self) -> bool {
        match self {
            Backend::Uring(ring) => ring.submission().need_wakeup(),
            Backend::Epoll(_) => false,
        }
    }

    /// The kernel ring's fd (`None` for the emulation).
    pub(crate) fn uring_fd(&self) -> Option<RawFd> {
        match self {
            Backend::Uring(ring) => Some(std::os::fd::AsRawFd::as_raw_fd(ring)),
            Backend::Epoll(_) => None,
        }
    }

    /// Which driver this is.
    pub(crate) fn kind(&self) -> DriverKind {
        match self {
            Backend::Uring(_) => DriverKind::IoUring,
            Backend::Epoll(_) => DriverKind::Epoll,
        }
    }

    /// One `io_uring_enter(to_submit, want, flags)` with `timeout` as its extended argument
    /// when waiting; the emulation (whose SQ is always empty) waits for `want` completions.
    pub(crate) fn enter_raw(
        &mut self,
        to_submit: u32,
        want: usize,
        flags: EnterFlags,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        match self {
            Backend::Uring(ring) => {
                let submitter = ring.submitter();
                match timeout {
                    Some(t) if want > 0 => {
                        let ts = Timespec::from(t);
                        let args = SubmitArgs::new().timespec(&ts);
                        // SAFETY: `args` lives across the call and is the extended argument
                        // that EXT_ARG announces; the flags are valid for io_uring_enter.
                        unsafe {
                            submitter.enter(
                                to_submit,
                                want as u32,
                                (flags | EnterFlags::EXT_ARG).bits(),
                                Some(&args),
                            )
                        }
                    }
                    // SAFETY: no argument pointer is passed; the flags are valid.
                    _ => unsafe {
                        submitter.enter::<libc::sigset_t>(
                            to_submit,
                            want as u32,
                            flags.bits(),
                            None,
                        )
                    },
                }
            }
            Backend::Epoll(ring) => ring.enter(want, timeout),
        }
    }

    /// Moves every available completion into `batch` as `(user_data, completion)`; returns
    /// the kernel's count of completions it dropped (`0` for the emulation).
    pub(crate) fn drain_into(&mut self, batch: &mut Vec<(u64, Completion)>) -> u32 {
        match self {
            Backend::Uring(ring) => {
                let mut cq = ring.completion();
                cq.sync();
                let dropped = cq.overflow();
                for cqe in &mut cq {
                    batch.push((
                        cqe.user_data(),
                        Completion {
                            result: cqe.result(),
                            flags: cqe.flags(),
                        },
                    ));
                }
                dropped
            }
            Backend::Epoll(ring) => {
                ring.drain(|user_data, c| batch.push((user_data, c)));
                0
            }
        }
    }

    /// The kernel's opcode probe (`None` for the emulation, which answers by itself).
    pub(crate) fn probe(&self) -> Option<Probe> {
        match self {
            Backend::Uring(ring) => {
                let mut probe = Probe::new();
                // A kernel without the probe opcode (older than 5.6) leaves `probe` empty:
                // every optional opcode then reports unsupported, which is the safe answer.
                let _ = ring.submitter().register_probe(&mut probe);
                Some(probe)
            }
            Backend::Epoll(_) => None,
        }
    }

    /// `IORING_REGISTER_BUFFERS`.
    ///
    /// # Safety
    /// The memory stays allocated until [`Backend::unregister_buffers`] succeeds or the ring
    /// is gone.
    pub(crate) unsafe fn register_buffers(&mut self, iovecs: &[libc::iovec]) -> io::Result<()> {
        match self {
            // SAFETY: the caller's contract.
            Backend::Uring(ring) => unsafe { ring.submitter().register_buffers(iovecs) },
            Backend::Epoll(ring) => ring.register_buffers(),
        }
    }

    /// `IORING_UNREGISTER_BUFFERS`.
    pub(crate) fn unregister_buffers(&mut self) -> io::Result<()> {
        match self {
            Backend::Uring(ring) => ring.submitter().unregister_buffers(),
            Backend::Epoll(ring) => ring.unregister_buffers(),
        }
    }

    /// `IORING_REGISTER_FILES` with `n` empty slots.
    pub(crate) fn register_files_sparse(&mut self, n: u32) -> io::Result<()> {
        match self {
            Backend::Uring(ring) => ring.submitter().register_files_sparse(n),
            Backend::Epoll(ring) => ring.register_files_sparse(n),
        }
    }

    /// `IORING_REGISTER_FILES_UPDATE`.
    pub(crate) fn register_files_update(&mut self, off: u32, fds: &[RawFd]) -> io::Result<usize> {
        match self {
            Backend::Uring(ring) => ring.submitter().register_files_update(off, fds),
            Backend::Epoll(ring) => ring.register_files_update(off, fds),
        }
    }

    /// `IORING_REGISTER_PBUF_RING`, with `IOU_PBUF_RING_INC` when `incremental` is asked
    /// for and the ring can honour it; returns whether it did. Not on the emulation (it
    /// consumes whole buffers), not with SQPOLL (the SQ thread may post a completion after
    /// another one that consumed later, while the application drains the CQ, and
    /// incremental pieces are placed by completion order), and not on kernels before 6.12
    /// (`EINVAL`: registered again without it).
    ///
    /// # Safety
    /// The ring memory at `addr` stays allocated until unregistered or the ring is gone.
    pub(crate) unsafe fn register_buf_ring(
        &mut self,
        addr: u64,
        entries: u16,
        bgid: u16,
        incremental: bool,
    ) -> io::Result<bool> {
        match self {
            Backend::Uring(ring) => {
                // `IOU_PBUF_RING_INC` (the io-uring crate does not export its `sys` module).
                const IOU_PBUF_RING_INC: u16 = 2;
                let inc = IOU_PBUF_RING_INC;
                if incremental && !ring.params().is_setup_sqpoll() {
                    // SAFETY: the caller's contract.
                    let r = unsafe {
                        ring.submitter()
                            .register_buf_ring_with_flags(addr, entries, bgid, inc)
                    };
                    match r {
                        Ok(()) => return Ok(true),
                        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
                        Err(e) => return Err(e),
                    }
                }
                // SAFETY: the caller's contract.
                unsafe {
                    ring.submitter()
                        .register_buf_ring_with_flags(addr, entries, bgid, 0)
                }
                .map(|()| false)
            }
            Backend::Epoll(ring) => {
                // SAFETY: the caller's contract.
                unsafe { ring.register_buf_ring(addr, entries, bgid) }.map(|()| false)
            }
        }
    }

    /// Whether multishot receives can take bundles (`IORING_FEAT_RECVSEND_BUNDLE`, Linux
    /// 6.10+; never on the emulation).
    pub(crate) fn has_recv_bundle(&self) -> bool {
        match self {
            Backend::Uring(ring) => ring.params().is_feature_recvsend_bundle(),
            Backend::Epoll(_) => false,
        }
    }

    /// `IORING_UNREGISTER_PBUF_RING`.
    pub(crate) fn unregister_buf_ring(&mut self, bgid: u16) -> io::Result<()> {
        match self {
            Backend::Uring(ring) => ring.submitter().unregister_buf_ring(bgid),
            Backend::Epoll(ring) => ring.unregister_buf_ring(bgid),
        }
    }
}
