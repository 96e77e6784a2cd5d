//! `IORING_OP_CLOSE`: closes a file descriptor (kernel 5.6+).

use std::io;
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};

use io_uring::{opcode, squeue, types};

use super::{cqe_result, Op, OpCode};
use crate::driver::{Completion, Orphan};
use crate::runtime::context;

/// Closes `fd`. Kernels without `IORING_OP_CLOSE` (older than 5.6) get `close(2)` inline.
#[derive(Debug)]
pub(crate) struct Close {
    /// Taken when the SQE is built (the kernel closes it from then on); closed by `Drop`
    /// if the op is dropped before it was submitted.
    fd: Option<OwnedFd>,
}

impl Close {
    /// The close of `fd`, which the op now owns.
    ///
    /// Without a runtime on the polling thread the op fails and the fd is closed by
    /// `close(2)` when the op drops. Callers check `IORING_OP_CLOSE` (5.6+) in the probe first.
    pub(crate) fn op(fd: OwnedFd) -> Op<Close> {
        Op::new(Close { fd: Some(fd) })
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
        opcode::Close::new(types::Fd(fd)).build()
    }

    fn complete(self, c: Completion) -> io::Result<()> {
        cqe_result(c).map(|_| ())
    }
}

/// Closes `fd` without waiting: through the ring when a runtime is entered on this thread
/// and the kernel has `IORING_OP_CLOSE`, else with `close(2)` right away.
pub(crate) fn close_in_background(fd: RawFd) {
    struct Ignore;
    impl Orphan for Ignore {
        fn orphan_completion(&mut self, _completion: Completion) {}
    }
    match context::driver() {
        Ok(driver) if driver.is_supported(opcode::Close::CODE) => {
            let entry = opcode::Close::new(types::Fd(fd)).build();
            // SAFETY: the SQE carries no pointer.
            unsafe { driver.submit_orphan(entry, Box::new(Ignore)) };
        }
        _ => {
            // SAFETY: `fd` is owned by the caller, which gives it up here.
            unsafe { libc::close(fd) };
        }
    }
}
