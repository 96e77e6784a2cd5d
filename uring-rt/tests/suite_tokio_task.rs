//! tokio's task tests (`tokio/tests/task_panic.rs`, `rt_panic.rs`, `join_handle_panic.rs`,
//! `task_yield_now.rs`, `coop_budget.rs`, the current-thread cases of `task_local_set.rs`,
//! `rt_metrics.rs`, `rt_shutdown_err.rs`, and the metric checks of `rt_basic.rs`), restated
//! for uring-rt. Every runtime here is what tokio calls a `LocalSet` on a current-thread
//! runtime: `spawn` (and `task::spawn_local`) take `!Send` futures.
//!
//! Not translated:
//! - `block_in_place`, `LocalSet::{new, block_on, run_until, enter}`, multi-thread flavours.
//! - `task_local!` cases: `suite_tokio_task_local.rs`.
//! - the `Builder::{worker_threads, max_blocking_threads, ...}` panic locations: no such
//!   options.
//! - `num_workers`, `global_queue_depth`, busy durations: not in our metrics (one worker).
//! - `is_rt_shutdown_err`: a socket is not tied to the runtime that made it here; the test
//!   below checks that it keeps working on another runtime instead.
//! - `signal_ctrl_c.rs`: `tests/tests/signal_ctrl_c.rs` covers it.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use uring_rt::net::UdpSocket;
use uring_rt::runtime::{DriverKind, Handle};
use uring_rt::task::coop::has_budget_remaining;
use uring_rt::task::{consume_budget, unconstrained};
use uring_rt::Runtime;

fn rt() -> Runtime {
    Runtime::new().unwrap()
}

/// The file a panic inside `f` reports as its location.
fn panic_file(f: impl FnOnce()) -> Option<String> {
    let file = Arc::new(Mutex::new(None));
    let seen = file.clone();
    let me = thread::current().id();
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if thread::current().id() == me {
            *seen.lock().unwrap() = info.location().map(|l| l.file().to_string());
        }
    }));
    let caught = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(prev);
    assert!(caught.is_err(), "expected a panic");
    let file = file.lock().unwrap().take();
    file
}

/// `task_panic.rs`, `rt_panic.rs`: misuse panics point at the caller's line.
#[test]
fn misuse_panics_name_the_callers_file() {
    let here = Some(file!().to_string());
    assert_eq!(panic_file(|| drop(uring_rt::spawn(async {}))), here);
    assert_eq!(
        panic_file(|| drop(uring_rt::task::spawn_local(async {}))),
        here
    );
    assert_eq!(panic_file(|| drop(uring_rt::spawn_blocking(|| ()))), here);
    assert_eq!(panic_file(|| drop(Handle::current())), here);
    let rt = rt();
    assert_eq!(
        panic_file(|| {
            rt.block_on(async {
                let task = uring_rt::spawn(std::future::pending::<()>());
                task.abort();
                let err = task.await.unwrap_err();
                assert!(!err.is_panic());
                let _ = err.into_panic();
            })
        }),
        here
    );
    assert_eq!(
        panic_file(|| rt.block_on(async { rt.block_on(async {}) })),
        here
    );
    assert_eq!(
        panic_file(|| rt.block_on(async { Handle::current().block_on(async {}) })),
        here
    );
}

/// `join_handle_panic.rs`: an output whose destructor panics does not panic the code that
/// drops the handle.
#[test]
fn dropping_a_handle_whose_output_panics_in_drop_does_not_panic() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("I told you so");
        }
    }
    let rt = rt();
    rt.block_on(async {
        let finished = uring_rt::spawn(async { PanicsOnDrop });
        let unfinished = uring_rt::spawn(async {
            uring_rt::time::sleep(Duration::from_millis(5)).await;
            PanicsOnDrop
        });
        uring_rt::time::sleep(Duration::from_millis(1)).await;
        assert!(finished.is_finished());
        drop(finished);
        drop(unfinished);
        uring_rt::time::sleep(Duration::from_millis(10)).await;
    });
    assert_eq!(rt.live_tasks(), 0);
}

#[derive(Default)]
struct CountWakes(std::sync::atomic::AtomicUsize);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// `yield_now_outside_of_runtime`: polled by hand, it is pending once and wakes at once.
#[test]
fn yield_now_outside_a_runtime_wakes_itself_and_then_completes() {
    let wakes = Arc::new(CountWakes::default());
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(uring_rt::yield_now());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(fut.as_mut().poll(&mut cx).is_ready());
}

