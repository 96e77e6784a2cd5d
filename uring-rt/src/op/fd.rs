//! `SharedFd`: a descriptor shared by its owner (a `File`, a socket) and every in-flight op
//! that names it, closed after the last; and `InputPermit`, the token an input op holds.
//!
//! # Invariants
//!
//! - The fd is closed exactly once, when the last `SharedFd` clone drops (or handed out by
//!   [`SharedFd::try_take`] instead). Every op that puts the fd in an SQE holds a clone in its
//!   data, and op data lives until the op's final completion (in the future, or in the
//!   driver's slot after a drop), so the kernel never sees the fd closed, or its number
//!   reused, under an operation.
//! - The close goes through [`close_in_background`](super::close::close_in_background): an
//!   `IORING_OP_CLOSE` nobody waits for when a runtime is entered on the dropping thread,
//!   else `close(2)` on the spot (correct then: no op holds the fd any more), so a fd dropped
//!   off its runtime's thread is closed too. An fd made with [`SharedFd::close_at_once`]
//!   (listeners, datagram sockets, whose address must be free when their owner drops them)
//!   is always closed with `close(2)` on the spot ([`close_now`](super::close::close_now)).
//! - A stream socket may also sit in a slot of one ring's registered-file table (a *direct
//!   descriptor*, `Builder::direct_descriptors`): `fixed` names `(ring id, slot)`, reserved
//!   when the `SharedFd` is made and never changed; an `IORING_OP_FILES_UPDATE` queued then
//!   puts the socket in the slot, and `installed` is set when its completion says it did.
//!   From then on ops built for that ring name the socket by slot (`types::Fixed`); before,
//!   and on any other ring, by its fd, which stays open for the sync calls (`setsockopt`,
//!   `getpeername`, `shutdown`, `AsRawFd`). The update holds a clone, so the last clone
//!   drops after it; then, if installed, the slot is emptied (`close_direct`) next to the
//!   close of the fd (so after every op that named it), or in [`SharedFd::try_take`], so a
//!   socket handed out as a raw fd is not kept open by the table. A failed update empties
//!   and frees the slot itself.
//! - What an fd kind adds lives in its extension `X` (next to the fd, one allocation): the
//!   registered-file slot of a `File` (`op::file_fd`), the input gate and stash of a stream
//!   socket (`net`). Ops see the extension only through [`FdExt`]'s hooks.

use std::fmt;
use std::num::NonZeroU64;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::close::{close_in_background, close_now};
use super::register_files;

/// Builds an SQE with `types::Fixed(slot)` when `$slot` (an `Option<u32>`) is a slot of the
/// ring's file table, else with `types::Fd($raw)`. `$t` names the target in `$build`, which
/// is written once and compiled for both target types.
macro_rules! fixed_or_fd {
    ($slot:expr, $raw:expr, |$t:ident| $build:expr) => {
        match $slot {
            Some(slot) => {
                let $t = io_uring::types::Fixed(slot);
                $build
            }
            None => {
                let $t = io_uring::types::Fd($raw);
                $build
            }
        }
    };
}
pub(crate) use fixed_or_fd;

/// Builds an SQE for `$fd` (a `SharedFd`) on ring `$ring`: by its direct-descriptor slot in
/// that ring if it has one, else by its fd (see [`fixed_or_fd`]).
macro_rules! socket_target {
    ($fd:expr, $ring:expr, |$t:ident| $build:expr) => {
        $crate::op::fd::fixed_or_fd!($fd.fixed_on($ring), $fd.raw(), |$t| $build)
    };
}
pub(crate) use socket_target;

/// What an fd kind does when input ops end or leave data behind. The hooks run wherever the
/// op's data is dropped or sees its last completion (on the ring's thread, or the thread
/// that holds the data), so they must not need the driver.
pub(crate) trait FdExt: Send + Sync + 'static {
    /// An input op holding an [`InputPermit`] for this fd is done (its data dropped).
    fn input_done(&self) {}

    /// Bytes an input op received after its future was dropped. Default: discarded.
    fn keep_bytes(&self, bytes: &[u8]) {
        let _ = bytes;
    }

    /// A connection an accept made after its future was dropped. Default: closed.
    fn keep_conn(&self, conn: OwnedFd) {
        drop(conn);
    }

    /// The error (`errno`) an input op got after its future was dropped: a socket reports
    /// an error such as `ECONNRESET` once, so it is kept for the next read. Default: dropped.
    fn keep_error(&self, errno: i32) {
        let _ = errno;
    }
}

