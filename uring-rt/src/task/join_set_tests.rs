//! Unit tests of `JoinSet`'s bookkeeping, on a bare task scheduler (no ring, no runtime):
//! joining polls only finished tasks, and stale ready keys are skipped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::JoinSet;
use crate::task::{Local, Unpark};

struct NoUnpark;

impl Unpark for NoUnpark {
    fn unpark(&self) {}
}

/// Returns `Pending` `n` times (waking itself each time), then `Ready`.
struct Yields(u32);

impl Future for Yields {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn poll_set<T>(set: &mut JoinSet<T>) -> Poll<Option<Result<T, super::JoinError>>> {
    let waker = futures::task::noop_waker();
    set.poll_join_next(&mut Context::from_waker(&waker))
}

#[test]
fn ten_thousand_tasks_are_each_polled_once_by_the_set() {
    const N: u64 = 10_000;
    let local = Local::new(Box::new(NoUnpark));
    let _entered = local.enter();
    let mut set = JoinSet::new();
    for i in 0..N {
        set.spawn(async move {
            Yields((i % 4) as u32).await;
            i
        });
    }
    assert_eq!(set.len(), N as usize);
    // Nothing has run: the set has nothing to look at, whatever its size.
    assert!(poll_set(&mut set).is_pending());
    assert_eq!(set.handle_polls, 0);

    let (mut joined, mut sum) = (0u64, 0u64);
    for _round in 0..100 {
        local.run(1000);
        while let Poll::Ready(Some(res)) = poll_set(&mut set) {
            sum += res.unwrap();
            joined += 1;
        }
        if set.is_empty() {
            break;
        }
    }
    assert_eq!(joined, N);
    assert_eq!(sum, N * (N - 1) / 2);
    assert!(matches!(poll_set(&mut set), Poll::Ready(None)));
    // One handle poll per finished task: no scan of the tasks still running.
    assert_eq!(set.handle_polls, N);
}

#[test]
fn keys_of_detached_tasks_are_skipped_after_their_slots_are_reused() {
    let local = Local::new(Box::new(NoUnpark));
    let _entered = local.enter();
    let mut set = JoinSet::new();
    for i in 0..3u32 {
        set.spawn(async move { i });
    }
    set.detach_all();
    for i in 10..13u32 {
        set.spawn(async move {
            Yields(1).await;
            i
        });
    }
    // The detached tasks finish first and queue keys naming slots 0..3, now reused.
    local.run(usize::MAX);
    local.run(usize::MAX);
    let mut got = Vec::new();
    while let Poll::Ready(Some(res)) = poll_set(&mut set) {
        got.push(res.unwrap());
    }
    got.sort();
    assert_eq!(got, [10, 11, 12]);
    assert_eq!(set.handle_polls, 3, "the three stale keys were not polled");
}

#[test]
fn try_join_next_takes_only_finished_tasks() {
    let local = Local::new(Box::new(NoUnpark));
    let _entered = local.enter();
    let mut set = JoinSet::new();
    set.spawn(async { 1u8 });
    set.spawn(async {
        Yields(1).await;
        2u8
    });
    assert!(set.try_join_next().is_none());
    local.run(1); // the first task only
    assert_eq!(set.try_join_next().unwrap().unwrap(), 1);
    assert!(set.try_join_next().is_none());
    local.run(usize::MAX);
    local.run(usize::MAX);
    assert_eq!(set.try_join_next().unwrap().unwrap(), 2);
    assert!(set.try_join_next().is_none());
    assert!(set.is_empty());
}
