//! `uring_rt::task::JoinSet` as tokio users know it: the behaviours of tokio's own JoinSet
//! tests (translated, not copied), plus joining many tasks, late spawns and cross-thread sets.
//! `AbortHandle` has its own file, `task_abort.rs`.

use std::cell::Cell;
use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures::channel::oneshot;
use futures::FutureExt;
use uring_rt::runtime::Handle;
use uring_rt::task::JoinSet;
use uring_rt::time::sleep;

/// Spawns `n` tasks that hold an `Rc` (not `Send`) and return their index.
fn spawn_index_tasks(set: &mut JoinSet<usize>, n: usize) {
    for i in 0..n {
        let rc = Rc::new(i);
        set.spawn_local(async move { *rc });
    }
}

/// Spawns `n` tasks that never finish and hold a sender; the receivers see `Canceled` once
/// the tasks' futures are dropped.
fn spawn_pending_tasks(set: &mut JoinSet<()>, n: usize) -> Vec<oneshot::Receiver<()>> {
    (0..n)
        .map(|_| {
            let (tx, rx) = oneshot::channel::<()>();
            set.spawn(async move {
                pending::<()>().await;
                drop(tx);
            });
            rx
        })
        .collect()
}

async fn assert_all_dropped(receivers: Vec<oneshot::Receiver<()>>) {
    for rx in receivers {
        assert_eq!(
            rx.await,
            Err(oneshot::Canceled),
            "the task's future was dropped"
        );
    }
}

async fn drain_and_check_indices(mut set: JoinSet<usize>, n: usize) {
    let mut seen = vec![false; n];
    while let Some(res) = set.join_next().await {
        seen[res.unwrap()] = true;
    }
    assert!(seen.iter().all(|&s| s));
    assert!(set.is_empty());
}

#[test]
fn len_detach_all_and_rounds_of_sleeping_tasks() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        for i in 0..10 {
            set.spawn(async move { i });
            assert_eq!(set.len(), i + 1);
        }
        set.detach_all();
        assert_eq!(set.len(), 0);
        assert!(set.join_next().await.is_none());

        for _round in 0..2 {
            for i in 0..10usize {
                set.spawn(async move {
                    sleep(Duration::from_millis(i as u64)).await;
                    i
                });
            }
            let mut seen = [false; 10];
            while let Some(i) = set.join_next().await.transpose().unwrap() {
                seen[i] = true;
            }
            assert!(seen.iter().all(|&s| s));
            assert!(set.join_next().await.is_none());
        }
    });
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        let receivers = spawn_pending_tasks(&mut set, 16);
        uring_rt::yield_now().await; // let them start
        drop(set);
        assert_all_dropped(receivers).await;
    });
}

#[test]
fn alternating_spawn_and_join() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        set.spawn(async {});
        set.spawn(async {});
        assert_eq!(set.len(), 2);
        for _ in 0..16 {
            let () = set.join_next().await.unwrap().unwrap();
            assert_eq!(set.len(), 1);
            set.spawn(async {});
            assert_eq!(set.len(), 2);
        }
    });
}

#[test]
fn abort_handles_from_spawn_cancel_their_tasks() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        for i in 0..16u64 {
            let abort = set.spawn(async move {
                sleep(Duration::from_millis(i)).await;
                i
            });
            if i % 2 == 1 {
                abort.abort();
            }
        }
        let (mut cancelled, mut completed) = (0, 0);
        while let Some(res) = set.join_next().await {
            match res {
                Ok(i) => {
                    assert_eq!(i % 2, 0);
                    completed += 1;
                }
                Err(e) => {
                    assert!(e.is_cancelled());
                    cancelled += 1;
                }
            }
        }
        assert_eq!((cancelled, completed), (8, 8));
    });
}

#[test]
fn a_task_whose_runtime_is_gone_comes_out_cancelled() {
    let mut set = JoinSet::new();
    {
        let rt = uring_rt::Runtime::new().unwrap();
        set.spawn_on(async { 1 }, &rt.handle());
        drop(rt);
    }
    let res = uring_rt::start(set.join_next()).unwrap();
    assert!(res.unwrap_err().is_cancelled());
}

#[test]
fn join_all_returns_every_output() {
    uring_rt::start(async {
        let mut set: JoinSet<i32> = JoinSet::new();
        for _ in 0..5 {
            set.spawn(async { 1 });
        }
        let all: Vec<i32> = set.join_all().await;
        assert_eq!(all, [1; 5]);
    });
}

#[test]
fn join_all_resumes_a_task_panic_and_aborts_the_rest() {
    uring_rt::start(async {
        let mut set: JoinSet<()> = JoinSet::new();
        let (tx, rx) = oneshot::channel::<()>();
        let (_never_tx, never_rx) = oneshot::channel::<()>();
        set.spawn(async move {
            let _ = never_rx.await;
            tx.send(()).unwrap();
        });
        set.spawn(async { panic!("task exploded") });
        assert_eq!(set.len(), 2);
        let err = uring_rt::spawn(set.join_all()).await.unwrap_err();
        assert!(err.is_panic());
        let payload = err.into_panic();
        assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "task exploded");
        // The waiting task was aborted when join_all's set was dropped.
        assert_eq!(rx.await, Err(oneshot::Canceled));
    });
}

#[test]
fn join_all_panics_on_a_cancelled_task() {
    uring_rt::start(async {
        let mut set: JoinSet<()> = JoinSet::new();
        set.spawn(pending()).abort();
        let err = uring_rt::spawn(set.join_all()).await.unwrap_err();
        assert!(err.is_panic());
        let payload = err.into_panic();
        let msg = payload.downcast_ref::<String>().unwrap();
        assert!(msg.contains("cancelled"), "{msg}");
    });
}