/// No extension: an fd that is only shared (datagram sockets, sockets being connected).
impl FdExt for () {}

/// An fd shared with in-flight ops (cloning is one atomic increment), with its kind's
/// extension `X`. `SharedFd` without a parameter is the type-erased form ops hold.
pub(crate) struct SharedFd<X: ?Sized = dyn FdExt> {
    inner: Arc<Inner<X>>,
}

struct Inner<X: ?Sized> {
    /// `-1` once taken by [`SharedFd::try_take`].
    fd: RawFd,
    /// The direct-descriptor slot `(ring id, slot)` reserved for the socket, if any.
    fixed: Option<(NonZeroU64, u32)>,
    /// The kernel put the socket in its `fixed` slot (the install's completion said so).
    installed: AtomicBool,
    /// Closed with `close(2)` when the last clone drops, not in the background: the socket
    /// holds an address (a listener, a datagram socket) that must be free once its owner
    /// dropped it, as with std and tokio (rebinding the port, an ICMP "port unreachable"
    /// for the next datagram sent to it).
    close_at_once: bool,
    ext: X,
}

impl<X: ?Sized> Clone for SharedFd<X> {
    fn clone(&self) -> Self {
        SharedFd {
            inner: self.inner.clone(),
        }
    }
}

impl<X: ?Sized> fmt::Debug for SharedFd<X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedFd")
            .field("fd", &self.inner.fd)
            .field("fixed", &self.inner.fixed)
            .finish()
    }
}

impl<X: FdExt> SharedFd<X> {
    /// Takes ownership of `fd`, with the extension `ext`.
    pub(crate) fn with_ext(fd: OwnedFd, ext: X) -> SharedFd<X> {
        SharedFd {
            inner: Arc::new(Inner {
                fd: fd.into_raw_fd(),
                fixed: None,
                installed: AtomicBool::new(false),
                close_at_once: false,
                ext,
            }),
        }
    }

    /// Makes the close of the last clone a `close(2)` on the spot (see `Inner::close_at_once`)
    /// rather than an `IORING_OP_CLOSE` queued for the next submission. For sockets whose
    /// close never blocks (no `SO_LINGER` wait): listeners, datagram sockets.
    pub(crate) fn close_at_once(mut self) -> SharedFd<X> {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.close_at_once = true;
        }
        self
    }

    /// Takes ownership of the stream socket `fd`, with the extension `ext`, and gives it a
    /// direct-descriptor slot in the current ring when the runtime has them and room left
    /// (installed by an SQE queued here; ops use the fd until it completes).
    pub(crate) fn direct(fd: OwnedFd, ext: X) -> SharedFd<X> {
        let fixed = register_files::reserve_socket(fd.as_raw_fd())
            .and_then(|(ring, slot)| Some((NonZeroU64::new(ring)?, slot)));
        let shared = SharedFd {
            inner: Arc::new(Inner {
                fd: fd.into_raw_fd(),
                fixed,
                installed: AtomicBool::new(false),
                close_at_once: false,
                ext,
            }),
        };
        if let Some((ring, slot)) = fixed {
            register_files::install_socket(shared.share(), ring.get(), slot);
        }
        shared
    }

    /// A clone in the type-erased form ops hold.
    pub(crate) fn share(&self) -> SharedFd {
        SharedFd {
            inner: self.inner.clone(),
        }
    }

    /// Takes the fd out if this is the last clone (no op uses it); the caller closes it.
    /// The extension is dropped (a `File` leaves the registered-file table).
    pub(crate) fn try_take(self) -> Option<OwnedFd> {
        Arc::into_inner(self.inner).and_then(Self::take_inner)
    }

    /// As [`SharedFd::try_take`], but hands this clone back when others remain, so the
    /// caller keeps the fd open while it duplicates it.
    pub(crate) fn take_or_keep(self) -> Result<Option<OwnedFd>, SharedFd<X>> {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => Ok(Self::take_inner(inner)),
            Err(inner) => Err(SharedFd { inner }),
        }
    }

    fn take_inner(mut inner: Inner<X>) -> Option<OwnedFd> {
        inner.leave_slot();
        let fd = std::mem::replace(&mut inner.fd, -1);
        // SAFETY: `fd` was owned by `inner` (from an `OwnedFd` in `with_ext`) and, replaced by
        // -1, is no longer closed by `Inner::drop`: ownership moves to the returned value.
        (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

impl SharedFd<()> {
    /// Takes ownership of the socket `fd` (a datagram socket, or one being connected), with
    /// no extension; closed at once when the last clone drops.
    pub(crate) fn new(fd: OwnedFd) -> SharedFd<()> {
        SharedFd::with_ext(fd, ()).close_at_once()
    }
}

impl<X: ?Sized + FdExt> SharedFd<X> {
    /// The raw fd (valid while `self` lives).
    pub(crate) fn raw(&self) -> RawFd {
        self.inner.fd
    }

    /// The fd kind's extension.
    pub(crate) fn ext(&self) -> &X {
        &self.inner.ext
    }

    /// The direct-descriptor slot to name this fd by in an SQE for ring `ring`, if it has
    /// one there.
    pub(crate) fn fixed_on(&self, ring: u64) -> Option<u32> {
        match self.inner.fixed {
            Some((r, slot)) if r.get() == ring && self.inner.installed.load(Ordering::Acquire) => {
                Some(slot)
            }
            _ => None,
        }
    }

    /// The install of the socket in its reserved slot completed: ops may name it by slot.
    pub(crate) fn slot_installed(&self) {
        self.inner.installed.store(true, Ordering::Release);
    }
}

impl<X: ?Sized> Inner<X> {
    /// Empties the socket's slot if the kernel put it there (a failed install freed it).
    fn leave_slot(&mut self) {
        if let Some((ring, slot)) = self.fixed.take() {
            if *self.installed.get_mut() {
                register_files::unregister_socket(ring.get(), slot);
            }
        }
    }
}

impl<X: ?Sized> AsFd for SharedFd<X> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: `Inner` owns the fd until it drops, which is after `self`; it is `-1` only
        // inside `try_take`, which consumed the last clone.
        unsafe { BorrowedFd::borrow_raw(self.inner.fd) }
    }
}

