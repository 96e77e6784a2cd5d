//! The input gate and the stash of a stream socket or listener: what makes a dropped read or
//! accept lose nothing. The fd extension ([`FdExt`]) of [`StreamFd`].
//!
//! # Invariants
//!
//! - *Input gate*: at most one input operation (read, recv, accept, multishot recv or accept)
//!   holds the [`InputPermit`] of a gated fd at a time. The permit lives in the op's data, so
//!   it is released only when the kernel is done with the op: after the completion was taken,
//!   or, if the op's future was dropped, after its final completion reached the op's
//!   `orphan_completion`. So input is consumed in order, one op after the other.
//! - *Stash*: a dropped input op whose completion carried data (received bytes, an accepted
//!   connection) puts it in the stash (through [`FdExt::keep_bytes`] / [`FdExt::keep_conn`])
//!   before its permit is released. The next input op, holding the permit, takes from the
//!   stash before asking the kernel. `stashed` is set whenever the stash is not empty (read
//!   with the lock held, or as a hint without it).

use std::collections::VecDeque;
use std::future::poll_fn;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::buf::{self, IoBufMut};
use crate::op::{FdExt, InputPermit, SharedFd};

/// The fd of a stream socket or a listener: shared, gated, with a stash.
pub(crate) type StreamFd = SharedFd<Gate>;

/// A stream fd for `fd`.
pub(crate) fn stream_fd(fd: OwnedFd) -> StreamFd {
    SharedFd::with_ext(fd, Gate::default()).close_at_once()
}

/// A stream fd for the connected socket `fd`, with a slot in the current ring's
/// registered-file table when the runtime was built with
/// [`direct_descriptors`](crate::runtime::Builder::direct_descriptors) and has room left;
/// else (or outside a runtime) a plain one, as [`stream_fd`].
pub(crate) fn connected_fd(fd: OwnedFd) -> StreamFd {
    SharedFd::direct(fd, Gate::default())
}

/// The input gate and the stash.
#[derive(Default)]
pub(crate) struct Gate {
    /// An input op holds the permit.
    input_busy: AtomicBool,
    /// A task waits for the permit (its waker is in `slow.waiters`).
    waiting: AtomicBool,
    /// The stash is not empty.
    stashed: AtomicBool,
    slow: Mutex<Slow>,
}

#[derive(Default)]
struct Slow {
    bytes: VecDeque<u8>,
    conns: VecDeque<OwnedFd>,
    /// The error a dropped read got (`errno`), returned after the stashed bytes.
    error: Option<i32>,
    waiters: Vec<Waker>,
}

impl Gate {
    fn slow(&self) -> MutexGuard<'_, Slow> {
        self.slow.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn try_input(&self) -> bool {
        self.input_busy
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok()
    }

    fn update_stashed(&self, slow: &Slow) {
        let any = !slow.bytes.is_empty() || !slow.conns.is_empty() || slow.error.is_some();
        self.stashed.store(any, Ordering::SeqCst);
    }

    /// Whether the stash may hold something (a cheap hint, no lock).
    fn has_stash(&self) -> bool {
        self.stashed.load(Ordering::Acquire)
    }
}

impl FdExt for Gate {
    fn input_done(&self) {
        self.input_busy.store(false, Ordering::SeqCst);
        if self.waiting.load(Ordering::SeqCst) {
            let waiters = {
                let mut slow = self.slow();
                self.waiting.store(false, Ordering::SeqCst);
                std::mem::take(&mut slow.waiters)
            };
            for w in waiters {
                w.wake();
            }
        }
    }

    fn keep_bytes(&self, bytes: &[u8]) {
        let mut slow = self.slow();
        slow.bytes.extend(bytes);
        self.stashed.store(true, Ordering::SeqCst);
    }

    fn keep_conn(&self, conn: OwnedFd) {
        let mut slow = self.slow();
        slow.conns.push_back(conn);
        self.stashed.store(true, Ordering::SeqCst);
    }

