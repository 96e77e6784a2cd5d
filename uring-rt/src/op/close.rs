//! `IORING_OP_CLOSE`: closes a file descriptor (kernel 5.6+).

use std::io;
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};

use io_uring::{opcode, squeue, types};

use super::{cqe_result, Op, OpCode};
use crate::driver::{Completion, Driver, Orphan};
use crate::runtime::context;

/// Closes `fd`. Kernels without `IORING_OP_CLOSE` (older than 5.6) get `close(2)` inline.
#[derive(Debug)]
pub(crate) struct Close {
    /// Taken when the SQE is built (the kernel closes it from then on); closed by `Drop`
    /// if the op is dropped before it was submitted.
    fd: Option<OwnedFd>,
    /// The fd once it moved into the SQE: closed by hand if the kernel never saw the SQE.
    raw: RawFd,
}

impl Close {
    /// The close of `fd`, which the op now owns.
    ///
    /// Without a runtime on the polling thread the op fails and the fd is closed by
    /// `close(2)` when the op drops. Callers check `IORING_OP_CLOSE` (5.6+) in the probe first.
    pub(crate) fn op(fd: OwnedFd) -> Op<Close> {
        Op::new(Close {
            fd: Some(fd),
            raw: -1,
        })
    }
}

// SAFETY: the SQE carries no pointer.
unsafe impl OpCode for Close {
    type Output = io::Result<()>;

    fn fail(self, err: io::Error) -> io::Result<()> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        let fd = self.fd.take().map_or(-1, IntoRawFd::into_raw_fd);
        self.raw = fd;
        opcode::Close::new(types::Fd(fd)).build()
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        close_unsubmitted(self.raw, c);
        cqe_result(c).map(|_| ())
    }

    fn orphan_completion(&mut self, c: Completion) {
        close_unsubmitted(self.raw, c);
    }
}

/// The kernel never saw the close of `fd` (a faulted ring): close it here.
fn close_unsubmitted(fd: RawFd, c: Completion) {
    if c.not_submitted() && fd >= 0 {
        // SAFETY: `fd` was ours, moved into an SQE the kernel never consumed.
        unsafe { libc::close(fd) };
    }
}

/// Closes `fd` without waiting: through the ring when a runtime is entered on this thread
/// and the kernel has `IORING_OP_CLOSE`, else with `close(2)` right away.
pub(crate) fn close_in_background(fd: RawFd) {
    /// Closes the fd by hand if the kernel never saw the SQE.
    struct Closing(RawFd);
    impl Orphan for Closing {
        fn orphan_completion(&mut self, c: Completion) {
            close_unsubmitted(self.0, c);
        }
    }
    match context::driver() {
        Ok(driver) if driver.is_supported(opcode::Close::CODE) => {
            let entry = opcode::Close::new(types::Fd(fd)).build();
            // SAFETY: the SQE carries no pointer.
            unsafe { driver.submit_orphan(entry, Box::new(Closing(fd))) };
        }
        _ => close_now(fd),
    }
}

/// Closes `fd` with `close(2)` on this thread, now (the caller owns `fd` and gives it up).
pub(crate) fn close_now(fd: RawFd) {
    // Epoll rings that registered the number must forget it before it is reused.
    crate::driver::closing(fd);
    // SAFETY: `fd` is owned by the caller, which gives it up here.
    unsafe { libc::close(fd) };
}

/// Empties `slot` of `driver`'s registered-file table without waiting (`close_direct`: an
/// `IORING_OP_CLOSE` by slot, Linux 5.15+). The slot may be reused as soon as this returns:
/// SQEs run in queue order and this one never waits, so a later install finds it empty.
pub(crate) fn close_slot(driver: &Driver, slot: u32) {
    /// Nothing to release: an empty slot (`EBADF`) is already what was asked for.
    struct ClosingSlot;
    impl Orphan for ClosingSlot {
        fn orphan_completion(&mut self, _c: Completion) {}
    }
    let entry = opcode::Close::new(types::Fixed(slot)).build();
    // SAFETY: the SQE carries no pointer.
    unsafe { driver.submit_orphan(entry, Box::new(ClosingSlot)) };
}
