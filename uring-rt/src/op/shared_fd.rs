//! `SharedFd`: a socket's fd shared by its owner and every in-flight op on it, closed after
//! the last; plus the stash and the input gate that make dropped receives lose nothing.
//!
//! # Invariants
//!
//! - The fd is closed exactly once, when the last `SharedFd` clone drops: the owner (a
//!   stream, a listener) and each in-flight op hold a clone, so the kernel never sees the fd
//!   closed (or reused) under an operation. With a runtime entered on the dropping thread the
//!   close is an `IORING_OP_CLOSE` nobody waits for; otherwise `close(2)`.
//! - *Input gate*: at most one input operation (read, recv, accept, multishot recv or accept)
//!   holds the [`InputPermit`] of a gated fd at a time. The permit lives in the op's data, so
//!   it is released only when the kernel is done with the op: after the completion was taken,
//!   or, if the op's future was dropped, after its final completion reached the op's
//!   `orphan_completion`. So input is consumed in order, one op after the other.
//! - *Stash*: a dropped input op whose completion carried data (received bytes, an accepted
//!   connection) puts it in the stash before its permit is released. The next input op,
//!   holding the permit, takes from the stash before asking the kernel. `stashed` is set
//!   whenever the stash is not empty (read with the lock held, or as a hint without it).

use std::collections::VecDeque;
use std::future::poll_fn;
use std::mem::ManuallyDrop;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::buf::IoBufMut;

/// A socket fd shared with in-flight ops (cloning is one atomic increment).
#[derive(Clone)]
pub(crate) struct SharedFd {
    inner: Arc<Inner>,
}

struct Inner {
    fd: ManuallyDrop<OwnedFd>,
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
    waiters: Vec<Waker>,
}

impl std::fmt::Debug for SharedFd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedFd").field("fd", &self.raw()).finish()
    }
}

impl SharedFd {
    /// Takes ownership of `fd`.
    pub(crate) fn new(fd: OwnedFd) -> SharedFd {
        SharedFd {
            inner: Arc::new(Inner {
                fd: ManuallyDrop::new(fd),
                input_busy: AtomicBool::new(false),
                waiting: AtomicBool::new(false),
                stashed: AtomicBool::new(false),
                slow: Mutex::new(Slow::default()),
            }),
        }
    }

    /// The raw fd (valid while `self` lives).
    pub(crate) fn raw(&self) -> RawFd {
        self.inner.fd.as_raw_fd()
    }

    fn slow(&self) -> MutexGuard<'_, Slow> {
        self.inner.slow.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the input gate. The permit goes into the input op's data.
    pub(crate) async fn input(&self) -> InputPermit {
        poll_fn(|cx| self.poll_input(cx)).await
    }

    /// A permit that does not hold the gate: for datagram sockets, whose receives may run
    /// concurrently and never stash.
    pub(crate) fn ungated(&self) -> InputPermit {
        InputPermit {
            fd: self.clone(),
            gated: false,
        }
    }

    fn try_input(&self) -> bool {
        self.inner
            .input_busy
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok()
    }

