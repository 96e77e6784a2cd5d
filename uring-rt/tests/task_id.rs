//! Task ids (`uring_rt::task::Id`), as tokio's: unique among the process's tasks, the same
//! from `JoinHandle::id`, `AbortHandle::id`, `task::id()` inside the task (also while its
//! future is dropped, and inside a `spawn_blocking` closure), `JoinError::id` and `JoinSet::join_next_with_id`; `try_id` is `None`
//! outside a task. `JoinError`'s text follows tokio's.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use uring_rt::task::{self, Id, JoinSet};

#[test]
fn ids_are_unique_across_tasks_and_threads() {
    let per_thread = 5_000;
    let threads: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(move || {
                uring_rt::start(async move {
                    let mut ids = Vec::with_capacity(per_thread);
                    for _ in 0..per_thread {
                        let handle = uring_rt::spawn(async { task::id() });
                        let id = handle.id();
                        assert_eq!(handle.await.unwrap(), id);
                        ids.push(id);
                    }
                    ids
                })
            })
        })
        .collect();
    let mut all = HashSet::new();
    for t in threads {
        for id in t.join().unwrap() {
            assert!(all.insert(id), "{id:?} handed out twice");
        }
    }
    assert_eq!(all.len(), 3 * per_thread);
}

#[test]
fn handles_and_the_running_task_agree_on_the_id() {
    uring_rt::start(async {
        let (tx, rx) = async_channel::bounded(1);
        let handle = uring_rt::spawn(async move {
            tx.send(task::id()).await.unwrap();
            std::future::pending::<()>().await
        });
        let inside = rx.recv().await.unwrap();
        let abort = handle.abort_handle();
        assert_eq!(handle.id(), inside);
        assert_eq!(abort.id(), inside);
        assert_eq!(abort.clone().id(), inside);
        handle.abort();
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.id(), inside);
        // The id outlives the task.
        assert_eq!(abort.id(), inside);
    });
}

#[test]
fn try_id_is_none_outside_tasks_and_the_id_is_set_while_the_future_drops() {
    assert!(task::try_id().is_none());
    let seen: Arc<Mutex<Option<Option<Id>>>> = Arc::default();
    struct Probe(Arc<Mutex<Option<Option<Id>>>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(task::try_id());
        }
    }
    let probe = Probe(seen.clone());
    let id = uring_rt::start(async move {
        // `block_on`'s own future is not a task, as in tokio.
        assert!(task::try_id().is_none());
        let handle = uring_rt::spawn(async move {
            let _probe = probe;
            std::future::pending::<()>().await
        });
        uring_rt::yield_now().await;
        let id = handle.id();
        handle.abort();
        assert!(handle.await.unwrap_err().is_cancelled());
        // Back in `block_on`'s future: no task.
        assert!(task::try_id().is_none());
        id
    });
    assert_eq!(*seen.lock().unwrap(), Some(Some(id)));
    assert!(task::try_id().is_none());
}

#[test]
fn a_panicking_task_reports_its_id_and_tokios_texts() {
    uring_rt::start(async {
        let handle = uring_rt::spawn(async { panic!("boom") });
        let id = handle.id();
        let err = handle.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.id(), id);
        assert_eq!(
            err.to_string(),
            format!("task {id} panicked with message \"boom\"")
        );
        assert_eq!(
            format!("{err:?}"),
            format!("JoinError::Panic({id:?}, \"boom\", ..)")
        );
        assert_eq!(format!("{id:?}"), format!("Id({id})"));

        let handle = uring_rt::spawn(std::future::pending::<()>());
        let id = handle.id();
        handle.abort();
        let err = handle.await.unwrap_err();
        assert_eq!(err.to_string(), format!("task {id} was cancelled"));
        assert_eq!(format!("{err:?}"), format!("JoinError::Cancelled({id:?})"));
    });
}

#[test]
fn join_set_gives_ids_with_outputs() {
    uring_rt::start(async {
        let mut set = JoinSet::new();
        let mut expected = std::collections::HashMap::new();
        for i in 0..100u32 {
            let abort = set.spawn(async move {
                uring_rt::yield_now().await;
                i
            });
            expected.insert(abort.id(), i);
        }
        let failing = set.spawn(async { panic!("no") }).id();
        let mut got = 0;
        let mut failed = None;
        while let Some(res) = set.join_next_with_id().await {
            match res {
                Ok((id, i)) => {
                    assert_eq!(expected.remove(&id), Some(i));
                    got += 1;
                }
                Err(e) => failed = Some(e.id()),
            }
        }
        assert_eq!(got, 100);
        assert!(expected.is_empty());
        assert_eq!(failed, Some(failing));

        let id = set.spawn(async { 5 }).id();
        assert!(set.try_join_next_with_id().is_none());
        uring_rt::yield_now().await;
        assert_eq!(set.try_join_next_with_id().unwrap().unwrap(), (id, 5));
        assert!(set.try_join_next_with_id().is_none());
    });
}

#[test]
fn a_blocking_closure_sees_its_handles_id() {
    uring_rt::start(async {
        let handle = uring_rt::spawn_blocking(task::try_id);
        let id = handle.id();
        assert_eq!(handle.await.unwrap(), Some(id));
    });
}