    fn keep_error(&self, errno: i32) {
        let mut slow = self.slow();
        // The first error is the socket's; later reads of a dropped op only repeat it.
        slow.error.get_or_insert(errno);
        self.stashed.store(true, Ordering::SeqCst);
    }
}

impl SharedFd<Gate> {
    /// Waits for the input gate. The permit goes into the input op's data.
    pub(crate) async fn input(&self) -> InputPermit {
        poll_fn(|cx| self.poll_input(cx)).await
    }

    /// Polls for the input gate.
    pub(crate) fn poll_input(&self, cx: &mut Context<'_>) -> Poll<InputPermit> {
        let gate = self.ext();
        if gate.try_input() {
            return Poll::Ready(InputPermit::new(self.share()));
        }
        {
            let mut slow = gate.slow();
            if !slow.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                slow.waiters.push(cx.waker().clone());
            }
            gate.waiting.store(true, Ordering::SeqCst);
        }
        // Re-check after registering: a release that happened before it saw no waiter.
        if gate.try_input() {
            return Poll::Ready(InputPermit::new(self.share()));
        }
        Poll::Pending
    }

    /// Whether the stash may hold something (a cheap hint, no lock).
    pub(crate) fn has_stash(&self) -> bool {
        self.ext().has_stash()
    }

    /// Takes a stashed connection. Call with the input permit held.
    pub(crate) fn take_conn(&self) -> Option<OwnedFd> {
        let gate = self.ext();
        if !gate.has_stash() {
            return None;
        }
        let mut slow = gate.slow();
        let conn = slow.conns.pop_front();
        gate.update_stashed(&slow);
        conn
    }

    /// Takes every stashed byte. Call with the input permit held.
    pub(crate) fn take_all_bytes(&self) -> Option<Vec<u8>> {
        let gate = self.ext();
        if !gate.has_stash() {
            return None;
        }
        let mut slow = gate.slow();
        let bytes: Vec<u8> = slow.bytes.drain(..).collect();
        gate.update_stashed(&slow);
        (!bytes.is_empty()).then_some(bytes)
    }

    /// Copies stashed bytes, up to the free room of `buf`, into `buf` without taking them:
    /// the count, or `None` when nothing was stashed (or `buf` has no room). Call with the
    /// input permit held.
    pub(crate) fn peek_bytes<B: IoBufMut>(&self, buf: &mut B) -> Option<usize> {
        let gate = self.ext();
        if !gate.has_stash() || buf.bytes_total() == 0 {
            return None;
        }
        let slow = gate.slow();
        let (a, b) = slow.bytes.as_slices();
        let n = buf::fill(buf, [a, b]);
        (n > 0).then_some(n)
    }

    /// Takes the stashed error of a dropped read, once its bytes were taken. Call with the
    /// input permit held.
    pub(crate) fn take_error(&self) -> Option<std::io::Error> {
        let gate = self.ext();
        if !gate.has_stash() {
            return None;
        }
        let mut slow = gate.slow();
        if !slow.bytes.is_empty() {
            return None;
        }
        let errno = slow.error.take()?;
        gate.update_stashed(&slow);
        Some(std::io::Error::from_raw_os_error(errno))
    }

    /// Takes stashed bytes, up to the free room of `buf`, into `buf`: the count, or `None`
    /// when nothing was stashed (or `buf` has no room). Call with the input permit held.
    pub(crate) fn take_bytes<B: IoBufMut>(&self, buf: &mut B) -> Option<usize> {
        let gate = self.ext();
        if !gate.has_stash() || buf.bytes_total() == 0 {
            return None;
        }
        let mut slow = gate.slow();
        let (a, b) = slow.bytes.as_slices();
        let n = buf::fill(buf, [a, b]);
        if n == 0 {
            return None;
        }
        slow.bytes.drain(..n);
        gate.update_stashed(&slow);
        Some(n)
    }
}