    /// Polls for the input gate.
    pub(crate) fn poll_input(&self, cx: &mut Context<'_>) -> Poll<InputPermit> {
        let permit = || InputPermit {
            fd: self.clone(),
            gated: true,
        };
        if self.try_input() {
            return Poll::Ready(permit());
        }
        {
            let mut slow = self.slow();
            if !slow.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                slow.waiters.push(cx.waker().clone());
            }
            self.inner.waiting.store(true, Ordering::SeqCst);
        }
        // Re-check after registering: a release that happened before it saw no waiter.
        if self.try_input() {
            return Poll::Ready(permit());
        }
        Poll::Pending
    }

    fn release_input(&self) {
        self.inner.input_busy.store(false, Ordering::SeqCst);
        if self.inner.waiting.load(Ordering::SeqCst) {
            let waiters = {
                let mut slow = self.slow();
                self.inner.waiting.store(false, Ordering::SeqCst);
                std::mem::take(&mut slow.waiters)
            };
            for w in waiters {
                w.wake();
            }
        }
    }

    /// Keeps bytes a dropped receive got from the kernel, for the next read.
    pub(crate) fn stash_bytes(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut slow = self.slow();
        slow.bytes.extend(bytes);
        self.inner.stashed.store(true, Ordering::SeqCst);
    }

    /// Keeps a connection a dropped accept got from the kernel, for the next accept.
    pub(crate) fn stash_conn(&self, fd: OwnedFd) {
        let mut slow = self.slow();
        slow.conns.push_back(fd);
        self.inner.stashed.store(true, Ordering::SeqCst);
    }

    fn update_stashed(&self, slow: &Slow) {
        let any = !slow.bytes.is_empty() || !slow.conns.is_empty();
        self.inner.stashed.store(any, Ordering::SeqCst);
    }

    /// Whether the stash may hold something (a cheap hint, no lock).
    pub(crate) fn has_stash(&self) -> bool {
        self.inner.stashed.load(Ordering::Acquire)
    }

    /// Takes a stashed connection.
    pub(crate) fn take_conn(&self) -> Option<OwnedFd> {
        if !self.has_stash() {
            return None;
        }
        let mut slow = self.slow();
        let conn = slow.conns.pop_front();
        self.update_stashed(&slow);
        conn
    }

    /// Takes every stashed byte.
    pub(crate) fn take_all_bytes(&self) -> Option<Vec<u8>> {
        if !self.has_stash() {
            return None;
        }
        let mut slow = self.slow();
        let bytes: Vec<u8> = slow.bytes.drain(..).collect();
        self.update_stashed(&slow);
        (!bytes.is_empty()).then_some(bytes)
    }

    /// Takes stashed bytes, up to the free room of `buf`, into `buf`: the count, or `None`
    /// when nothing was stashed (or `buf` has no room).
    pub(crate) fn take_bytes<B: IoBufMut>(&self, buf: &mut B) -> Option<usize> {
        if !self.has_stash() || buf.bytes_total() == 0 {
            return None;
        }
        let mut slow = self.slow();
        let n = slow.bytes.len().min(buf.bytes_total());
        if n == 0 {
            return None;
        }
        let (a, b) = slow.bytes.as_slices();
        let first = a.len().min(n);
        let dst = buf.stable_mut_ptr();
        // SAFETY: `dst` is valid for `bytes_total() >= n` bytes (IoBufMut's contract) and the
        // sources are our own deque's slices, which cannot overlap a buffer we do not own.
        unsafe {
            std::ptr::copy_nonoverlapping(a.as_ptr(), dst, first);
            std::ptr::copy_nonoverlapping(b.as_ptr(), dst.add(first), n - first);
        }
        // SAFETY: the first `n <= bytes_total()` bytes were just written.
        unsafe { buf.set_init(n) };
        slow.bytes.drain(..n);
        self.update_stashed(&slow);
        Some(n)
    }
}

impl AsFd for SharedFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.fd.as_fd()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // SAFETY: `fd` is taken exactly once, here, and never used again.
        let fd = unsafe { ManuallyDrop::take(&mut self.fd) };
        // The last clone: no op uses the fd any more; close it without blocking the ring.
        super::close::close_in_background(fd.into_raw_fd());
    }
}

/// The right to run one input op on a fd, and a clone of that fd. Dropping it opens the gate.
pub(crate) struct InputPermit {
    fd: SharedFd,
    gated: bool,
}

impl std::fmt::Debug for InputPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputPermit")
            .field("fd", &self.fd.raw())
            .field("gated", &self.gated)
            .finish()
    }
}

impl InputPermit {
    /// The fd this permit is for.
    pub(crate) fn fd(&self) -> &SharedFd {
        &self.fd
    }

    /// Whether data of a dropped op goes to the stash (stream sockets, listeners).
    pub(crate) fn stashes(&self) -> bool {
        self.gated
    }
}

impl Drop for InputPermit {
    fn drop(&mut self) {
        if self.gated {
            self.fd.release_input();
        }
    }
}
