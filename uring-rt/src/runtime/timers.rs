//! The runtime's timers: a min-heap of deadlines over a slab of entries.
//!
//! # Invariants
//!
//! - Each registered timer owns one slab entry; the heap holds `(deadline, seq, key)` for it.
//!   Cancelling removes the entry and leaves its heap item behind; a heap item whose entry is
//!   gone or carries another `seq` is stale and skipped. When stale items outnumber live ones
//!   the heap is rebuilt, so memory stays within twice the live timers.
//! - The earliest live deadline is the park timeout of the ring: an idle runtime sleeps in the
//!   kernel until then, and no timer costs an SQE.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::{Context, Waker};
use std::time::Instant;

use slab::Slab;

/// Identifies a registered timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    key: usize,
    seq: u64,
}

#[derive(Debug)]
struct Entry {
    deadline: Instant,
    seq: u64,
    waker: Option<Waker>,
    fired: bool,
}

/// The timer store of one runtime.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64, usize)>>,
    entries: Slab<Entry>,
    next_seq: u64,
}

/// Bytes one pending timer costs: its slab entry plus its heap item.
pub const TIMER_SIZE: usize =
    std::mem::size_of::<Entry>() + std::mem::size_of::<(Instant, u64, usize)>();

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers::default()
    }

    /// Number of live timers.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Registers a timer firing at `deadline` that wakes `waker`.
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> TimerKey {
        let seq = self.bump();
        let key = self.entries.insert(Entry {
            deadline,
            seq,
            waker: Some(waker),
            fired: false,
        });
        self.heap.push(Reverse((deadline, seq, key)));
        TimerKey { key, seq }
    }

    fn bump(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Whether the timer fired; if not, remembers `cx`'s waker.
    pub(crate) fn poll(&mut self, timer: TimerKey, cx: &mut Context<'_>) -> bool {
        let Some(entry) = self.entry_mut(timer) else {
            return true;
        };
        if entry.fired {
            return true;
        }
        match &entry.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => entry.waker = Some(cx.waker().clone()),
        }
        false
    }

    /// Moves a timer to a new deadline (re-arming it if it fired). Returns the new key.
    pub(crate) fn reset(&mut self, timer: TimerKey, deadline: Instant) -> Option<TimerKey> {
        let seq = self.bump();
        let entry = self
            .entries
            .get_mut(timer.key)
            .filter(|e| e.seq == timer.seq)?;
        entry.deadline = deadline;
        entry.seq = seq;
        entry.fired = false;
        self.heap.push(Reverse((deadline, seq, timer.key)));
        self.maybe_compact();
        Some(TimerKey {
            key: timer.key,
            seq,
        })
    }

    /// Cancels a timer (fired or not).
    pub(crate) fn remove(&mut self, timer: TimerKey) {
        if self.entry_mut(timer).is_some() {
            self.entries.remove(timer.key);
            self.maybe_compact();
        }
    }

    fn entry_mut(&mut self, timer: TimerKey) -> Option<&mut Entry> {
        self.entries
            .get_mut(timer.key)
            .filter(|e| e.seq == timer.seq)
    }

    /// Fires every timer due at `now`, pushing their wakers to `wake`.
    pub(crate) fn fire(&mut self, now: Instant, wake: &mut Vec<Waker>) {
        while let Some(Reverse((deadline, seq, key))) = self.heap.peek().copied() {
            if deadline > now {
                break;
            }
            self.heap.pop();
            if let Some(entry) = self.entries.get_mut(key) {
                if entry.seq == seq && !entry.fired {
                    entry.fired = true;
                    wake.extend(entry.waker.take());
                }
            }
        }
    }

    /// The earliest deadline of a live, unfired timer (dropping stale heap items on the way).
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((deadline, seq, key))) = self.heap.peek().copied() {
            match self.entries.get(key) {
                Some(e) if e.seq == seq && !e.fired => return Some(deadline),
                _ => {
                    self.heap.pop();
                }
            }
        }
        None
    }

    fn maybe_compact(&mut self) {
        if self.heap.len() > 64 && self.heap.len() > 2 * self.entries.len() {
            let live: Vec<_> = self
                .entries
                .iter()
                .filter(|(_, e)| !e.fired)
                .map(|(k, e)| Reverse((e.deadline, e.seq, k)))
                .collect();
            self.heap = BinaryHeap::from(live);
        }
    }

    /// Number of items in the heap (live and stale), for tests.
    #[cfg(test)]
    fn heap_len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;
    use std::time::Duration;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    #[test]
    fn fires_in_deadline_order_only_when_due() {
        let mut t = Timers::new();
        let now = Instant::now();
        let (c1, w1) = waker();
        let (c2, w2) = waker();
        let late = t.insert(now + Duration::from_millis(20), w1);
        let early = t.insert(now + Duration::from_millis(10), w2);
        assert_eq!(t.next_deadline(), Some(now + Duration::from_millis(10)));
        let mut wake = Vec::new();
        t.fire(now + Duration::from_millis(5), &mut wake);
        assert!(wake.is_empty());
        t.fire(now + Duration::from_millis(15), &mut wake);
        assert_eq!(wake.len(), 1);
        wake.drain(..).for_each(Waker::wake);
        assert_eq!(c2.0.load(Ordering::SeqCst), 1);
        assert_eq!(c1.0.load(Ordering::SeqCst), 0);
        let (_, w) = waker();
        assert!(t.poll(early, &mut Context::from_waker(&w)));
        assert!(!t.poll(late, &mut Context::from_waker(&w)));
    }

    #[test]
    fn removed_timer_never_fires_and_is_skipped() {
        let mut t = Timers::new();
        let now = Instant::now();
        let (c, w) = waker();
        let k = t.insert(now, w);
        t.remove(k);
        assert_eq!(t.next_deadline(), None);
        let mut wake = Vec::new();
        t.fire(now + Duration::from_secs(1), &mut wake);
        assert!(wake.is_empty());
        assert_eq!(c.0.load(Ordering::SeqCst), 0);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn reused_slot_is_not_fired_by_stale_heap_item() {
        let mut t = Timers::new();
        let now = Instant::now();
        let (_, w) = waker();
        let old = t.insert(now, w);
        t.remove(old);
        let (c, w) = waker();
        let new = t.insert(now + Duration::from_secs(60), w);
        let mut wake = Vec::new();
        t.fire(now + Duration::from_millis(1), &mut wake);
        assert!(wake.is_empty(), "stale item must not fire the new timer");
        assert_eq!(c.0.load(Ordering::SeqCst), 0);
        assert!(t.remove_is_live(new));
    }

    #[test]
    fn reset_moves_deadline() {
        let mut t = Timers::new();
        let now = Instant::now();
        let (_, w) = waker();
        let k = t.insert(now, w);
        let k = t.reset(k, now + Duration::from_secs(5)).unwrap();
        let mut wake = Vec::new();
        t.fire(now + Duration::from_millis(1), &mut wake);
        assert!(wake.is_empty());
        assert_eq!(t.next_deadline(), Some(now + Duration::from_secs(5)));
        t.remove(k);
    }

    #[test]
    fn heap_is_compacted_after_many_cancellations() {
        let mut t = Timers::new();
        let now = Instant::now();
        let (_, w) = waker();
        for i in 0..10_000u64 {
            let k = t.insert(now + Duration::from_secs(i), w.clone());
            t.remove(k);
        }
        assert!(
            t.heap_len() <= 130,
            "heap kept {} stale items",
            t.heap_len()
        );
    }

    impl Timers {
        fn remove_is_live(&mut self, k: TimerKey) -> bool {
            self.entry_mut(k).is_some()
        }
    }
}
