//! Tasks: spawn, join, abort, panics, detach, yield, spawn_blocking.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use uring_rt::{spawn, spawn_blocking, yield_now, Runtime};

#[test]
fn ten_thousand_tasks_complete_with_their_outputs() {
    let rt = Runtime::new().unwrap();
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..10_000u64)
            .map(|i| {
                spawn(async move {
                    yield_now().await;
                    i * 2
                })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 2 * (9_999 * 10_000 / 2));
    assert_eq!(
        rt.live_tasks(),
        0,
        "every task freed its slot in the live list"
    );
}

#[test]
fn non_send_futures_run_locally() {
    let rt = Runtime::new().unwrap();
    let counter = Rc::new(Cell::new(0));
    rt.block_on(async {
        let handles: Vec<_> = (0..100)
            .map(|_| {
                let c = counter.clone();
                spawn(async move { c.set(c.get() + 1) })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(counter.get(), 100);
}

#[test]
fn abort_of_task_blocked_on_timer_cancels_it_and_drops_its_future() {
    struct SetOnDrop(Rc<Cell<bool>>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let rt = Runtime::new().unwrap();
    let dropped = Rc::new(Cell::new(false));
    let d = dropped.clone();
    let start = std::time::Instant::now();
    rt.block_on(async move {
        let handle = spawn(async move {
            let _guard = SetOnDrop(d);
            uring_rt::time::sleep(Duration::from_secs(3600)).await;
            1
        });
        yield_now().await; // let it start and block on the timer
        assert!(!handle.is_finished());
        handle.abort();
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
    });
    assert!(dropped.get(), "the aborted task's future was dropped");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(rt.live_tasks(), 0);
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let handle = spawn(async { 9 });
        yield_now().await;
        assert!(handle.is_finished());
        handle.abort();
        assert_eq!(handle.await.unwrap(), 9);
    });
}

#[test]
fn panic_in_task_is_isolated_and_reported() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let bad = spawn(async {
            yield_now().await;
            panic!("task exploded");
        });
        let good = spawn(async {
            yield_now().await;
            yield_now().await;
            "still running"
        });
        let err = bad.await.unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("task exploded"), "{err}");
        assert_eq!(good.await.unwrap(), "still running");
    });
    // The runtime keeps working after a task panicked.
    assert_eq!(rt.block_on(async { spawn(async { 3 }).await.unwrap() }), 3);
}

#[test]
fn dropping_the_join_handle_detaches_the_task() {
    let rt = Runtime::new().unwrap();
    let (tx, rx) = async_channel::bounded(1);
    rt.block_on(async move {
        drop(spawn(async move {
            uring_rt::time::sleep(Duration::from_millis(5)).await;
            tx.send(11).await.unwrap();
        }));
        assert_eq!(rx.recv().await.unwrap(), 11);
    });
}

#[test]
fn spawn_blocking_returns_result_and_reports_panic() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let main_thread = std::thread::current().id();
        let (value, thread) = spawn_blocking(|| (21 * 2, std::thread::current().id()))
            .await
            .unwrap();
        assert_eq!(value, 42);
        assert_ne!(thread, main_thread, "ran on the blocking pool");
        let err = spawn_blocking(|| panic!("blocking boom"))
            .await
            .unwrap_err();
        assert!(err.is_panic());
        // Many at once: the pool grows and every result arrives.
        let hs: Vec<_> = (0..64u64)
            .map(|i| {
                spawn_blocking(move || {
                    std::thread::sleep(Duration::from_millis(2));
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        assert_eq!(sum, 63 * 64 / 2);
    });
}

#[test]
fn yield_now_lets_other_tasks_run() {
    let rt = Runtime::new().unwrap();
    let order = Rc::new(std::cell::RefCell::new(Vec::new()));
    let o = order.clone();
    rt.block_on(async move {
        let o2 = o.clone();
        let other = spawn(async move { o2.borrow_mut().push("other") });
        yield_now().await;
        o.borrow_mut().push("main");
        other.await.unwrap();
    });
    assert_eq!(*order.borrow(), vec!["other", "main"]);
}

#[test]
#[should_panic(expected = "outside of a uring-rt runtime")]
fn spawn_outside_runtime_panics_with_a_clear_message() {
    drop(spawn(async {}));
}

#[test]
fn nested_block_on_is_refused() {
    let rt = Runtime::new().unwrap();
    let inner = Runtime::new().unwrap();
    let result = rt.block_on(async {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.block_on(async {})))
    });
    let msg = result.unwrap_err();
    let msg = msg
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| msg.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(msg.contains("inside a uring-rt runtime"), "{msg}");
}

#[test]
fn shutdown_cancels_pending_tasks_and_frees_them() {
    struct Flag(Rc<Cell<u32>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let drops = Rc::new(Cell::new(0));
    let rt = Runtime::new().unwrap();
    let handles = rt.block_on(async {
        (0..100)
            .map(|_| {
                let f = Flag(drops.clone());
                spawn(async move {
                    let _f = f;
                    std::future::pending::<()>().await
                })
            })
            .collect::<Vec<_>>()
    });
    assert_eq!(rt.live_tasks(), 100);
    drop(rt);
    assert_eq!(
        drops.get(),
        100,
        "every pending future was dropped at shutdown"
    );
    for h in handles {
        assert!(h.is_finished());
    }
}

#[test]
fn tokios_task_paths_spawn_as_the_crate_root_does() {
    use std::rc::Rc;
    let got = uring_rt::start(async {
        let local = Rc::new(2);
        let l = local.clone();
        let a = uring_rt::task::spawn_local(async move { *l });
        let b = uring_rt::task::spawn(async {
            uring_rt::task::yield_now().await;
            3
        });
        let c = uring_rt::task::spawn_blocking(|| 4);
        a.await.unwrap() + b.await.unwrap() + c.await.unwrap()
    });
    assert_eq!(got, 9);
}
