//! The slab of in-flight operations and every transition of a slot.
//!
//! # Invariants
//!
//! - A slot's key is the `user_data` of its SQE. A slot is removed only when the operation's
//!   final completion (one without `IORING_CQE_F_MORE`) has been seen *and* either the future
//!   took it or the future was dropped. So a key is never reused while the kernel may still
//!   post a completion for it, and data moved into an `Ignored` slot lives until then.
//! - Transitions (single-shot): `Submitted`/`Waiting` --cqe--> `Completed` --taken--> removed;
//!   `Submitted`/`Waiting` --future dropped--> `Ignored` --final cqe--> removed;
//!   `Completed` --future dropped--> removed.
//! - Multishot: `Multi` queues completions; the future pops them; once `finished` and empty,
//!   the future's next poll removes the slot. Dropped before `finished`: becomes `Ignored`
//!   (queued completions go to the orphan first).
//! - This module does no I/O: the driver feeds it completions, the `Op` future feeds it polls
//!   and drops, so every transition is unit-tested with fake completions.

use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use super::lifecycle::{Completion, Lifecycle, Multi, Observer, Orphan};

/// What the owner of a dropped operation must do next.
#[derive(Debug)]
pub(crate) enum Dropped<D> {
    /// The kernel is done with the operation; the slot is free and the data comes back to be
    /// dropped by the caller (outside any borrow of the driver).
    Finished(D),
    /// The operation is still in the kernel and its data moved into the slot: submit an
    /// `ASYNC_CANCEL` for the key.
    Cancel,
}

/// What a completion did to its slot.
#[derive(Default)]
pub(crate) struct Reaped {
    /// The future to wake.
    pub(crate) waker: Option<Waker>,
    /// Data of a dropped operation whose final completion this was; drop it outside the
    /// driver's borrow.
    pub(crate) freed: Option<Box<dyn Orphan>>,
}

/// The op slab.
#[derive(Debug, Default)]
pub(crate) struct Ops {
    slots: Slab<Lifecycle>,
    /// Slots whose final completion has not arrived (the kernel may still post for them).
    /// Counted, not scanned: the DEFER_TASKRUN loop asks every tick.
    awaiting: usize,
}

impl Ops {
    pub(crate) fn new() -> Ops {
        Ops {
            slots: Slab::with_capacity(256),
            awaiting: 0,
        }
    }

    /// Reserves a slot for a single-shot operation; the key becomes the SQE's `user_data`.
    pub(crate) fn insert(&mut self) -> usize {
        self.awaiting += 1;
        self.slots.insert(Lifecycle::Submitted)
    }

    /// Reserves a slot for a single-shot operation whose future already waits with `waker`
    /// (as `insert` followed by a pending `poll`).
    pub(crate) fn insert_waiting(&mut self, waker: Waker) -> usize {
        self.awaiting += 1;
        self.slots.insert(Lifecycle::Waiting(waker))
    }

    /// Reserves a slot for a multishot operation.
    #[cfg(test)]
    pub(crate) fn insert_multi(&mut self) -> usize {
        self.insert_multi_observed(None)
    }

    /// Reserves a slot for a multishot operation whose completions `observer` sees as they
    /// are queued.
    pub(crate) fn insert_multi_observed(&mut self, observer: Option<Rc<dyn Observer>>) -> usize {
        self.awaiting += 1;
        self.slots.insert(Lifecycle::Multi(Box::new(Multi {
            observer,
            ..Multi::default()
        })))
    }

