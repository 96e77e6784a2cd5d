//! `IORING_OP_STATX`: `statx(2)` of a path or of an open fd (kernel 5.6+).

use std::ffi::CString;
use std::io;

use io_uring::{opcode, squeue, types};

use super::{cqe_result, support, FileFd, Op, OpCode};
use crate::driver::Completion;

/// Every field std's `Metadata` exposes, plus the direct-I/O alignment (`STATX_DIOALIGN`,
/// Linux 6.1+; left zero by older kernels).
const MASK: u32 = libc::STATX_BASIC_STATS | libc::STATX_BTIME | libc::STATX_DIOALIGN;

/// What is stat'ed.
#[derive(Debug)]
enum Target {
    /// A path (heap bytes); `follow` says whether a final symlink is followed.
    Path { path: CString, follow: bool },
    /// An open file (`AT_EMPTY_PATH`); the clone keeps it open until the completion.
    Fd(FileFd),
}

/// Fills a `statx` struct the op owns on the heap.
#[derive(Debug)]
pub(crate) struct Statx {
    target: Target,
    /// Boxed: its address is in the SQE and must survive moves of the op.
    buf: Box<libc::statx>,
}

impl Statx {
    /// `statx` of `path`, following a final symlink or not. The op owns the path and the
    /// result buffer, both on the heap, until the completion.
    ///
    /// # Errors
    /// `Unsupported` before Linux 5.6; no runtime on this thread.
    pub(crate) fn path(path: CString, follow: bool) -> io::Result<Op<Statx>> {
        Statx::new(Target::Path { path, follow })
    }

    /// `statx` of an open fd. The op owns a clone of the fd and the heap result buffer until
    /// the completion.
    ///
    /// # Errors
    /// As [`Statx::path`].
    pub(crate) fn fd(fd: &FileFd) -> io::Result<Op<Statx>> {
        Statx::new(Target::Fd(fd.clone()))
    }

    fn new(target: Target) -> io::Result<Op<Statx>> {
        support::require(opcode::Statx::CODE, "IORING_OP_STATX", "5.6")?;
        // SAFETY: `statx` is a plain C struct of integers, for which all-zero bytes are valid.
        let buf = Box::new(unsafe { std::mem::zeroed::<libc::statx>() });
        Ok(Op::new(Statx { target, buf }))
    }
}

// SAFETY: the SQE points to the path's heap bytes (or a static empty string) and to the boxed
// `statx`, both owned by `self` (or static).
unsafe impl OpCode for Statx {
    type Output = io::Result<Box<libc::statx>>;

    fn fail(self, err: io::Error) -> io::Result<Box<libc::statx>> {
        Err(err)
    }

    fn create_entry(&mut self) -> squeue::Entry {
        let (dirfd, path, flags) = match &self.target {
            Target::Path { path, follow } => {
                let nofollow = if *follow {
                    0
                } else {
                    libc::AT_SYMLINK_NOFOLLOW
                };
                (libc::AT_FDCWD, path.as_ptr(), nofollow)
            }
            Target::Fd(fd) => (fd.raw(), c"".as_ptr(), libc::AT_EMPTY_PATH),
        };
        let buf: *mut libc::statx = &mut *self.buf;
        opcode::Statx::new(types::Fd(dirfd), path, buf.cast::<types::statx>())
            .flags(flags)
            .mask(MASK)
            .build()
    }

    fn complete(self, c: Completion) -> io::Result<Box<libc::statx>> {
        cqe_result(c).map(|_| self.buf)
    }
}
