//! tokio's runtime tests, current-thread half (`tokio/tests/rt_common.rs` with the
//! `current_thread_scheduler` runtime, `rt_basic.rs`, `rt_handle.rs`), restated for
//! `uring_rt::Runtime`: a thread-per-core runtime whose tasks are local (`spawn` takes `!Send`
//! futures) and whose `Handle::spawn` takes `Send` futures from any thread. tokio's
//! `Arc<Runtime>` shared between threads becomes a `Handle`; `tokio::sync` channels are used
//! as they are (they work on any executor). Shutdown and waker lifetimes:
//! `suite_tokio_rt_shutdown.rs`; blocking closures: `suite_tokio_rt_blocking.rs`; task API,
//! panics, yields and the cooperative budget: `suite_tokio_task.rs`; task-locals:
//! `suite_tokio_task_local.rs`; the attributes: `suite_tokio_macros.rs`.
//!
//! Not translated:
//! - `always_active_parker`, two threads in `block_on` of one runtime: `Runtime` is `!Sync`.
//! - `send_sync_bound`: `Runtime` is `!Send` by design (one per thread).
//! - `local_set_*`: every runtime here is a `LocalSet` (see `suite_tokio_task.rs`).
//! - `coop` / `coop_unconstrained` with tokio's mpsc: tokio's channels follow tokio's budget,
//!   which is off outside tokio; our budget is tested on our own operations instead.
//! - `timeout_panics_when_no_time_handle`, runtime names, rng seeds, `on_thread_park`,
//!   `unhandled_panic`: no such builder options (time and I/O are always enabled).
//! - `runtime_id_is_same` / `runtime_ids_different`: no public runtime id.
//! - `sleep_*` timings: `rt_timers.rs`; `nested_rt`: `rt_spawn.rs`.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Barrier};
use uring_rt::net::{TcpListener, TcpStream, UdpSocket};
use uring_rt::prelude::*;
use uring_rt::runtime::Handle;
use uring_rt::Runtime;

mod support;

fn rt() -> Runtime {
    Runtime::new().unwrap()
}

/// A task that never finishes and wakes itself on every poll (tokio's "under load").
async fn spin() {
    loop {
        uring_rt::yield_now().await;
    }
}

#[test]
fn block_on_runs_a_borrowing_future_and_waits_for_other_threads() {
    let rt = rt();
    let mut touched = false;
    rt.block_on(async { touched = true });
    assert!(touched);

    let out = rt.block_on(async {
        let (tx, rx) = oneshot::channel();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            tx.send("from a thread").unwrap();
        });
        rx.await.unwrap()
    });
    assert_eq!(out, "from a thread");
}

#[test]
fn spawned_tasks_talk_and_join_in_chains() {
    let rt = rt();
    let out = rt.block_on(async {
        let (tx1, rx1) = oneshot::channel();
        let (tx2, rx2) = oneshot::channel();
        let first = uring_rt::spawn(async move {
            tx1.send("ZOMG").unwrap();
            "DONE"
        });
        uring_rt::spawn(async move { tx2.send(rx1.await.unwrap()).unwrap() });
        assert_eq!(first.await.unwrap(), "DONE");
        let nested = uring_rt::spawn(async { uring_rt::spawn(async { "hello" }).await.unwrap() });
        (rx2.await.unwrap(), nested.await.unwrap())
    });
    assert_eq!(out, ("ZOMG", "hello"));
}

