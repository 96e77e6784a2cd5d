//! `uring_rt::task::JoinSet` as tokio users know it: the behaviours of tokio's own JoinSet
//! tests (translated, not copied). Late spawns, cross-thread sets and many tasks are in
//! `task_joinset_wakeups.rs`; `AbortHandle` has its own file, `task_abort.rs`.

use std::cell::Cell;
use std::future::pending;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::FutureExt;
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
