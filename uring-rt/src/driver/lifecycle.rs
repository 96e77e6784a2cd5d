//! The state of one in-flight operation's slot.

use std::collections::VecDeque;
use std::rc::Rc;
use std::task::Waker;

/// One completion-queue entry, as the driver hands it to an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Completion {
    /// The kernel's result: a count or new fd when `>= 0`, `-errno` otherwise.
    pub(crate) result: i32,
    /// `IORING_CQE_F_*` flags.
    pub(crate) flags: u32,
}

impl Completion {
    /// Flag of a completion the driver made up for an SQE the kernel never saw (the ring
    /// faulted first). Not a kernel flag: those use the low bits, and the buffer id, in the
    /// high 16 bits, comes only with `IORING_CQE_F_BUFFER`, which such a completion lacks.
    pub(crate) const NOT_SUBMITTED: u32 = 1 << 31;

    /// Whether the kernel never saw the SQE (see [`Completion::NOT_SUBMITTED`]): whatever
    /// the op would have done (close an fd) did not happen.
    pub(crate) fn not_submitted(&self) -> bool {
        self.flags & Self::NOT_SUBMITTED != 0
    }

    /// Whether more completions follow for the same submission (`IORING_CQE_F_MORE`).
    pub(crate) fn has_more(&self) -> bool {
        io_uring::cqueue::more(self.flags)
    }
}

/// Data of an operation whose future was dropped before its last completion.
///
/// The driver keeps it alive (so every pointer the kernel holds stays valid) and shows it each
/// remaining completion, so it can release what the kernel created (close an accepted or
/// opened fd, hand back a connection).
pub(crate) trait Orphan: 'static {
    /// Called for each completion that arrives after the future was dropped.
    fn orphan_completion(&mut self, completion: Completion);

    /// The ring is gone while the kernel may still use the data: keep what it may touch
    /// allocated forever, release the rest (see `OpCode::leak`). Default: leak it all.
    fn leak(self: Box<Self>) {
        std::mem::forget(self);
    }
}

/// Sees each completion of a multishot operation when the driver reaps it, in
/// completion-queue order across all operations (the future sees its own completions later,
/// in its own order). For state that depends on the kernel's global order, such as where an
/// incrementally consumed buffer continues. Runs inside the driver's borrow: must not use the
/// driver.
pub(crate) trait Observer {
    fn observe(&self, completion: Completion);
}

/// Where an operation is in its life.
pub(crate) enum Lifecycle {
    /// The SQE is queued or in the kernel; nobody waits yet.
    Submitted,
    /// The future waits for the completion.
    Waiting(Waker),
    /// The future is gone; the slot owns its data until the final completion.
    Ignored(Box<dyn Orphan>),
    /// The completion arrived; the future has not taken it yet.
    Completed(Completion),
    /// A multishot operation: completions queue here until the future takes them.
    /// Boxed so that single-shot slots, the common case, stay small.
    Multi(Box<Multi>),
}

/// The queue of a multishot operation.
#[derive(Default)]
pub(crate) struct Multi {
    pub(crate) waker: Option<Waker>,
    pub(crate) queue: VecDeque<Completion>,
    /// The final completion (without `F_MORE`) is in `queue` or was taken.
    pub(crate) finished: bool,
    /// Sees each completion as it is queued (not after the future was dropped: the orphan
    /// sees those, in the same order).
    pub(crate) observer: Option<Rc<dyn Observer>>,
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lifecycle::Submitted => f.write_str("Submitted"),
            Lifecycle::Waiting(_) => f.write_str("Waiting"),
            Lifecycle::Ignored(_) => f.write_str("Ignored"),
            Lifecycle::Completed(c) => write!(f, "Completed({c:?})"),
            Lifecycle::Multi(m) => write!(
                f,
                "Multi(queued: {}, finished: {})",
                m.queue.len(),
                m.finished
            ),
        }
    }
}