#[test]
fn abort_all_keeps_the_tasks_until_joined() {
    uring_rt::start(async {
        let mut set: JoinSet<()> = JoinSet::new();
        for _ in 0..5 {
            set.spawn(pending());
        }
        for _ in 0..5 {
            set.spawn(sleep(Duration::from_millis(1)));
        }
        sleep(Duration::from_millis(20)).await; // five finished, five pending
        set.abort_all();
        assert_eq!(set.len(), 10);
        let (mut ok, mut cancelled) = (0, 0);
        while let Some(res) = set.join_next().await {
            match res {
                Ok(()) => ok += 1,
                Err(e) => {
                    assert!(e.is_cancelled());
                    cancelled += 1;
                }
            }
        }
        assert_eq!((ok, cancelled), (5, 5));
        assert_eq!(set.len(), 0);
    });
}

#[test]
fn finished_tasks_are_joined_with_a_yield_now_and_then() {
    // As tokio's `join_set_coop`: every task has finished, yet `join_next` returns Pending
    // now and then (the cooperative budget of `block_on`'s poll is used up), and all are
    // joined in the end.
    uring_rt::start(async {
        const N: usize = 1000;
        let done = Rc::new(Cell::new(0));
        let mut set = JoinSet::new();
        for i in 0..N {
            let done = done.clone();
            set.spawn(async move {
                done.set(done.get() + 1);
                i
            });
        }
        // Every task finished: a `Pending` from `join_next` below is the budget's.
        while done.get() < N {
            uring_rt::yield_now().await;
        }
        let (mut count, mut sum, mut yielded) = (0, 0, 0);
        loop {
            match set.join_next().now_or_never() {
                Some(Some(res)) => {
                    sum += res.unwrap();
                    count += 1;
                }
                Some(None) => break,
                None => {
                    yielded += 1;
                    uring_rt::yield_now().await;
                }
            }
        }
        assert_eq!((count, sum), (N, N * (N - 1) / 2));
        assert!(yielded >= 1, "the budget never made join_next yield");
    });
}

#[test]
fn try_join_next_returns_only_finished_tasks() {
    uring_rt::start(async {
        const N: usize = 1000;
        let (tx, rx) = tokio::sync::watch::channel(());
        let mut set = JoinSet::new();
        for _ in 0..N {
            let mut rx = rx.clone();
            set.spawn(async move { rx.changed().await.unwrap() });
        }
        drop(rx);
        assert!(set.try_join_next().is_none());
        uring_rt::yield_now().await;
        assert!(set.try_join_next().is_none(), "all are waiting");

        tx.send_replace(());
        tx.closed().await; // every task has finished and dropped its receiver
        let mut count = 0;
        while let Some(res) = set.try_join_next() {
            res.unwrap();
            count += 1;
        }
        assert_eq!(count, N);
        assert!(set.is_empty());
    });
}

#[test]
fn collect_and_extend_spawn_futures() {
    uring_rt::start(async {
        let mut set: JoinSet<usize> = (0..5).map(|i| async move { i }).collect();
        set.extend((5..10).map(|i| async move { i }));
        assert_eq!(set.len(), 10);
        drain_and_check_indices(set, 10).await;
    });
}

#[test]
fn spawn_local_tasks_then_join_shutdown_or_drop() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        spawn_index_tasks(&mut set, 8);
        assert!(set.try_join_next().is_none());
        drain_and_check_indices(set, 8).await;

        let mut set = JoinSet::new();
        let receivers = spawn_pending_tasks(&mut set, 8);
        assert!(set.try_join_next().is_none());
        set.shutdown().await;
        assert!(set.is_empty());
        assert_all_dropped(receivers).await;

        // Dropped before the tasks ever ran.
        let mut set = JoinSet::new();
        let receivers = spawn_pending_tasks(&mut set, 8);
        assert!(set.try_join_next().is_none());
        drop(set);
        assert_all_dropped(receivers).await;
    });
}

#[test]
#[should_panic(expected = "outside of a uring-rt runtime")]
fn spawn_outside_a_runtime_panics_with_a_clear_message() {
    let mut set = JoinSet::new();
    set.spawn_local(async {});
}

#[test]
fn shutdown_ignores_panics_and_empties_the_set() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("ignored by shutdown") });
        set.spawn(pending());
        set.spawn(async {});
        uring_rt::yield_now().await;
        set.shutdown().await;
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn join_next_on_an_empty_set_is_none_at_once() {
    uring_rt::start(async {
        let mut set = JoinSet::<u8>::new();
        assert!(matches!(set.join_next().now_or_never(), Some(None)));
        assert!(set.try_join_next().is_none());
        let mut set = JoinSet::<u8>::default();
        set.shutdown().await;
        assert_eq!(format!("{set:?}"), "JoinSet { len: 0 }");
    });
}

#[test]
fn errors_say_cancelled_or_panic() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("boom") });
        let err = set.join_next().await.unwrap().unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
        assert!(set.is_empty());

        set.spawn(pending()).abort();
        let err = set.join_next().await.unwrap().unwrap_err();
        assert!(err.is_cancelled() && !err.is_panic());
    });
}

#[test]
fn aborting_a_finished_task_keeps_its_output() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        let abort = set.spawn(async { 5 });
        while !abort.is_finished() {
            uring_rt::yield_now().await;
        }
        abort.abort();
        abort.abort();
        assert_eq!(set.join_next().await.unwrap().unwrap(), 5);
    });
}

/// Counts wake-ups.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

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