/// `yield_now_external_executor_and_block_in_place`: another executor nested in a task, or
/// `Handle::block_on` where a runtime is entered but not running, sees its yields woken at
/// once (the runtime, blocked under it, could not wake them).
#[test]
fn yield_now_under_another_executor_on_a_runtime_thread_completes() {
    let rt = rt();
    rt.block_on(async {
        let nested = uring_rt::spawn(async {
            futures::executor::block_on(async {
                for _ in 0..3 {
                    uring_rt::yield_now().await;
                }
                "nested"
            })
        });
        assert_eq!(nested.await.unwrap(), "nested");
    });
    let _guard = rt.enter();
    let handle = Handle::current();
    handle.block_on(async {
        uring_rt::yield_now().await;
        // Unconstrained there: the budget never runs out.
        for _ in 0..1000 {
            consume_budget().await;
        }
        assert!(has_budget_remaining());
    });
}

/// `test_has_budget_remaining`, `coop_consume_budget`, `coop_unconstrained`.
#[test]
fn the_budget_runs_out_after_128_units_and_unconstrained_lifts_it() {
    uring_rt::start(async {
        assert!(has_budget_remaining());
        for _ in 0..128 {
            consume_budget().await;
        }
        assert!(!has_budget_remaining());
        // The next unit yields first: a fresh poll, a fresh budget.
        consume_budget().await;
        assert!(has_budget_remaining());

        let counted = Rc::new(Cell::new(0));
        let c = counted.clone();
        let mut worker = Box::pin(async move {
            for _ in 0..1000 {
                c.set(c.get() + 1);
                consume_budget().await;
            }
        });
        poll_fn(|cx| {
            assert!(worker.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        assert!(
            counted.get() < 1000,
            "ran {} rounds in one poll",
            counted.get()
        );

        uring_rt::yield_now().await;
        let before = has_budget_remaining();
        unconstrained(async {
            for _ in 0..1000 {
                consume_budget().await;
            }
            assert!(has_budget_remaining());
        })
        .await;
        assert_eq!(has_budget_remaining(), before);
    });
}

/// `coop_budget_udp_send_recv`: 1024 UDP round trips in one task while another task counts
/// its turns. On the epoll driver the operations complete without waiting, so only the
/// budget (two units per round trip) lets the counter run: once per 64 rounds, as tokio, that
/// is 15 times in 2048 units (the unit after each 128th yields; no 2049th unit comes). On
/// io_uring each operation waits for its completion, so the counter runs at least as often.
#[test]
fn a_task_of_instant_udp_round_trips_yields_once_per_budget() {
    for kind in [DriverKind::Epoll, DriverKind::IoUring] {
        let rt = match Runtime::builder().driver(kind).build() {
            Ok(rt) => rt,
            Err(e) => {
                println!("skipping {kind:?}: {e}");
                continue;
            }
        };
        let turns = rt.block_on(async {
            let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
            let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
            tx.connect(rx.local_addr().unwrap()).await.unwrap();
            rx.connect(tx.local_addr().unwrap()).await.unwrap();
            let turns = Rc::new(Cell::new(0usize));
            let t = turns.clone();
            uring_rt::yield_now().await;
            uring_rt::spawn(async move {
                loop {
                    t.set(t.get() + 1);
                    uring_rt::yield_now().await;
                }
            });
            for _ in 0..1024 {
                let (n, _) = tx.send(b"Hello, world".to_vec()).await;
                assert_eq!(n.unwrap(), 12);
                let (n, buf) = rx.recv(vec![0u8; 12]).await;
                assert_eq!(n.unwrap(), 12);
                assert_eq!(buf, b"Hello, world");
            }
            turns.get()
        });
        match kind {
            DriverKind::Epoll => assert_eq!(turns, (2 * 1024 - 1) / 128),
            _ => assert!(turns >= (2 * 1024 - 1) / 128, "{turns}"),
        }
    }
}

/// `all_spawns_are_local`, `nested_spawn_is_local`, `localset_future_drives_all_local_futs`,
/// `local_tasks_wake_join_all`: `!Send` tasks, nested or not, run on the runtime's thread.
#[test]
fn local_tasks_and_their_nested_spawns_run_on_the_runtime_thread() {
    let rt = rt();
    let here = thread::current().id();
    rt.block_on(async move {
        let shared = Rc::new(Cell::new(0));
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let s = shared.clone();
                uring_rt::task::spawn_local(async move {
                    assert_eq!(thread::current().id(), here);
                    let inner = uring_rt::spawn(async move {
                        uring_rt::yield_now().await;
                        thread::current().id()
                    });
                    assert_eq!(inner.await.unwrap(), here);
                    s.set(s.get() + i);
                    i
                })
            })
            .collect();
        let outs: Vec<_> = futures::future::join_all(handles)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(outs, (0..100).collect::<Vec<_>>());
        assert_eq!(shared.get(), (0..100).sum::<i32>());
    });
}

/// `join_local_future_elsewhere`: a local task's handle is awaited on another thread.
#[test]
fn a_local_tasks_handle_is_awaited_on_another_thread() {
    let rt = rt();
    rt.block_on(async {
        let rc = Rc::new(5);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = uring_rt::spawn(async move {
            let v = *rc;
            uring_rt::time::sleep(Duration::from_millis(2)).await;
            v * 2
        });
        thread::spawn(move || {
            tx.send(futures::executor::block_on(task).unwrap()).unwrap();
        });
        assert_eq!(rx.await.unwrap(), 10);
    });
}

/// `drop_cancels_remote_tasks`: a task waiting on a channel fed by another thread is dropped
/// with the runtime, which the other thread sees as a closed channel.
#[test]
fn dropping_the_runtime_closes_channels_of_tasks_waiting_on_other_threads() {
    let rt = rt();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    rt.spawn(async move { while rx.recv().await.is_some() {} });
    rt.block_on(uring_rt::yield_now());
    assert!(!tx.is_closed());
    drop(rt);
    assert!(tx.is_closed());
}

/// `rt_metrics.rs` (`num_alive_tasks`, `worker_park_count`) and `rt_basic.rs`'s `spawn_two` /
/// `spawn_remote` counts: local spawns are not remote schedules; one wake-up from another
/// thread is one.
#[test]
fn metrics_count_live_tasks_parks_and_remote_wake_ups() {
    let rt = rt();
    assert_eq!(rt.live_tasks(), 0);
    let task = rt.spawn(async { uring_rt::time::sleep(Duration::from_millis(1)).await });
    assert_eq!(rt.live_tasks(), 1);
    rt.block_on(task).unwrap();
    assert_eq!(rt.live_tasks(), 0);
    assert!(rt.metrics().parks >= 1);

    let before = rt.metrics();
    let out = rt.block_on(async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        uring_rt::spawn(async move {
            drop(uring_rt::spawn(async move { tx.send("ZOMG").unwrap() }));
        });
        rx.await.unwrap()
    });
    assert_eq!(out, "ZOMG");
    assert_eq!(rt.metrics().since(&before).remote_wakes, 0);

    let before = rt.metrics();
    rt.block_on(async {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = uring_rt::spawn(async move { rx.await.unwrap() });
        // The task waits on its channel before the other thread sends.
        uring_rt::yield_now().await;
        thread::spawn(move || {
            go_rx.recv().unwrap();
            tx.send("remote").unwrap();
        });
        go_tx.send(()).unwrap();
        assert_eq!(task.await.unwrap(), "remote");
    });
    assert_eq!(rt.metrics().since(&before).remote_wakes, 1);
}

/// `rt_shutdown_err.rs`: a listener outlives the runtime that bound it and serves on another
/// one; a `JoinError` becomes an `io::Error` that says what happened.
#[test]
fn a_listener_outlives_its_runtime_and_join_errors_convert_to_io_errors() {
    let rt1 = rt();
    let listener = rt1.block_on(async { uring_rt::net::TcpListener::bind("127.0.0.1:0").unwrap() });
    drop(rt1);
    let rt2 = rt();
    let addr = listener.local_addr().unwrap();
    let client = thread::spawn(move || std::net::TcpStream::connect(addr).unwrap().local_addr());
    let (_, peer) = rt2.block_on(listener.accept()).unwrap();
    assert_eq!(peer, client.join().unwrap().unwrap());

    let panicked = rt2
        .block_on(rt2.spawn(async { panic!("oops") }))
        .unwrap_err();
    let io: std::io::Error = panicked.into();
    assert_eq!(io.kind(), std::io::ErrorKind::Other);
    assert!(io.to_string().contains("oops"), "{io}");
    let task = rt2.spawn(std::future::pending::<()>());
    task.abort();
    let io: std::io::Error = rt2.block_on(task).unwrap_err().into();
    assert!(io.to_string().contains("cancelled"), "{io}");
}
