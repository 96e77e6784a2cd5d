//! tokio's tests of blocking closures and of shutting a runtime down around them
//! (`tokio/tests/task_blocking.rs`, `rt_spawn_blocking.rs`, the blocking and shutdown cases of
//! `rt_common.rs` and `rt_handle_block_on.rs`), restated for `uring_rt::spawn_blocking`,
//! `Handle::{spawn_blocking, block_on}` and `Runtime::{shutdown_timeout, shutdown_background}`.
//!
//! What tokio users rely on and these tests check: the closure's handle completes whether or
//! not its runtime still runs; dropping the runtime waits for the closures it started (a
//! timeout or `shutdown_background` bounds the wait); after shutdown no closure starts;
//! `Handle::current()` works inside a closure; `Handle::block_on` may not run on a thread that
//! drives a runtime.
//!
//! Not translated:
//! - `block_in_place` (multi-thread only in tokio; none here) and the tests built on it.
//! - `sleep_from_blocking`, `fs`/`tcp`/`udp` "after shutdown" cases of `rt_handle_block_on.rs`:
//!   our timers and I/O belong to the runtime's thread; a blocking thread uses std's.
//! - `useful_panic_message_when_dropping_rt_in_rt`: a runtime may be dropped inside another's
//!   `block_on` here (`suite_tokio_rt.rs`).
//! - `start_paused` / `test-util` cases: no paused clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use uring_rt::runtime::Handle;
use uring_rt::task::JoinSet;
use uring_rt::Runtime;

mod support;
use support::bounded;

fn rt() -> Runtime {
    Runtime::new().unwrap()
}

/// tokio's blocking tasks run outside the cooperative budget: an executor driven inside a
/// closure may complete any number of budgeted steps (here 1,000 `consume_budget` calls,
/// far over one poll's 128) without ever being told to yield.
#[test]
fn a_blocking_closure_runs_without_a_cooperative_budget() {
    let done = bounded(|| {
        let rt = rt();
        rt.block_on(async {
            uring_rt::spawn_blocking(|| {
                futures::executor::block_on(async {
                    for _ in 0..1000 {
                        uring_rt::task::consume_budget().await;
                    }
                    assert!(uring_rt::task::coop::has_budget_remaining());
                });
                1000
            })
            .await
            .unwrap()
        })
    });
    assert_eq!(done, 1000);
}

#[test]
fn blocking_closures_return_from_tasks_again_and_again() {
    let rt = rt();
    rt.block_on(async {
        for i in 0..50u32 {
            let out = uring_rt::spawn(async move {
                uring_rt::spawn_blocking(move || {
                    thread::sleep(Duration::from_micros(200));
                    i * 2
                })
                .await
                .unwrap()
            })
            .await
            .unwrap();
            assert_eq!(out, i * 2);
        }
    });
    assert_eq!(
        rt.block_on(rt.spawn_blocking(|| "from Runtime")).unwrap(),
        "from Runtime"
    );
}

/// `spawn_from_blocking`, `spawn_blocking_from_blocking`: inside a closure the runtime's
/// handle is current; tasks spawned through it run on the runtime's thread.
#[test]
fn a_blocking_closure_spawns_tasks_and_closures_on_its_runtime() {
    let rt = rt();
    let runtime_thread = thread::current().id();
    let (task, inner_blocking, closure_thread) = rt.block_on(async {
        uring_rt::spawn_blocking(|| {
            let task = Handle::current().spawn(async { (thread::current().id(), "hello") });
            let inner = uring_rt::spawn_blocking(|| "nested");
            (task, inner, thread::current().id())
        })
        .await
        .unwrap()
    });
    assert_ne!(closure_thread, runtime_thread);
    let (ran_on, msg) = rt.block_on(task).unwrap();
    assert_eq!((ran_on, msg), (runtime_thread, "hello"));
    assert_eq!(rt.block_on(inner_blocking).unwrap(), "nested");
    assert!(std::panic::catch_unwind(|| drop(uring_rt::spawn_blocking(|| ()))).is_err());
}