/// `spawn_many_from_block_on` and `spawn_many_from_task`: tasks wait for values another thread
/// sends, then report back; every value arrives once.
#[test]
fn many_tasks_fed_from_another_thread_from_block_on_and_from_a_task() {
    async fn fan_out(n: usize) -> Vec<usize> {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel();
        let txs: Vec<_> = (0..n)
            .map(|i| {
                let (tx, rx) = oneshot::channel();
                let done_tx = done_tx.clone();
                uring_rt::spawn(async move {
                    let v = rx.await.unwrap();
                    assert_eq!(v, i);
                    done_tx.send(v).unwrap();
                });
                tx
            })
            .collect();
        drop(done_tx);
        thread::spawn(move || {
            for (i, tx) in txs.into_iter().enumerate() {
                tx.send(i).unwrap();
            }
        });
        let mut out = Vec::new();
        while let Some(v) = done_rx.recv().await {
            out.push(v);
        }
        out.sort_unstable();
        out
    }
    let rt = rt();
    assert_eq!(rt.block_on(fan_out(200)), (0..200).collect::<Vec<_>>());
    let from_task = rt.block_on(async { uring_rt::spawn(fan_out(500)).await.unwrap() });
    assert_eq!(from_task, (0..500).collect::<Vec<_>>());
}

/// `complete_block_on_under_load`, `complete_task_under_load`,
/// `spawn_from_other_thread_idle` / `_under_load`: a task that never stops yielding does not
/// keep wake-ups and spawns from other threads from being served.
#[test]
fn wakes_and_spawns_from_other_threads_are_served_under_load_and_idle() {
    // A wrong wait or a starved driver would hang: fail after 20 s instead.
    support::bounded(wakes_and_spawns_from_other_threads_are_served_under_load_and_idle_body);
}

fn wakes_and_spawns_from_other_threads_are_served_under_load_and_idle_body() {
    let rt = rt();
    rt.block_on(async {
        uring_rt::spawn(spin());
        let (tx1, rx1) = oneshot::channel();
        let (tx2, rx2) = oneshot::channel();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            tx1.send(1).unwrap();
        });
        uring_rt::spawn(async move { tx2.send(rx1.await.unwrap() + 1).unwrap() });
        assert_eq!(rx2.await.unwrap(), 2);

        let (tx, rx) = oneshot::channel();
        let handle = Handle::current();
        thread::spawn(move || handle.spawn(async move { tx.send(7).unwrap() }));
        assert_eq!(rx.await.unwrap(), 7);
    });
    drop(rt);

    // Idle: the runtime is parked in the kernel when the spawn arrives.
    let idle = Runtime::new().unwrap();
    let handle = idle.handle();
    let (tx, rx) = oneshot::channel();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        handle.spawn(async move { tx.send("idle").unwrap() });
    });
    assert_eq!(idle.block_on(rx).unwrap(), "idle");
}

#[test]
fn a_runtime_created_inside_block_on_runs_after_it() {
    let rt1 = rt();
    let rt2 = rt1.block_on(async { rt() });
    assert_eq!(rt2.block_on(async { "ZOMG" }), "ZOMG");
    // And one dropped inside another's block_on.
    rt1.block_on(async { drop(rt2) });
}

#[test]
fn a_panicking_task_drops_its_future_while_unwinding_and_the_runtime_goes_on() {
    struct Boom(Option<oneshot::Sender<bool>>);
    impl Future for Boom {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            panic!("boom in poll");
        }
    }
    impl Drop for Boom {
        fn drop(&mut self) {
            let _ = self.0.take().unwrap().send(thread::panicking());
        }
    }
    let rt = rt();
    let (tx, rx) = oneshot::channel();
    let task = rt.spawn(Boom(Some(tx)));
    assert!(rt.block_on(rx).unwrap(), "dropped during the unwind");
    assert!(rt.block_on(task).unwrap_err().is_panic());
    assert_eq!(rt.block_on(async { 5 }), 5);
}

#[test]
#[should_panic(expected = "boom in block_on")]
fn a_panic_in_block_on_reaches_the_caller() {
    rt().block_on(async { panic!("boom in block_on") });
}

