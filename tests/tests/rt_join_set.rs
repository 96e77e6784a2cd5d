//! `uring_rt::task::JoinSet`: results in completion order, abort, drop aborts, panics.

use std::cell::Cell;
use std::rc::Rc;

use uring_rt::task::JoinSet;

/// Sets its flag when dropped: shows that an aborted task's future was dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn join_next_returns_in_completion_order() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        let mut senders = Vec::new();
        for i in 0..3u32 {
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            senders.push(Some(tx));
            // !Send futures are fine: the set spawns local tasks.
            let rc = Rc::new(i);
            set.spawn(async move {
                rx.await.unwrap();
                *rc
            });
        }
        assert_eq!(set.len(), 3);
        // Finish the tasks in the order 2, 0, 1: join_next follows it, not spawn order.
        for i in [2usize, 0, 1] {
            senders[i].take().unwrap().send(()).unwrap();
            assert_eq!(set.join_next().await.unwrap().unwrap(), i as u32);
        }
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn abort_all_cancels_and_drop_aborts() {
    uring_rt::start(async {
        let flag = Rc::new(Cell::new(false));
        let mut set = JoinSet::new();
        let f = DropFlag(flag.clone());
        set.spawn(async move {
            let _f = f;
            std::future::pending::<u32>().await
        });
        set.spawn(async { 7 });
        uring_rt::yield_now().await; // both start; the second finishes
        set.abort_all();
        let mut results = Vec::new();
        while let Some(r) = set.join_next().await {
            results.push(r);
        }
        assert_eq!(results.len(), 2);
        assert!(results.iter().any(|r| matches!(r, Ok(7))));
        assert!(results
            .iter()
            .any(|r| r.as_ref().is_err_and(|e| e.is_cancelled())));
        assert!(flag.get(), "the aborted task's future was dropped");

        // Dropping the set aborts what is left in it.
        let flag = Rc::new(Cell::new(false));
        let mut set = JoinSet::new();
        let f = DropFlag(flag.clone());
        set.spawn(async move {
            let _f = f;
            std::future::pending::<()>().await
        });
        uring_rt::yield_now().await;
        drop(set);
        for _ in 0..10 {
            uring_rt::yield_now().await;
        }
        assert!(flag.get(), "dropping the JoinSet aborted its task");
    });
}

#[test]
fn a_panicking_task_is_a_join_error() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("boom") });
        let err: uring_rt::JoinError = set.join_next().await.unwrap().unwrap_err();
        assert!(err.is_panic());
        assert!(set.is_empty());
    });
}