/// `socket_from_blocking`: a blocking closure connects with std while the runtime accepts.
#[test]
fn a_blocking_closure_connects_to_a_listener_of_the_runtime() {
    let rt = rt();
    rt.block_on(async {
        let listener = uring_rt::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = uring_rt::spawn_blocking(move || {
            let s = std::net::TcpStream::connect(addr).unwrap();
            s.local_addr().unwrap()
        });
        let (_stream, seen) = listener.accept().await.unwrap();
        assert_eq!(peer.await.unwrap(), seen);
    });
}

#[test]
fn a_panicking_closure_is_a_join_error_with_its_payload() {
    let rt = rt();
    let err = rt
        .block_on(rt.spawn_blocking(|| -> u8 { panic!("blocking boom") }))
        .unwrap_err();
    assert!(err.is_panic() && !err.is_cancelled());
    assert!(err.to_string().contains("blocking boom"), "{err}");
    let payload = err.into_panic();
    assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "blocking boom");
    // The runtime and the pool go on.
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 1)).unwrap(), 1);
}

/// tokio: aborting a closure that already runs changes nothing; it returns its output.
#[test]
fn aborting_a_running_closure_keeps_its_output() {
    let rt = rt();
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let task = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        "finished"
    });
    started_rx.recv().unwrap();
    task.abort();
    go_tx.send(()).unwrap();
    assert_eq!(rt.block_on(task).unwrap(), "finished");
}

/// tokio's `Drop for Runtime` waits for the blocking closures it started.
#[test]
fn dropping_the_runtime_waits_for_running_closures() {
    let rt = rt();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let (started_tx, started_rx) = mpsc::channel();
    let task = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(30));
        d.store(true, Ordering::SeqCst);
        7
    });
    started_rx.recv().unwrap();
    drop(rt);
    assert!(done.load(Ordering::SeqCst));
    // `spawn_blocking_started_before_shutdown_continues`: its handle has the output.
    assert_eq!(futures::executor::block_on(task).unwrap(), 7);
}

/// `shutdown_timeout`, `shutdown_timeout_0`, `shutdown_background`: the wait is bounded, the
/// closure runs on detached, and its handle still gets the output once it returns.
#[test]
fn shutdown_timeout_and_background_return_while_a_closure_still_runs() {
    for background in [false, true] {
        let rt = rt();
        let (started_tx, started_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let task = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            "late"
        });
        started_rx.recv().unwrap();
        if background {
            rt.shutdown_background();
        } else {
            rt.shutdown_timeout(Duration::from_millis(20));
        }
        assert!(!task.is_finished());
        go_tx.send(()).unwrap();
        assert_eq!(futures::executor::block_on(task).unwrap(), "late");
    }
}

/// `shutdown_wakeup_time`, `can_shutdown_with_zero_timeout_in_runtime`,
/// `can_shutdown_now_in_runtime`: with no closure left the shutdown returns at once, also
/// from inside another runtime.
#[test]
fn shutdowns_without_closures_return_even_inside_another_runtime() {
    // A wrong wait or a starved driver would hang: fail after 20 s instead.
    support::bounded(shutdowns_without_closures_return_even_inside_another_runtime_body);
}

fn shutdowns_without_closures_return_even_inside_another_runtime_body() {
    let rt1 = rt();
    rt1.block_on(uring_rt::time::sleep(Duration::from_millis(5)));
    rt1.shutdown_timeout(Duration::from_secs(10_000));
    let outer = rt();
    outer.block_on(async {
        let inner = rt();
        let held = Arc::new(());
        let h = held.clone();
        let task = inner.spawn(async move {
            std::future::pending::<()>().await;
            drop(h)
        });
        inner.shutdown_timeout(Duration::ZERO);
        assert_eq!(Arc::strong_count(&held), 1);
        assert!(task.await.unwrap_err().is_cancelled());
        rt().shutdown_background();
    });
}

/// `spawn_blocking_after_shutdown_fails`, `spawn_after_runtime_dropped`: after the runtime is
/// gone, closures and tasks given to its handle never run and report cancelled.
#[test]
fn after_shutdown_the_handle_cancels_closures_and_tasks_without_running_them() {
    let rt = rt();
    let handle = rt.handle();
    let before = handle.spawn(std::future::pending::<()>());
    drop(rt);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let closure = handle.spawn_blocking(move || r.store(true, Ordering::SeqCst));
    let after = handle.spawn(std::future::pending::<()>());
    assert!(handle.block_on(closure).unwrap_err().is_cancelled());
    assert!(handle.block_on(before).unwrap_err().is_cancelled());
    assert!(handle.block_on(after).unwrap_err().is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));
}

