//! tokio's shutdown and waker-lifetime tests from `tokio/tests/rt_common.rs` (current-thread
//! half) and `rt_basic.rs`, restated for `uring_rt::Runtime` (see `suite_tokio_rt.rs` for the
//! rest of those files and what is not translated): dropping a runtime drops every task's
//! future, eagerly and inside the runtime's context, also while other threads wake them,
//! while their destructors wake each other, while `block_on` unwinds, and from a
//! thread-local destructor; wakers outlive their runtime harmlessly.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;

use tokio::sync::{oneshot, Barrier};
use uring_rt::runtime::Handle;
use uring_rt::Runtime;

fn rt() -> Runtime {
    Runtime::new().unwrap()
}

#[test]
fn outstanding_tasks_are_dropped_with_the_runtime_not_before() {
    let rt = rt();
    let cnt = Arc::new(());
    let c = cnt.clone();
    rt.block_on(async move {
        uring_rt::spawn(poll_fn(move |_| {
            assert_eq!(Arc::strong_count(&c), 2);
            Poll::<()>::Pending
        }));
        uring_rt::yield_now().await;
    });
    assert_eq!(Arc::strong_count(&cnt), 2);
    drop(rt);
    assert_eq!(Arc::strong_count(&cnt), 1);
}

/// `wake_in_drop_after_panic`: `block_on` panics while tasks whose destructors wake each other
/// are pending; the runtime's drop during the unwind must not panic again.
#[test]
#[should_panic(expected = "boom")]
fn tasks_waking_each_other_in_drop_after_a_block_on_panic() {
    let rt = rt();
    let (tx1, rx1) = oneshot::channel::<()>();
    let (tx2, rx2) = oneshot::channel::<()>();
    rt.spawn(async move {
        let _wake = tx2;
        let _ = rx1.await;
        unreachable!();
    });
    rt.spawn(async move {
        let _wake = tx1;
        let _ = rx2.await;
        unreachable!();
    });
    rt.block_on(async {
        uring_rt::yield_now().await;
        panic!("boom");
    });
}

#[test]
fn futures_of_pending_tasks_are_dropped_eagerly_in_the_runtimes_context() {
    struct Never(std::sync::mpsc::Sender<bool>);
    impl Future for Never {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }
    impl Drop for Never {
        fn drop(&mut self) {
            // `drop_tasks_in_context`: the runtime is current while it drops its tasks.
            self.0.send(Handle::try_current().is_ok()).unwrap();
        }
    }
    let rt = rt();
    let (drop_tx, drop_rx) = std::sync::mpsc::channel();
    let (run_tx, run_rx) = oneshot::channel();
    rt.block_on(async move {
        uring_rt::spawn(async move {
            run_tx.send(()).unwrap();
            Never(drop_tx).await
        });
        run_rx.await.unwrap();
    });
    // Never-polled tasks too.
    let (drop_tx2, drop_rx2) = std::sync::mpsc::channel();
    let never_polled = rt.spawn(Never(drop_tx2));
    assert!(drop_rx.try_recv().is_err());
    drop(rt);
    assert!(drop_rx.recv().unwrap());
    assert!(drop_rx2.recv().unwrap());
    let err = futures::executor::block_on(never_polled).unwrap_err();
    assert!(err.is_cancelled());
}

/// `wake_while_rt_is_dropping` and `acquire_mutex_in_drop`: destructors of tasks dropped at
/// shutdown wake other tasks of the same runtime.
#[test]
fn tasks_woken_by_destructors_during_shutdown() {
    struct OnDrop<F: FnMut()>(F);
    impl<F: FnMut()> Drop for OnDrop<F> {
        fn drop(&mut self) {
            (self.0)()
        }
    }
    let rt = rt();
    let (tx1, rx1) = oneshot::channel::<()>();
    let (tx2, rx2) = oneshot::channel::<()>();
    let barrier = Arc::new(Barrier::new(3));
    let (b1, b2) = (barrier.clone(), barrier.clone());
    let dropped = Arc::new(AtomicUsize::new(0));
    let (d1, d2) = (dropped.clone(), dropped.clone());
    rt.spawn(async move {
        let mut tx2 = Some(tx2);
        let _d = OnDrop(move || {
            let _ = tx2.take().unwrap().send(());
            d1.fetch_add(1, Ordering::SeqCst);
        });
        let _ = futures::join!(rx1, b1.wait());
    });
    rt.spawn(async move {
        let mut tx1 = Some(tx1);
        let _d = OnDrop(move || {
            let _ = tx1.take().unwrap().send(());
            d2.fetch_add(1, Ordering::SeqCst);
        });
        let _ = futures::join!(rx2, b2.wait());
    });
    rt.block_on(barrier.wait());
    drop(rt);
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
}

/// `shutdown_concurrent_spawn`: another thread completes the tasks' channels while the
/// runtime drops them.
#[test]
fn shutdown_while_another_thread_wakes_thousands_of_tasks() {
    for _ in 0..3 {
        let rt = rt();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let txs: Vec<_> = (0..10_000)
            .map(|_| {
                let (tx, rx) = oneshot::channel::<()>();
                rt.spawn(async move { rx.await.unwrap() });
                tx
            })
            .collect();
        rt.block_on(uring_rt::yield_now());
        assert_eq!(rt.live_tasks(), 10_000);
        let th = thread::spawn(move || {
            ready_tx.send(()).unwrap();
            for tx in txs {
                let _ = tx.send(());
            }
        });
        ready_rx.recv().unwrap();
        drop(rt);
        th.join().unwrap();
    }
}

/// `wake_by_ref_from_thread_local` / `wake_by_val_from_thread_local`: a task's waker kept in a
/// thread-local outlives the runtime and is woken while the thread's locals are destroyed.
#[test]
fn a_waker_woken_after_its_runtime_is_gone_from_a_thread_local_destructor() {
    struct Keep {
        by_ref: bool,
        waker: Option<Waker>,
        done: std::sync::mpsc::Sender<()>,
    }
    impl Drop for Keep {
        fn drop(&mut self) {
            let waker = self.waker.take().unwrap();
            if self.by_ref {
                waker.wake_by_ref();
            } else {
                waker.wake();
            }
            let _ = self.done.send(());
        }
    }
    thread_local! {
        static KEEP: RefCell<Option<Keep>> = const { RefCell::new(None) };
    }
    for by_ref in [true, false] {
        let (done, woke) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let rt = rt();
            let task = rt.spawn(poll_fn(move |cx| {
                let keep = Keep {
                    by_ref,
                    waker: Some(cx.waker().clone()),
                    done: done.clone(),
                };
                KEEP.with(|k| *k.borrow_mut() = Some(keep));
                Poll::Ready(())
            }));
            rt.block_on(task).unwrap();
        })
        .join()
        .unwrap();
        woke.recv().unwrap();
    }
}

#[test]
fn a_runtime_kept_in_a_thread_local_is_dropped_at_thread_exit() {
    thread_local! {
        static RT: RefCell<Option<Runtime>> = const { RefCell::new(None) };
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let d = dropped.clone();
    thread::spawn(move || {
        RT.with(|cell| {
            let rt = rt();
            struct Flag(Arc<AtomicBool>);
            impl Drop for Flag {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::SeqCst);
                }
            }
            let flag = Flag(d);
            rt.spawn(async move {
                let _flag = flag;
                std::future::pending::<()>().await
            });
            *cell.borrow_mut() = Some(rt);
        });
        let _second = rt();
    })
    .join()
    .unwrap();
    assert!(dropped.load(Ordering::SeqCst));
}
