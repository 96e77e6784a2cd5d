//! The ready queue of a `JoinSet`: how a finished task tells its set, so that joining costs
//! O(1) per finished task instead of a scan of the whole set.
//!
//! # Invariants
//!
//! - Each task in a set has its own [`Waker`] (an `Arc<EntryWaker>`) registered as its join
//!   waker. The task's completion wakes it once; the wake pushes the task's [`Key`] onto the
//!   queue and wakes the set's waiter (the waker of the last `poll_join_next`).
//! - A key may be stale (its task was joined, or detached and its slot reused) or repeated: the
//!   set checks the slot's generation and polls the handle, which is harmless when the task is
//!   not finished. Generations never repeat within a set, so a stale key never matches.
//! - Tasks may finish on other threads (tasks spawned through a `Handle`, or a set moved to
//!   another thread), so the queue is a `Mutex<Vec<Key>>`, taken by the set a whole batch at a
//!   time: one lock per finished task on the pushing side, one per batch on the set's side.

use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};

use atomic_waker::AtomicWaker;

/// Names a task in a `JoinSet`: its slot and the generation the slot had when it was filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Key {
    pub(super) slot: usize,
    pub(super) generation: u64,
}

/// Keys of finished tasks and the waker of whoever waits for the next one.
#[derive(Debug, Default)]
pub(super) struct ReadyQueue {
    keys: Mutex<Vec<Key>>,
    waiter: AtomicWaker,
}

impl ReadyQueue {
    /// The waker to register as the join waker of the task named `key`.
    pub(super) fn waker_for(self: &Arc<Self>, key: Key) -> Waker {
        Waker::from(Arc::new(EntryWaker {
            queue: self.clone(),
            key,
        }))
    }

    /// Makes `waker` the one woken by the next push.
    pub(super) fn register(&self, waker: &Waker) {
        self.waiter.register(waker);
    }

    /// Moves every queued key, oldest first, into `into`, which must be empty. The two vectors
    /// swap, so their capacity is reused and nothing is allocated once both are warm.
    pub(super) fn take(&self, into: &mut Vec<Key>) {
        debug_assert!(into.is_empty());
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::swap(&mut *keys, into);
    }

    fn push(&self, key: Key) {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(key);
        self.waiter.wake();
    }
}

/// The join waker of one task in a set.
struct EntryWaker {
    queue: Arc<ReadyQueue>,
    key: Key,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.queue.push(self.key);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.queue.push(self.key);
    }
}
