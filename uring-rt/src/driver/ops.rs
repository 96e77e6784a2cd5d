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
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    const MORE: u32 = 1 << 1; // IORING_CQE_F_MORE

    struct CountWake(AtomicUsize);
    impl Wake for CountWake {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<CountWake>, Waker) {
        let w = Arc::new(CountWake(AtomicUsize::new(0)));
        (w.clone(), Waker::from(w))
    }

    /// Records the completions it sees and whether it was freed.
    struct Probe {
        seen: Rc<RefCell<Vec<Completion>>>,
        freed: Rc<RefCell<bool>>,
    }
    impl Orphan for Probe {
        fn orphan_completion(&mut self, c: Completion) {
            self.seen.borrow_mut().push(c);
        }
    }
    impl Drop for Probe {
        fn drop(&mut self) {
            *self.freed.borrow_mut() = true;
        }
    }
    type Seen = Rc<RefCell<Vec<Completion>>>;
    fn probe() -> (Probe, Seen, Rc<RefCell<bool>>) {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let freed = Rc::new(RefCell::new(false));
        (
            Probe {
                seen: seen.clone(),
                freed: freed.clone(),
            },
            seen,
            freed,
        )
    }

    fn is_cancel<D>(d: Dropped<D>) -> bool {
        matches!(d, Dropped::Cancel)
    }

    /// Drops returned data like the driver does, outside the slab.
    fn finished<D>(d: Dropped<D>) -> bool {
        matches!(d, Dropped::Finished(_))
    }

    fn cqe(result: i32, flags: u32) -> Completion {
        Completion { result, flags }
    }

    #[test]
    fn poll_then_complete_wakes_and_returns_result() {
        let mut ops = Ops::new();
        let key = ops.insert();
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        assert!(ops.poll(key, &mut cx).is_pending());
        let to_wake = ops
            .complete(key, cqe(7, 0))
            .waker
            .expect("waiting slot yields its waker");
        to_wake.wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(ops.poll(key, &mut cx), Poll::Ready(cqe(7, 0)));
        assert!(ops.is_empty());
    }

    #[test]
    fn completion_before_first_poll_is_kept() {
        let mut ops = Ops::new();
        let key = ops.insert();
        assert!(ops.complete(key, cqe(-libc::ENOENT, 0)).waker.is_none());
        let (_, w) = waker();
        let mut cx = Context::from_waker(&w);
        assert_eq!(ops.poll(key, &mut cx), Poll::Ready(cqe(-libc::ENOENT, 0)));
        assert!(ops.is_empty());
    }

    #[test]
    fn repoll_with_new_waker_replaces_it() {
        let mut ops = Ops::new();
        let key = ops.insert();
        let (first, w1) = waker();
        let (second, w2) = waker();
        assert!(ops.poll(key, &mut Context::from_waker(&w1)).is_pending());
        assert!(ops.poll(key, &mut Context::from_waker(&w2)).is_pending());
        ops.complete(key, cqe(0, 0)).waker.unwrap().wake();
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn drop_in_flight_keeps_data_until_final_cqe() {
        let mut ops = Ops::new();
        let key = ops.insert();
        let (data, seen, freed) = probe();
        assert!(is_cancel(ops.drop_op(key, data)));
        assert!(
            !*freed.borrow(),
            "data must live while the kernel may use it"
        );
        assert!(ops.contains(key), "slot must not be reused before the CQE");
        let reaped = ops.complete(key, cqe(-libc::ECANCELED, 0));
        assert!(reaped.waker.is_none());
        assert!(
            !*freed.borrow(),
            "freed data is handed back, dropped by the caller"
        );
        drop(reaped.freed.expect("final completion frees the data"));
        assert!(*freed.borrow());
        assert_eq!(*seen.borrow(), vec![cqe(-libc::ECANCELED, 0)]);
        assert!(ops.is_empty());
    }

    #[test]
    fn drop_before_submit_or_poll_is_a_cancel() {
        // A slot exists only once the SQE is queued, so "drop before the first poll" of a
        // submitted op is the Submitted state.
        let mut ops = Ops::new();
        let key = ops.insert();
        let (data, _, freed) = probe();
        assert!(is_cancel(ops.drop_op(key, data)));
        assert!(!*freed.borrow());
        drop(ops.complete(key, cqe(0, 0)));
        assert!(*freed.borrow());
    }

    #[test]
    fn drop_after_completion_frees_immediately() {
        let mut ops = Ops::new();
        let key = ops.insert();
        drop(ops.complete(key, cqe(3, 0)));
        let (data, seen, freed) = probe();
        let dropped = ops.drop_op(key, data);
        assert!(finished(dropped));
        assert!(*freed.borrow());
        assert_eq!(
            *seen.borrow(),
            vec![cqe(3, 0)],
            "an untaken completion reaches the data"
        );
        assert!(ops.is_empty());
    }

    #[test]
    fn orphan_sees_new_fd_to_close() {
        let mut ops = Ops::new();
        let key = ops.insert();
        let (data, seen, _) = probe();
        assert!(is_cancel(ops.drop_op(key, data)));
        drop(ops.complete(key, cqe(42, 0)));
        assert_eq!(seen.borrow()[0].result, 42);
    }

    #[test]
    fn multishot_queues_until_final() {
        let mut ops = Ops::new();
        let key = ops.insert_multi();
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        assert!(ops.poll_multi(key, &mut cx).is_pending());
        ops.complete(key, cqe(5, MORE)).waker.unwrap().wake();
        assert!(
            ops.complete(key, cqe(6, MORE)).waker.is_none(),
            "waker already taken"
        );
        drop(ops.complete(key, cqe(7, 0)));
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            ops.poll_multi(key, &mut cx),
            Poll::Ready(Some(cqe(5, MORE)))
        );
        assert_eq!(
            ops.poll_multi(key, &mut cx),
            Poll::Ready(Some(cqe(6, MORE)))
        );
        assert_eq!(ops.poll_multi(key, &mut cx), Poll::Ready(Some(cqe(7, 0))));
        assert!(ops.contains(key));
        assert_eq!(ops.poll_multi(key, &mut cx), Poll::Ready(None));
        assert!(ops.is_empty());
    }

    #[test]
    fn multishot_dropped_with_queue_hands_queued_to_orphan_then_waits() {
        let mut ops = Ops::new();
        let key = ops.insert_multi();
        drop(ops.complete(key, cqe(10, MORE)));
        drop(ops.complete(key, cqe(11, MORE)));
        let (data, seen, freed) = probe();
        assert!(is_cancel(ops.drop_op(key, data)));
        assert_eq!(seen.borrow().len(), 2);
        drop(ops.complete(key, cqe(12, MORE)));
        assert!(!*freed.borrow());
        drop(ops.complete(key, cqe(-libc::ECANCELED, 0)));
        assert!(*freed.borrow());
        assert_eq!(seen.borrow().len(), 4);
        assert!(ops.is_empty());
    }

    /// Records what it observes.
    struct Watch(RefCell<Vec<i32>>);
    impl Observer for Watch {
        fn observe(&self, c: Completion) {
            self.0.borrow_mut().push(c.result);
        }
    }

    #[test]
    fn observer_sees_queued_completions_at_reap_and_not_after_the_drop() {
        let mut ops = Ops::new();
        let watch = Rc::new(Watch(RefCell::new(Vec::new())));
        let a = ops.insert_multi_observed(Some(watch.clone()));
        let b = ops.insert_multi();
        ops.complete(
            a,
            Completion {
                result: 1,
                flags: MORE,
            },
        );
        ops.complete(
            b,
            Completion {
                result: 9,
                flags: MORE,
            },
        );
        ops.complete(
            a,
            Completion {
                result: 2,
                flags: MORE,
            },
        );
        // Seen at reap, in order, before the future took anything.
        assert_eq!(*watch.0.borrow(), [1, 2]);
        let (p, seen, _) = probe();
        assert!(is_cancel(ops.drop_op(a, p)));
        // After the drop, the orphan sees completions; the observer does not.
        ops.complete(
            a,
            Completion {
                result: 3,
                flags: 0,
            },
        );
        assert_eq!(*watch.0.borrow(), [1, 2]);
        let results: Vec<i32> = seen.borrow().iter().map(|c| c.result).collect();
        assert_eq!(results, [1, 2, 3]);
    }

    #[test]
    fn multishot_dropped_after_final_frees() {
        let mut ops = Ops::new();
        let key = ops.insert_multi();
        drop(ops.complete(key, cqe(1, 0)));
        let (data, seen, freed) = probe();
        let dropped = ops.drop_op(key, data);
        assert!(finished(dropped));
        assert!(*freed.borrow());
        assert_eq!(seen.borrow().len(), 1);
        assert!(ops.is_empty());
    }

    #[test]
    fn unknown_key_is_ignored() {
        let mut ops = Ops::new();
        assert!(ops.complete(99, cqe(0, 0)).waker.is_none());
        assert!(ops.is_empty());
    }

    #[test]
    fn in_flight_keys_excludes_completed() {
        let mut ops = Ops::new();
        let a = ops.insert();
        let b = ops.insert();
        drop(ops.complete(a, cqe(0, 0)));
        assert_eq!(ops.in_flight_keys(), vec![b]);
    }

    #[test]
    fn single_shot_poll_on_an_ignored_slot_keeps_its_data() {
        // Defect 6: the catch-all arm of `poll` used to overwrite any slot with `Waiting`,
        // dropping an `Ignored` slot's data while the kernel may still write into it.
        let mut ops = Ops::new();
        let key = ops.insert();
        let (data, _, freed) = probe();
        assert!(is_cancel(ops.drop_op(key, data)));
        let (_, w) = waker();
        assert!(ops.poll(key, &mut Context::from_waker(&w)).is_pending());
        assert!(!*freed.borrow(), "the orphan's data must stay in its slot");
        drop(ops.complete(key, cqe(-libc::ECANCELED, 0)));
        assert!(ops.is_empty(), "the final completion still frees the slot");
    }

    #[test]
    fn completed_untaken_slot_does_not_await_the_kernel() {
        // Defect 6: DEFER_TASKRUN decides whether to enter from the ops awaiting the kernel,
        // not from slab occupancy.
        let mut ops = Ops::new();
        let a = ops.insert();
        let m = ops.insert_multi();
        assert_eq!(ops.awaiting(), 2);
        drop(ops.complete(a, cqe(1, 0)));
        assert_eq!(
            ops.awaiting(),
            1,
            "a completed, untaken slot awaits nothing"
        );
        drop(ops.complete(m, cqe(1, MORE)));
        assert_eq!(ops.awaiting(), 1);
        drop(ops.complete(m, cqe(0, 0)));
        assert_eq!(ops.awaiting(), 0);
        assert_eq!(ops.len(), 2, "both slots still wait for their futures");
    }
}
