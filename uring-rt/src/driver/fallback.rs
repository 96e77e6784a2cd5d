//! The io_uring driver's per-op fallback: an operation whose opcode the kernel's probe lacks
//! (`IORING_OP_FTRUNCATE` before 6.9, `MKDIRAT` before 5.15, ...) runs its synchronous system
//! call on the runtime's I/O threads (the epoll emulation's blocking pool) instead of failing.
//!
//! The op layer does not know: the SQE it built is decoded and executed by the same code the
//! epoll driver uses for file and path operations, and the result comes back as a CQE would,
//! through the driver's mailbox, into the op's slot. So ownership and cancellation are
//! unchanged: the op's data stays in its future or its slot until that result is taken, and a
//! cancel of such an op finds nothing in the kernel (`ENOENT`, ignored) and waits for it.
//!
//! # Invariants
//!
//! - `codes` holds exactly the opcodes the probe lacks and the pool can run; it is empty on
//!   the epoll driver (which runs them itself).
//! - `in_pool` counts ops handed to the pool whose result has not been delivered; the driver
//!   does not finish shutting down while it is non-zero (or leaks the pool with the ring).

use std::sync::Arc;

use io_uring::squeue;

use super::epoll::{self, Pool, Sqe};
use super::mailbox::{Mail, Mailbox};

/// The opcodes run on the pool, and the pool (started on first use).
#[derive(Debug, Default)]
pub(super) struct Fallback {
    codes: [u64; 4],
    pool: Option<Pool>,
    /// Ops on the pool whose result has not been delivered yet.
    pub(super) in_pool: usize,
    /// Reused between reaps.
    done: Vec<(u64, i32)>,
}

impl Fallback {
    /// A fallback for every opcode that `supported` rejects and the pool runs.
    pub(super) fn new(supported: impl Fn(u8) -> bool) -> Fallback {
        let mut codes = [0u64; 4];
        for code in 0..=255u8 {
            if !supported(code) && epoll::blocking_op(code) {
                codes[usize::from(code / 64)] |= 1 << (code % 64);
            }
        }
        Fallback {
            codes,
            ..Fallback::default()
        }
    }

    /// Whether ops with `code` run on the pool.
    pub(super) fn runs(&self, code: u8) -> bool {
        self.codes[usize::from(code / 64)] & (1 << (code % 64)) != 0
    }

    /// Whether any opcode runs on the pool (one test on the submission path).
    pub(super) fn any(&self) -> bool {
        self.codes != [0; 4]
    }

    /// Runs `entry` on the pool; its result is posted to `mailbox` as [`Mail::Reap`].
    /// `file` finds the descriptor of a registered-file slot (`IOSQE_FIXED_FILE`).
    ///
    /// # Errors
    /// `-EBADF` (as a CQE result) when the SQE names a registered-file slot `file` does not
    /// know; nothing was started.
    ///
    /// # Safety
    /// Every pointer in `entry` stays valid until its result is taken by [`Fallback::reap`]
    /// (the contract of `Driver::submit`: the op's data lives until its final completion).
    pub(super) unsafe fn run(
        &mut self,
        entry: &squeue::Entry,
        file: impl Fn(u32) -> Option<i32>,
        mailbox: &Arc<Mailbox>,
    ) -> Result<(), i32> {
        let sqe = Sqe::decode(entry);
        let fd = if sqe.flags & epoll::FIXED_FILE != 0 {
            u32::try_from(sqe.fd)
                .ok()
                .and_then(file)
                .ok_or(-libc::EBADF)?
        } else {
            sqe.fd
        };
        let pool = self.pool.get_or_insert_with(|| {
            let mailbox = mailbox.clone();
            // A refused post means the driver is gone or going: its drop reaps the pool
            // itself.
            Pool::new(Box::new(move || {
                let _ = mailbox.post(Mail::Reap);
            }))
        });
        self.in_pool += 1;
        // SAFETY: the caller's contract, until `reap` takes the result.
        unsafe { pool.submit(sqe, fd) };
        Ok(())
    }

    /// The `(user_data, result)` of every op finished since the last call; give the vector
    /// back with [`Fallback::recycle`] once drained.
    pub(super) fn take_done(&mut self) -> Vec<(u64, i32)> {
        let mut done = std::mem::take(&mut self.done);
        if let Some(pool) = &self.pool {
            pool.take_done(&mut done);
        }
        self.in_pool -= done.len();
        done
    }

    /// Keeps `done`'s allocation for the next [`Fallback::take_done`].
    pub(super) fn recycle(&mut self, mut done: Vec<(u64, i32)>) {
        done.clear();
        self.done = done;
    }

    /// The driver could not wait for the pool's ops: leave the threads (and the data their
    /// syscalls may still use) alone rather than join a thread stuck in the kernel.
    pub(super) fn leak(&mut self) {
        std::mem::forget(self.pool.take());
    }
}
