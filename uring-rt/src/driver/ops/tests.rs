//! Unit tests of the op slab: every transition with fake completions.

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
