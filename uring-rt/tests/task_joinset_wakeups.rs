//! `uring_rt::task::JoinSet` when tasks finish late, on other threads or in great numbers:
//! wake-ups of a pending `join_next`, spawns between selects, cancel safety, sets and tasks on
//! other threads, blocking tasks, 10,000 tasks. The rest of tokio's JoinSet behaviours are in
//! `task_joinset.rs`.

use futures::channel::oneshot;
use futures::FutureExt;
use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use uring_rt::runtime::Handle;
use uring_rt::task::JoinSet;
use uring_rt::time::sleep;

#[test]
fn a_task_spawned_after_a_pending_poll_wakes_the_waiter() {
    uring_rt::start(async {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);

        let mut set = JoinSet::new();
        set.spawn(pending::<u32>());
        assert!(set.poll_join_next(&mut cx).is_pending());
        // Spawned while the waiter is parked on the set: finishing it must wake that waiter.
        set.spawn(async { 9 });
        uring_rt::yield_now().await;
        assert!(counter.0.load(Ordering::SeqCst) >= 1);
        assert!(matches!(
            set.poll_join_next(&mut cx),
            Poll::Ready(Some(Ok(9)))
        ));
        assert_eq!(set.len(), 1);
    });
}

fn spawn_sleeper(set: &mut JoinSet<u64>, ms: u64) {
    set.spawn(async move {
        sleep(Duration::from_millis(ms)).await;
        ms
    });
}

#[test]
fn tasks_spawned_between_selects_are_picked_up() {
    // A supervisor loop: wait for either a finished task or a new job; jobs arrive while the
    // previous join_next was pending (and then dropped, which is cancel safe).
    uring_rt::start(async {
        let (jobs_tx, mut jobs_rx) = futures::channel::mpsc::unbounded::<u64>();
        uring_rt::spawn(async move {
            for ms in [5u64, 1, 3, 0, 2] {
                sleep(Duration::from_millis(1)).await;
                jobs_tx.unbounded_send(ms).unwrap();
            }
        });
        let mut set = JoinSet::new();
        let mut results = Vec::new();
        let mut jobs_open = true;
        while jobs_open || !set.is_empty() {
            // An empty set answers `None` at once (as tokio's): then only a job can come.
            if set.is_empty() {
                match futures::StreamExt::next(&mut jobs_rx).await {
                    Some(ms) => spawn_sleeper(&mut set, ms),
                    None => jobs_open = false,
                }
                continue;
            }
            futures::select_biased! {
                res = set.join_next().fuse() => results.push(res.unwrap().unwrap()),
                job = futures::StreamExt::next(&mut jobs_rx) => match job {
                    Some(ms) => spawn_sleeper(&mut set, ms),
                    None => jobs_open = false,
                },
            }
        }
        results.sort();
        assert_eq!(results, [0, 1, 2, 3, 5]);
    });
}

#[test]
fn ten_thousand_tasks_join_in_any_order() {
    uring_rt::start(async {
        const N: u64 = 10_000;
        let mut set = JoinSet::new();
        let mut senders = Vec::with_capacity(N as usize);
        for i in 0..N {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(tx);
            set.spawn(async move {
                rx.await.unwrap();
                i
            });
        }
        assert_eq!(set.len(), N as usize);
        // Release them from last to first; each join finds the one that just finished.
        let (mut count, mut sum) = (0u64, 0u64);
        while let Some(tx) = senders.pop() {
            tx.send(()).unwrap();
            let i = set.join_next().await.unwrap().unwrap();
            assert_eq!(i, senders.len() as u64);
            count += 1;
            sum += i;
        }
        assert_eq!((count, sum), (N, N * (N - 1) / 2));
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn a_set_joins_tasks_of_another_thread() {
    let (handle_tx, handle_rx) = std::sync::mpsc::channel::<Handle>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let other = std::thread::spawn(move || {
        uring_rt::start(async move {
            handle_tx.send(Handle::current()).unwrap();
            let _ = stop_rx.await;
        })
    });
    let remote = handle_rx.recv().unwrap();
    let here = std::thread::current().id();
    uring_rt::start(async move {
        let mut set = JoinSet::new();
        for i in 0..100u64 {
            set.spawn_on(
                async move {
                    sleep(Duration::from_millis(i % 5)).await;
                    (i, std::thread::current().id())
                },
                &remote,
            );
        }
        let mut sum = 0;
        while let Some(res) = set.join_next().await {
            let (i, thread) = res.unwrap();
            assert_ne!(thread, here, "ran on the other runtime");
            sum += i;
        }
        assert_eq!(sum, 99 * 100 / 2);
    });
    stop_tx.send(()).unwrap();
    other.join().unwrap();
}

#[test]
fn a_set_moved_to_another_thread_is_joined_there() {
    // Tasks run on this runtime; the set (Send, as T is) is joined on another thread.
    uring_rt::start(async {
        let mut set = JoinSet::new();
        let (go_tx, go_rx) = futures::channel::oneshot::channel::<()>();
        let go = go_rx.shared();
        for i in 0..50u32 {
            let go = go.clone();
            set.spawn(async move {
                go.await.unwrap();
                i
            });
        }
        let joiner = std::thread::spawn(move || {
            uring_rt::start(async move {
                let mut sum = 0;
                while let Some(res) = set.join_next().await {
                    sum += res.unwrap();
                }
                sum
            })
        });
        go_tx.send(()).unwrap();
        // Keep this runtime running its tasks until the joiner is done.
        while !joiner.is_finished() {
            sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(joiner.join().unwrap(), 49 * 50 / 2);
    });
}

#[test]
fn join_next_is_cancel_safe() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        let (tx, rx) = oneshot::channel::<()>();
        set.spawn(async move {
            rx.await.unwrap();
            3
        });
        {
            let mut fut = pin!(set.join_next());
            let pending = poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_pending())).await;
            assert!(pending);
        } // dropped while waiting
        tx.send(()).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.join_next().await.unwrap().unwrap(), 3);
    });
}

#[test]
fn blocking_tasks_join_with_the_rest() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        for i in 0..4u64 {
            set.spawn_blocking(move || i * 2);
        }
        set.spawn(async { 100 });
        let mut all = set.join_all().await;
        all.sort();
        assert_eq!(all, [0, 2, 4, 6, 100]);
    });
}

#[test]
fn join_set_is_send_when_its_output_is() {
    fn assert_send<S: Send>() {}
    assert_send::<JoinSet<u32>>();
    assert_send::<uring_rt::task::AbortHandle>();
}

/// Counts wake-ups.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
