//! `uring_rt::task::AbortHandle` and `JoinHandle::abort`: cancel from anywhere, clone, no-op
//! once finished, the future dropped on its own thread, panics in a cancelled future's drop.

use std::cell::Cell;
use std::future::pending;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

use uring_rt::task::{AbortHandle, JoinSet};
use uring_rt::time::sleep;

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// Not `Send`; records whether it was dropped on the thread that made it.
struct ThreadCheck {
    made_on: ThreadId,
    dropped_on_own_thread: Rc<Cell<Option<bool>>>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ThreadCheck {
    fn drop(&mut self) {
        let same = std::thread::current().id() == self.made_on;
        self.dropped_on_own_thread.set(Some(same));
    }
}

struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("panic while being dropped");
    }
}

#[test]
fn abort_handle_is_send_sync_clone_and_static() {
    fn check<A: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    check::<AbortHandle>();
}

#[test]
fn abort_handle_of_a_join_handle_cancels_the_task() {
    uring_rt::start(async {
        let flag = Rc::new(Cell::new(false));
        let f = DropFlag(flag.clone());
        let handle = uring_rt::spawn(async move {
            let _f = f;
            pending::<()>().await
        });
        let abort = handle.abort_handle();
        uring_rt::yield_now().await; // it runs and parks
        assert!(!abort.is_finished());
        abort.abort();
        assert!(
            !abort.is_finished(),
            "finishes only when its thread runs it"
        );
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(abort.is_finished());
        assert!(flag.get(), "the future was dropped");
    });
}

#[test]
fn clones_abort_the_same_task_and_outlive_it() {
    let abort = uring_rt::start(async {
        let handle = uring_rt::spawn(sleep(Duration::from_secs(60)));
        let a = handle.abort_handle();
        let b = a.clone();
        drop(a);
        b.abort();
        assert!(handle.await.unwrap_err().is_cancelled());
        let c = b.clone();
        assert!(b.is_finished() && c.is_finished());
        c
    });
    // The runtime is gone; the handle still answers and aborting is a no-op.
    assert!(abort.is_finished());
    abort.abort();
    drop(abort);
}

#[test]
fn dropping_an_abort_handle_does_not_abort() {
    uring_rt::start(async {
        let handle = uring_rt::spawn(async {
            sleep(Duration::from_millis(5)).await;
            11
        });
        drop(handle.abort_handle());
        assert_eq!(handle.await.unwrap(), 11);
    });
}

#[test]
fn abort_after_the_task_finished_keeps_its_output() {
    uring_rt::start(async {
        let handle = uring_rt::spawn(async { 42 });
        let abort = handle.abort_handle();
        while !handle.is_finished() {
            uring_rt::yield_now().await;
        }
        assert!(abort.is_finished());
        abort.abort();
        handle.abort();
        assert_eq!(handle.await.unwrap(), 42);
    });
}

#[test]
fn abort_before_the_first_poll_never_runs_the_future() {
    uring_rt::start(async {
        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        let handle = uring_rt::spawn(async move { r.set(true) });
        handle.abort_handle().abort();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert!(!ran.get());
    });
}

#[test]
fn abort_from_another_thread_drops_a_local_future_on_its_own_thread() {
    uring_rt::start(async {
        let dropped_on_own_thread = Rc::new(Cell::new(None));
        let check = ThreadCheck {
            made_on: std::thread::current().id(),
            dropped_on_own_thread: dropped_on_own_thread.clone(),
            _not_send: PhantomData,
        };
        let handle = uring_rt::spawn(async move {
            let _check = check;
            pending::<()>().await
        });
        uring_rt::yield_now().await;
        let abort = handle.abort_handle();
        std::thread::spawn(move || abort.abort()).join().unwrap();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert_eq!(dropped_on_own_thread.get(), Some(true));
    });
}

#[test]
fn abort_handle_dropped_on_another_thread_after_the_task_finished() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        let aborts: Vec<AbortHandle> = (0..32u32).map(|i| set.spawn(async move { i })).collect();
        let mut sum = 0;
        while let Some(res) = set.join_next().await {
            sum += res.unwrap();
        }
        assert_eq!(sum, 31 * 32 / 2);
        // Ours may be the last references to the tasks: release them off the runtime thread.
        let finished = std::thread::spawn(move || aborts.iter().all(AbortHandle::is_finished))
            .join()
            .unwrap();
        assert!(finished);
    });
}

#[test]
fn a_cancelled_future_that_panics_in_drop_is_a_panic() {
    uring_rt::start(async {
        let handle = uring_rt::spawn(async {
            let _p = PanicOnDrop;
            sleep(Duration::from_secs(60)).await
        });
        uring_rt::yield_now().await;
        handle.abort();
        let err = handle.await.unwrap_err();
        assert!(err.is_panic());
        let payload = err.into_panic();
        assert_eq!(
            *payload.downcast_ref::<&str>().unwrap(),
            "panic while being dropped"
        );

        // Detached: the panic stays inside the task and the runtime carries on.
        let handle = uring_rt::spawn(async {
            let _p = PanicOnDrop;
            pending::<()>().await
        });
        uring_rt::yield_now().await;
        handle.abort();
        drop(handle);
        sleep(Duration::from_millis(2)).await;
        assert_eq!(uring_rt::spawn(async { 1 }).await.unwrap(), 1);
    });
}

#[test]
fn aborted_task_releases_what_it_held() {
    uring_rt::start(async {
        let held = Arc::new(());
        let weak = Arc::downgrade(&held);
        let handle = uring_rt::spawn(async move {
            let _held = held;
            sleep(Duration::from_secs(100)).await
        });
        sleep(Duration::from_millis(2)).await;
        handle.abort();
        drop(handle);
        sleep(Duration::from_millis(2)).await;
        assert!(weak.upgrade().is_none());
    });
}

#[test]
fn a_task_aborting_itself_stops_at_its_next_pending() {
    uring_rt::start(async {
        let (tx, rx) = futures::channel::oneshot::channel::<AbortHandle>();
        let reached = Rc::new(Cell::new(0));
        let r = reached.clone();
        let handle = uring_rt::spawn(async move {
            let me = rx.await.unwrap();
            me.abort();
            r.set(1); // still running until it yields
            uring_rt::yield_now().await;
            r.set(2);
        });
        tx.send(handle.abort_handle()).unwrap();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert_eq!(reached.get(), 1);
    });
}

#[test]
fn into_panic_on_a_cancellation_panics() {
    let err = uring_rt::start(async {
        let handle = uring_rt::spawn(pending::<()>());
        handle.abort();
        handle.await.unwrap_err()
    });
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || err.into_panic()));
    assert!(caught.is_err());
}