#[test]
fn enter_lets_spawn_run_outside_block_on_and_spawned_tasks_wait_for_it() {
    let rt = rt();
    let ran = Rc::new(Cell::new(false));
    let handle = {
        let _guard = rt.enter();
        assert!(Handle::try_current().is_ok());
        let ran = ran.clone();
        uring_rt::spawn(async move { ran.set(true) })
    };
    assert!(Handle::try_current().is_err());
    // `spawned_task_does_not_progress_without_block_on`.
    let (tx, mut rx) = oneshot::channel();
    rt.spawn(async move { tx.send("hello").unwrap() });
    thread::sleep(Duration::from_millis(20));
    assert!(rx.try_recv().is_err());
    assert!(!ran.get());
    // block_on inside an enter guard runs.
    let _guard = rt.enter();
    rt.block_on(handle).unwrap();
    assert!(ran.get());
    assert_eq!(rt.block_on(rx).unwrap(), "hello");
}

/// `rt_handle.rs`: guards nest; dropping them out of order panics; afterwards the thread is
/// usable and no dropped runtime is current.
#[test]
fn enter_guards_nest_and_out_of_order_drops_panic_without_leaving_a_stale_runtime() {
    let rt1 = rt();
    let rt2 = rt();
    let g1 = rt1.enter();
    let g2 = rt2.enter();
    drop(g2);
    drop(g1);

    let out_of_order = std::panic::catch_unwind(|| {
        let rt1 = rt();
        let rt2 = rt();
        let g1 = rt1.enter();
        let g2 = rt2.enter();
        drop(g1);
        drop(g2);
    });
    let msg = out_of_order.unwrap_err();
    let msg = msg
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| msg.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(msg.contains("dropped out of order"), "{msg}");
    // Both runtimes are gone: nothing is current, so spawning is refused cleanly.
    assert!(Handle::try_current().is_err());
    let spawn = std::panic::catch_unwind(|| drop(uring_rt::spawn(async {})));
    assert!(spawn.is_err());

    let same = std::panic::catch_unwind(|| {
        let rt = rt();
        let _g1 = rt.enter();
        let g2 = rt.enter();
        let g3 = rt.enter();
        drop(g2);
        drop(g3);
    });
    assert!(same.is_err());
    let rt3 = rt();
    let _g = rt3.enter();
    assert_eq!(rt3.block_on(uring_rt::spawn(async { 3 })).unwrap(), 3);
}

/// `no_extra_poll`: a woken task is polled once per wake-up, and not at all otherwise.
#[test]
fn a_task_is_polled_once_per_wake_up() {
    let rt = rt();
    let polls = Rc::new(Cell::new(0));
    let (tx, rx) = async_channel::unbounded::<()>();
    let p = polls.clone();
    let mut recv = Box::pin(async move { while rx.recv().await.is_ok() {} });
    rt.spawn(poll_fn(move |cx| {
        p.set(p.get() + 1);
        recv.as_mut().poll(cx)
    }));
    let tick = || rt.block_on(uring_rt::yield_now());
    tick();
    assert_eq!(polls.get(), 1);
    tick();
    assert_eq!(polls.get(), 1, "not woken: not polled");
    tx.try_send(()).unwrap();
    tick();
    assert_eq!(polls.get(), 2);
    drop(tx);
    tick();
    assert_eq!(polls.get(), 3);
    assert_eq!(rt.live_tasks(), 0);
}

/// `drop_tasks_with_reference_cycle`: two tasks each hold (and poll once) the other's
/// `JoinHandle`. Each handle's registered waker holds the other task: kept after the handle
/// went, the two tasks would never be freed (`ci/asan.sh`'s LeakSanitizer sees that leak).
#[test]
fn tasks_holding_each_others_join_handles_finish_and_free() {
    let rt = rt();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        let barrier = Arc::new(Barrier::new(3));
        let (ba, bb) = (barrier.clone(), barrier.clone());
        let a = uring_rt::spawn(async move {
            let b: uring_rt::JoinHandle<()> = rx.recv().await.unwrap();
            futures::future::select(b, std::future::ready(())).await;
            ba.wait().await;
        });
        let b = uring_rt::spawn(async move {
            futures::future::select(a, std::future::ready(())).await;
            bb.wait().await;
        });
        tx.send(b).await.unwrap();
        barrier.wait().await;
    });
    rt.block_on(uring_rt::yield_now());
    assert_eq!(rt.live_tasks(), 0);
}

