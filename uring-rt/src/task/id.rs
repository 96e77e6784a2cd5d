//! `Id`: a task's identity, as tokio's `task::Id`, and the id of the task running on this
//! thread (`id`, `try_id`).
//!
//! Ids are unique among the tasks of the process and never reused. Each thread takes ids from
//! a block of its own (one atomic increment per `BLOCK` spawns on that thread), so spawning
//! does no atomic read-modify-write of shared memory on the hot path.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// An opaque id of a task, unique among the tasks of this process (as tokio's `task::Id`).
///
/// Displayed as its number; ordered and hashable, so it can key a map of tasks.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let handle = uring_rt::spawn(async { uring_rt::task::id() });
///     let id = handle.id();
///     assert_eq!(handle.await.unwrap(), id);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

/// Ids a thread takes at once.
const BLOCK: u64 = 1 << 16;

/// The next block of ids to hand to a thread (block `n` holds ids `n * BLOCK ..`).
static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The next id this thread hands out, and the end of its block.
    static RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    /// The task being polled (or having its future dropped) on this thread.
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}

impl Id {
    /// A new id, never handed out before.
    pub(crate) fn next() -> Id {
        let take_block = || NEXT_BLOCK.fetch_add(1, Ordering::Relaxed) * BLOCK;
        let n = RANGE
            .try_with(|range| {
                let (mut next, mut end) = range.get();
                if next == end {
                    next = take_block();
                    end = next + BLOCK;
                }
                range.set((next + 1, end));
                next
            })
            // The thread's locals are being destroyed: a block for this one id.
            .unwrap_or_else(|_| take_block());
        // `n >= BLOCK`: block numbers start at 1.
        Id(NonZeroU64::new(n).unwrap_or(NonZeroU64::MAX))
    }

    /// Makes this the current task's id until the guard drops (then the previous one again).
    pub(crate) fn enter(self) -> CurrentGuard {
        let prev = CURRENT.try_with(|c| c.replace(Some(self))).ok().flatten();
        CurrentGuard { prev }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// Restores the previous current task id when dropped.
pub(crate) struct CurrentGuard {
    prev: Option<Id>,
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.prev));
    }
}

/// The id of the task that is running: the one whose future is being polled (or dropped) on
/// this thread.
///
/// # Panics
///
/// When called outside a task (in `block_on`'s own future, or on a thread with no runtime),
/// as tokio's `task::id`; [`try_id`] returns `None` there instead.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let handle = uring_rt::spawn(async { uring_rt::task::id() });
///     assert_eq!(handle.id(), handle.await.unwrap());
/// });
/// ```
pub fn id() -> Id {
    try_id().expect("uring_rt::task::id called outside a task; use try_id to check")
}

/// The id of the task that is running, or `None` outside a task.
///
/// # Examples
///
/// ```
/// assert!(uring_rt::task::try_id().is_none());
/// uring_rt::start(async {
///     let inside = uring_rt::spawn(async { uring_rt::task::try_id() }).await.unwrap();
///     assert!(inside.is_some());
/// });
/// ```
pub fn try_id() -> Option<Id> {
    CURRENT.try_with(|c| c.get()).ok().flatten()
}