/// `basic_spawn_blocking` and `rt_handle_block_on.rs`'s `basic`: `Handle::block_on` from
/// another thread waits for a closure and for a task the runtime's thread runs.
#[test]
fn handle_block_on_from_another_thread_waits_for_closures_and_tasks() {
    let rt = rt();
    let handle = rt.handle();
    let (tx, rx) = mpsc::channel();
    let other = thread::spawn(move || {
        let answer = handle.block_on(handle.spawn_blocking(|| 42)).unwrap();
        #[allow(clippy::async_yields_async)] // the handle is awaited below, on purpose
        let task = handle.block_on(async {
            // `Handle::current()` is the handle inside.
            Handle::current().spawn(async { thread::current().id() })
        });
        tx.send(()).unwrap();
        (answer, handle.block_on(task).unwrap())
    });
    let runtime_thread = thread::current().id();
    // The runtime runs here until the other thread is done with it.
    rt.block_on(async {
        let (wake_tx, wake_rx) = tokio::sync::oneshot::channel();
        thread::spawn(move || {
            rx.recv().unwrap();
            wake_tx.send(()).unwrap();
        });
        wake_rx.await.unwrap();
        // Let the task spawned last run before leaving.
        uring_rt::yield_now().await;
    });
    rt.block_on(uring_rt::yield_now());
    let (answer, ran_on) = other.join().unwrap();
    assert_eq!(answer, 42);
    assert_eq!(ran_on, runtime_thread);
}

/// `nesting`: blocking on a handle inside a running runtime panics instead of deadlocking.
#[test]
fn handle_block_on_inside_a_runtime_panics() {
    let rt = rt();
    let msg = rt.block_on(async {
        let caught = std::panic::catch_unwind(|| Handle::current().block_on(async { 1 }));
        let err = caught.unwrap_err();
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap()
    });
    assert!(msg.contains("runs a uring-rt runtime"), "{msg}");
    // Inside an `enter` guard (not running) it is allowed.
    let _guard = rt.enter();
    assert_eq!(Handle::current().block_on(async { 2 }), 2);
}

/// `issue_8056_regression_test`: short closures, and closures blocked on channels in join
/// sets, interleaved; each round must finish (bounded by a timeout).
#[test]
fn join_sets_of_blocking_receivers_and_quick_closures_all_finish() {
    type Senders = Vec<tokio::sync::mpsc::Sender<()>>;
    fn writers() -> (Senders, JoinSet<usize>) {
        let mut senders = Vec::new();
        let mut set = JoinSet::new();
        for _ in 0..2 {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
            senders.push(tx);
            set.spawn_blocking(move || {
                let mut n = 0;
                while rx.blocking_recv().is_some() {
                    n += 1;
                }
                n
            });
        }
        (senders, set)
    }
    async fn quick() {
        uring_rt::spawn_blocking(|| {}).await.unwrap();
    }
    async fn drive(senders: Senders, mut set: JoinSet<usize>) -> usize {
        for tx in &senders {
            tx.send(()).await.unwrap();
        }
        drop(senders);
        let mut got = 0;
        while let Some(res) = set.join_next().await {
            got += res.unwrap();
        }
        got
    }
    for _ in 0..50 {
        let rt = rt();
        let got = rt.block_on(async {
            uring_rt::time::timeout(Duration::from_secs(10), async {
                quick().await;
                let (kept_senders, kept_set) = writers();
                for _ in 0..2 {
                    quick().await;
                    let (senders, mut set) = writers();
                    drop(senders);
                    while let Some(res) = set.join_next().await {
                        assert_eq!(res.unwrap(), 0);
                    }
                }
                let (second_senders, second_set) = writers();
                drive(kept_senders, kept_set).await + drive(second_senders, second_set).await
            })
            .await
            .expect("blocking closures hung")
        });
        assert_eq!(got, 4);
    }
}