    /// Number of slots in use (operations the kernel may still complete, or not yet taken).
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, key: usize) -> bool {
        self.slots.contains(key)
    }

    /// A single-shot future polls its slot: the completion if it arrived, else parks `cx`.
    pub(crate) fn poll(&mut self, key: usize, cx: &mut Context<'_>) -> Poll<Completion> {
        let Some(slot) = self.slots.get_mut(key) else {
            // Unreachable through `Op` (it polls only a slot it holds); report a cancellation.
            return Poll::Ready(Completion {
                result: -libc::ECANCELED,
                flags: 0,
            });
        };
        match slot {
            Lifecycle::Completed(c) => {
                let c = *c;
                self.slots.remove(key);
                Poll::Ready(c)
            }
            Lifecycle::Waiting(w) => {
                if !w.will_wake(cx.waker()) {
                    *w = cx.waker().clone();
                }
                Poll::Pending
            }
            Lifecycle::Submitted => {
                *slot = Lifecycle::Waiting(cx.waker().clone());
                Poll::Pending
            }
            // Not a single-shot slot with a live future (unreachable through `Op`): leave it
            // as it is, its data and completions belong to someone else.
            Lifecycle::Ignored(_) | Lifecycle::Multi(_) => Poll::Pending,
        }
    }

    /// A multishot future polls for its next completion. `Ready(None)`: the operation ended
    /// and its slot is free.
    pub(crate) fn poll_multi(
        &mut self,
        key: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Completion>> {
        let Some(Lifecycle::Multi(multi)) = self.slots.get_mut(key) else {
            return Poll::Ready(None);
        };
        if let Some(c) = multi.queue.pop_front() {
            return Poll::Ready(Some(c));
        }
        if multi.finished {
            self.slots.remove(key);
            return Poll::Ready(None);
        }
        match &multi.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => multi.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Records a completion. Unknown keys are ignored: they cannot come from this slab.
    pub(crate) fn complete(&mut self, key: usize, c: Completion) -> Reaped {
        let Some(slot) = self.slots.get_mut(key) else {
            return Reaped::default();
        };
        match slot {
            Lifecycle::Submitted => {
                self.awaiting -= 1;
                *slot = Lifecycle::Completed(c);
                Reaped::default()
            }
            Lifecycle::Waiting(_) => {
                self.awaiting -= 1;
                match std::mem::replace(slot, Lifecycle::Completed(c)) {
                    Lifecycle::Waiting(w) => Reaped {
                        waker: Some(w),
                        freed: None,
                    },
                    _ => Reaped::default(),
                }
            }
            Lifecycle::Ignored(data) => {
                data.orphan_completion(c);
                if c.has_more() {
                    return Reaped::default();
                }
                // Final completion: the kernel no longer holds the data; free it.
                self.awaiting -= 1;
                match self.slots.remove(key) {
                    Lifecycle::Ignored(data) => Reaped {
                        waker: None,
                        freed: Some(data),
                    },
                    _ => Reaped::default(),
                }
            }
            // A second completion for a single-shot op would break the kernel's contract;
            // keep the first and never lose the slot.
            Lifecycle::Completed(_) => Reaped::default(),
            Lifecycle::Multi(multi) => {
                if multi.finished {
                    // Nothing follows a final completion; keep the queue as it is.
                    return Reaped::default();
                }
                if !c.has_more() {
                    multi.finished = true;
                    self.awaiting -= 1;
                }
                if let Some(o) = &multi.observer {
                    o.observe(c);
                }
                multi.queue.push_back(c);
                Reaped {
                    waker: multi.waker.take(),
                    freed: None,
                }
            }
        }
    }

    /// The future is dropped. `data` is what the kernel may still touch: it moves into the slot
    /// while the operation is in flight, and comes back when the operation is finished.
    pub(crate) fn drop_op<D: Orphan>(&mut self, key: usize, mut data: D) -> Dropped<D> {
        let Some(slot) = self.slots.get_mut(key) else {
            return Dropped::Finished(data);
        };
        match slot {
            Lifecycle::Completed(c) => {
                // The completion arrived but the future never took it: the data still sees it
                // (to close an accepted fd or hand back received bytes).
                let c = *c;
                self.slots.remove(key);
                data.orphan_completion(c);
                Dropped::Finished(data)
            }
            Lifecycle::Multi(multi) => {
                for c in std::mem::take(&mut multi.queue) {
                    data.orphan_completion(c);
                }
                if multi.finished {
                    self.slots.remove(key);
                    Dropped::Finished(data)
                } else {
                    *slot = Lifecycle::Ignored(Box::new(data));
                    Dropped::Cancel
                }
            }
            Lifecycle::Ignored(_) => {
                // Two owners for one slot cannot happen through `Op`; if it did, leaking is the
                // only choice that never frees memory the kernel may write.
                std::mem::forget(data);
                Dropped::Cancel
            }
            Lifecycle::Submitted | Lifecycle::Waiting(_) => {
                *slot = Lifecycle::Ignored(Box::new(data));
                Dropped::Cancel
            }
        }
    }

    /// Takes a slot for an operation nobody awaits (a close on drop, a cancel): its data lives
    /// in the slot from the start and is freed at the final completion.
    pub(crate) fn insert_orphan(&mut self, data: Box<dyn Orphan>) -> usize {
        self.awaiting += 1;
        self.slots.insert(Lifecycle::Ignored(data))
    }

    /// Keys of every slot still waiting for the kernel (for shutdown).
    pub(crate) fn in_flight_keys(&self) -> Vec<usize> {
        self.slots
            .iter()
            .filter(|(_, s)| Self::awaits_kernel(s))
            .map(|(k, _)| k)
            .collect()
    }

    /// Whether any slot still expects a completion from the kernel.
    pub(crate) fn has_in_flight(&self) -> bool {
        self.awaiting > 0
    }

    /// Number of slots still expecting a completion from the kernel.
    pub(crate) fn awaiting(&self) -> usize {
        self.awaiting
    }

    fn awaits_kernel(slot: &Lifecycle) -> bool {
        match slot {
            Lifecycle::Completed(_) => false,
            Lifecycle::Multi(multi) => !multi.finished,
            _ => true,
        }
    }

    /// Gives up on every slot without running destructors: used only when the kernel may still
    /// write into their data and we cannot wait any longer (leaking is the safe choice).
    pub(crate) fn leak_all(&mut self) {
        for (_, slot) in std::mem::take(&mut self.slots) {
            match slot {
                // Data the kernel may still touch stays allocated; its permits are released.
                Lifecycle::Ignored(data) => data.leak(),
                // The rest holds no memory the kernel knows (wakers, completions).
                other => drop(other),
            }
        }
        self.awaiting = 0;
    }
}

#[cfg(test)]
mod tests;
