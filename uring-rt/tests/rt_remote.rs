//! Cross-thread wake-ups and `Handle::spawn`.

use std::time::Duration;

use uring_rt::runtime::Handle;
use uring_rt::Runtime;

#[test]
fn async_channel_wakes_the_runtime_from_another_thread() {
    let rt = Runtime::new().unwrap();
    let (tx, rx) = async_channel::unbounded::<u32>();
    let sender = std::thread::spawn(move || {
        for i in 0..1000 {
            if i % 100 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            tx.send_blocking(i).unwrap();
        }
    });
    let sum = rt.block_on(async move {
        let mut sum = 0;
        while let Ok(v) = rx.recv().await {
            sum += v;
        }
        sum
    });
    sender.join().unwrap();
    assert_eq!(sum, 999 * 1000 / 2);
}

#[test]
fn a_parked_runtime_is_woken_by_a_remote_wake() {
    let rt = Runtime::new().unwrap();
    let (tx, rx) = async_channel::bounded::<()>(1);
    let sender = std::thread::spawn(move || {
        // Long enough for the runtime to park in io_uring_enter.
        std::thread::sleep(Duration::from_millis(50));
        tx.send_blocking(()).unwrap();
    });
    let start = std::time::Instant::now();
    rt.block_on(async move { rx.recv().await.unwrap() });
    assert!(start.elapsed() < Duration::from_secs(5));
    sender.join().unwrap();
}

#[test]
fn tokio_and_futures_channels_work_across_threads() {
    let rt = Runtime::new().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(16);
    let (otx, orx) = futures::channel::oneshot::channel::<u64>();
    let t = std::thread::spawn(move || {
        for i in 0..100 {
            tx.blocking_send(i).unwrap();
        }
        drop(tx);
        std::thread::sleep(Duration::from_millis(10));
        otx.send(7).unwrap();
    });
    let (sum, seven) = rt.block_on(async move {
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        (sum, orx.await.unwrap())
    });
    t.join().unwrap();
    assert_eq!(sum, 4950);
    assert_eq!(seven, 7);
}

#[test]
fn handle_spawn_from_another_thread_runs_on_the_runtime_thread() {
    let rt = Runtime::new().unwrap();
    let rt_thread = std::thread::current().id();
    let handle = rt.handle();
    let (tx, rx) = async_channel::bounded(1);
    let t = std::thread::spawn(move || {
        let jh = handle.spawn(async move {
            uring_rt::io::nop().await.unwrap();
            std::thread::current().id()
        });
        tx.send_blocking(jh).unwrap();
    });
    let ran_on = rt.block_on(async move { rx.recv().await.unwrap().await.unwrap() });
    t.join().unwrap();
    assert_eq!(ran_on, rt_thread);
}

#[test]
fn join_handle_from_handle_spawn_is_awaited_on_another_runtime() {
    // Runtime A (other thread) spawns onto runtime B (this thread) and awaits the result.
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let (done_tx, done_rx) = async_channel::bounded::<u64>(1);
    let t = std::thread::spawn(move || {
        let other = Runtime::new().unwrap();
        let v = other.block_on(async move {
            let mut total = 0;
            for i in 0..1000u64 {
                total += handle.spawn(async move { i }).await.unwrap();
            }
            total
        });
        done_tx.send_blocking(v).unwrap();
    });
    let v = rt.block_on(async move { done_rx.recv().await.unwrap() });
    t.join().unwrap();
    assert_eq!(v, 999 * 1000 / 2);
}

#[test]
fn handle_spawn_after_shutdown_reports_cancelled() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    drop(rt);
    let jh = handle.spawn(async { 1 });
    assert!(jh.is_finished());
    let other = Runtime::new().unwrap();
    let err = other.block_on(jh).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
fn handle_current_outside_a_runtime_is_an_error() {
    assert!(Handle::try_current().is_err());
}