impl<X: ?Sized> Drop for Inner<X> {
    fn drop(&mut self) {
        // The last clone: no op uses the fd any more; empty its slot, close it without
        // blocking the ring.
        self.leave_slot();
        if self.fd >= 0 && self.close_at_once {
            close_now(self.fd);
        } else if self.fd >= 0 {
            close_in_background(self.fd);
        }
    }
}

/// An input op's hold on its fd: the fd, and the right to be its one input op when the fd
/// kind gates input (a stream's gate hands permits out one at a time). Dropping it, which
/// happens only once the kernel is done with the op, tells the extension the input ended.
pub(crate) struct InputPermit {
    fd: SharedFd,
}

impl fmt::Debug for InputPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputPermit")
            .field("fd", &self.fd.raw())
            .finish()
    }
}

impl InputPermit {
    /// A permit for `fd`; the caller has acquired whatever the fd kind's input gate demands.
    pub(crate) fn new(fd: SharedFd) -> InputPermit {
        InputPermit { fd }
    }

    /// The raw fd to put in the SQE.
    pub(crate) fn raw(&self) -> RawFd {
        self.fd.raw()
    }

    /// The fd (to name it in an SQE, with `socket_target!`).
    pub(crate) fn fd(&self) -> &SharedFd {
        &self.fd
    }

    /// Bytes received after the op's future was dropped: to the fd kind (a stream stashes
    /// them for the next read).
    pub(crate) fn keep_bytes(&self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.fd.ext().keep_bytes(bytes);
        }
    }

    /// The error of an input op whose future was dropped: to the fd kind (a stream keeps it
    /// for the next read, after any kept bytes). Our own cancellation (`ECANCELED`) and
    /// retryable results (`EINTR`, `EAGAIN`) are not errors of the socket and are not kept.
    pub(crate) fn keep_error(&self, errno: i32) {
        if !matches!(errno, libc::ECANCELED | libc::EINTR | libc::EAGAIN) {
            self.fd.ext().keep_error(errno);
        }
    }

    /// A connection accepted after the op's future was dropped: to the fd kind (a listener
    /// stashes it for the next accept).
    pub(crate) fn keep_conn(&self, conn: OwnedFd) {
        self.fd.ext().keep_conn(conn);
    }
}

impl Drop for InputPermit {
    fn drop(&mut self) {
        self.fd.ext().input_done();
    }
}
