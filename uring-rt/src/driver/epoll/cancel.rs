//! What ends ops early on the emulated ring: `ASYNC_CANCEL` of waiting ops, and `CLOSE`,
//! which forgets the descriptor's registration and fails the ops still waiting on it.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use super::{closed, Ring, Sqe, CANCEL_ANY};

impl Ring {
    /// `ASYNC_CANCEL`: a waiting op ends with `ECANCELED` before any syscall consumed data
    /// for it; an op on the pool cannot be stopped (`EALREADY`, its result follows).
    pub(super) fn cancel(&mut self, sqe: &Sqe) {
        let targets: Vec<u64> = if sqe.op_flags & CANCEL_ANY != 0 {
            self.waiting.keys().copied().collect()
        } else {
            vec![sqe.addr]
        };
        let mut cancelled = 0;
        let mut res = -libc::ENOENT;
        for target in targets {
            if let Some(fd) = self.waiting.remove(&target) {
                let w = self.fds.get_mut(&fd).and_then(|q| {
                    let pos = q.read.iter().position(|w| w.sqe.user_data == target);
                    match pos {
                        Some(i) => q.read.remove(i),
                        None => {
                            let i = q.write.iter().position(|w| w.sqe.user_data == target)?;
                            q.write.remove(i)
                        }
                    }
                });
                if let Some(w) = w {
                    self.finish(fd, w, -libc::ECANCELED);
                    cancelled += 1;
                    res = 0;
                }
            } else if self.in_pool.contains(&target) {
                res = -libc::EALREADY;
            }
        }
        if sqe.op_flags & CANCEL_ANY != 0 {
            res = cancelled;
        }
        self.post(sqe.user_data, res, 0);
    }

    /// `CLOSE`: forgets the descriptor's registration (its number may be reused), fails
    /// the ops still waiting on it, then closes it.
    pub(super) fn close(&mut self, sqe: &Sqe) -> i32 {
        if sqe.file_index != 0 {
            let slot = sqe.file_index as usize - 1;
            return match self.files.get(slot).copied() {
                Some(fd) if fd >= 0 => {
                    self.files[slot] = -1;
                    self.forget(fd);
                    // SAFETY: the table owned this duplicate.
                    unsafe { libc::close(fd) };
                    0
                }
                _ => -libc::EBADF,
            };
        }
        self.forget(sqe.fd);
        closed::closing_except(sqe.fd, Some(&self.closed));
        // SAFETY: the op owned `fd` and gave it up to this close.
        let r = unsafe { libc::close(sqe.fd) };
        if r < 0 {
            -io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO)
        } else {
            0
        }
    }

    /// Drops `fd` from the epoll bookkeeping before it is closed.
    pub(super) fn forget(&mut self, fd: RawFd) {
        if let Some(q) = self.fds.remove(&fd) {
            for w in q.read.into_iter().chain(q.write) {
                self.finish(fd, w, -libc::ECANCELED);
            }
            // SAFETY: removes our own registration; harmless if it is already gone.
            unsafe {
                libc::epoll_ctl(
                    self.epfd.as_raw_fd(),
                    libc::EPOLL_CTL_DEL,
                    fd,
                    std::ptr::null_mut(),
                )
            };
        }
    }
}