/// `block_on_socket`, `client_server_block_on`, `io_notify_while_shutting_down`.
#[test]
fn sockets_from_block_on_and_tasks_and_a_shutdown_with_udp_in_flight() {
    let rt = rt();
    let got = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        uring_rt::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            s.write_all(b"hello").await.0.unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let (n, buf) = c.read_to_end(Vec::new()).await;
        assert_eq!(n.unwrap(), 5);
        buf
    });
    assert_eq!(got, b"hello");

    for _ in 0..5 {
        let rt = Runtime::new().unwrap();
        let sent = Rc::new(Cell::new(0u32));
        let s = sent.clone();
        let progress = sent.clone();
        rt.block_on(async move {
            let socket = Rc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
            let addr = socket.local_addr().unwrap();
            let recv_half = socket.clone();
            uring_rt::spawn(async move {
                loop {
                    let (res, _) = recv_half.recv_from(vec![0u8; 1]).await;
                    res.unwrap();
                }
            });
            uring_rt::spawn(async move {
                loop {
                    socket.send_to(vec![1u8], addr).await.0.unwrap();
                    s.set(s.get() + 1);
                    uring_rt::time::sleep(Duration::from_millis(1)).await;
                }
            });
            // Until the sender made progress (bounded: 5 s), however the completions interleave.
            for _ in 0..5000 {
                if progress.get() > 0 {
                    break;
                }
                uring_rt::time::sleep(Duration::from_millis(1)).await;
            }
        });
        assert!(sent.get() > 0);
        drop(rt);
    }
}

/// `io_driver_called_when_under_load`: a hundred tasks that wake themselves forever do not
/// keep a TCP exchange from completing.
#[test]
fn io_completes_while_a_hundred_tasks_spin() {
    // A wrong wait or a starved driver would hang: fail after 20 s instead.
    support::bounded(io_completes_while_a_hundred_tasks_spin_body);
}

fn io_completes_while_a_hundred_tasks_spin_body() {
    let rt = rt();
    for _ in 0..100 {
        rt.spawn(async {
            loop {
                poll_fn(|cx| {
                    cx.waker().wake_by_ref();
                    Poll::<()>::Pending
                })
                .await;
            }
        });
    }
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let srv = uring_rt::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            s.write_all(b"hello world").await.0.unwrap();
        });
        let cli = uring_rt::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let (res, buf) = s.read_exact(vec![0u8; 11]).await;
            res.unwrap();
            buf
        });
        srv.await.unwrap();
        assert_eq!(cli.await.unwrap(), b"hello world");
    });
}

/// `yield_defers_until_park` / `coop_yield_defers_until_park`: a task that yields (by
/// `yield_now`, or by spending its budget) runs again only after the driver was polled, so a
/// connection made before the yields is accepted within a few of them.
#[test]
fn yields_let_the_driver_run_before_the_task_continues() {
    for use_budget in [false, true] {
        let rt = rt();
        let yields = rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let accepted = Rc::new(Cell::new(false));
            let a = accepted.clone();
            let _acceptor = uring_rt::spawn(async move {
                let _ = listener.accept().await.unwrap();
                a.set(true);
            });
            // Let the accept reach the kernel, then connect (the handshake is synchronous).
            uring_rt::yield_now().await;
            let _client = std::net::TcpStream::connect(addr).unwrap();
            // The yields happen in a task, as in tokio's test: a task woken by its own yield
            // must not run again in the same tick, before the driver saw the connection.
            uring_rt::spawn(async move {
                let mut yields = 0;
                while !accepted.get() && yields < 100 {
                    if use_budget {
                        for _ in 0..128 {
                            uring_rt::task::consume_budget().await;
                        }
                    } else {
                        uring_rt::yield_now().await;
                    }
                    yields += 1;
                }
                yields
            })
            .await
            .unwrap()
        });
        assert!(
            yields < 10,
            "accepted only after {yields} yields (budget: {use_budget})"
        );
    }
}
