//! tokio's task-local tests (`tokio/tests/task_local.rs` and the `LocalKey` panic locations
//! of `task_panic.rs`), restated for `uring_rt::task_local!`: a value is visible while its
//! future is polled and while it is dropped (aborted, or after completing), each task sees its
//! own, `take_value` removes it, and misuse panics at the caller.
//!
//! Not translated: the multi-thread flavour of `local` (tasks here stay on their thread; the
//! same checks run on one runtime with the tasks interleaved by sleeps).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

uring_rt::task_local! {
    static REQ_ID: u32;
    pub static FLAG: bool;
}

uring_rt::task_local! {
    static KEY: u32
}

#[uring_rt::test]
async fn each_task_sees_its_own_value_across_awaits() {
    let a = uring_rt::spawn(REQ_ID.scope(1, async {
        assert_eq!(REQ_ID.get(), 1);
        uring_rt::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(REQ_ID.get(), 1);
        REQ_ID.get()
    }));
    let b = uring_rt::spawn(REQ_ID.scope(2, async {
        REQ_ID.with(|v| assert_eq!(*v, 2));
        uring_rt::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(REQ_ID.get(), 2);
        // A nested scope shadows, then the outer value is back.
        REQ_ID.scope(3, async { assert_eq!(REQ_ID.get(), 3) }).await;
        REQ_ID.get()
    }));
    let c = uring_rt::spawn(FLAG.scope(true, async { FLAG.get() }));
    assert_eq!((a.await.unwrap(), b.await.unwrap()), (1, 2));
    assert!(c.await.unwrap());
    assert!(REQ_ID.try_get().is_err());
    assert_eq!(
        REQ_ID.try_with(|_| ()).unwrap_err().to_string(),
        "task-local value not set"
    );
}

struct SendOnDrop {
    polled: Option<oneshot::Sender<()>>,
    dropped: Option<oneshot::Sender<u32>>,
    ready: bool,
}

impl Future for SendOnDrop {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if let Some(tx) = self.polled.take() {
            let _ = tx.send(());
        }
        if self.ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for SendOnDrop {
    fn drop(&mut self) {
        let _ = self.dropped.take().unwrap().send(KEY.get());
    }
}

/// `task_local_available_on_abort`, `task_local_available_on_completion_drop`.
#[uring_rt::test]
async fn the_value_is_set_while_the_future_is_dropped_on_abort_and_on_completion() {
    let (polled_tx, polled_rx) = oneshot::channel();
    let (dropped_tx, dropped_rx) = oneshot::channel();
    let task = uring_rt::spawn(KEY.scope(
        42,
        SendOnDrop {
            polled: Some(polled_tx),
            dropped: Some(dropped_tx),
            ready: false,
        },
    ));
    polled_rx.await.unwrap();
    task.abort();
    assert_eq!(dropped_rx.await.unwrap(), 42);
    assert!(task.await.unwrap_err().is_cancelled());

    let (dropped_tx, dropped_rx) = oneshot::channel();
    let task = uring_rt::spawn(KEY.scope(
        7,
        SendOnDrop {
            polled: None,
            dropped: Some(dropped_tx),
            ready: true,
        },
    ));
    assert_eq!(dropped_rx.await.unwrap(), 7);
    task.await.unwrap();
}

/// `take_value`, `poll_after_take_value_should_fail`, `get_value`.
#[uring_rt::test]
async fn take_value_leaves_the_future_without_it() {
    let mut fut = Box::pin(KEY.scope(1, async {}));
    assert_eq!(fut.as_mut().take_value(), Some(1));
    assert_eq!(fut.as_mut().take_value(), None);

    KEY.scope(1, async {
        assert_eq!(KEY.get(), 1);
        assert_eq!(KEY.try_get().unwrap(), 1);
    })
    .await;
    let mut fut = Box::pin(KEY.scope(1, async {
        assert!(KEY.try_with(|_| ()).is_err());
        assert!(KEY.try_get().is_err());
    }));
    fut.as_mut().take_value();
    fut.await;
}

/// The panic location checks of `task_panic.rs` for `LocalKey`: reading an unset key, and
/// entering a scope inside `with` of the same key, panic (at the caller's line).
#[test]
fn misusing_a_key_panics() {
    let unset = catch_unwind(|| KEY.get()).unwrap_err();
    let msg = unset.downcast_ref::<String>().unwrap();
    assert!(msg.contains("not set"), "{msg}");
    assert!(catch_unwind(|| KEY.with(|_| ())).is_err());
    let nested = catch_unwind(AssertUnwindSafe(|| {
        KEY.sync_scope(1, || KEY.with(|_| KEY.sync_scope(2, || ())));
    }));
    assert!(nested.is_err());
    // The key is usable again afterwards.
    assert_eq!(KEY.sync_scope(5, || KEY.get()), 5);
    assert!(KEY.try_get().is_err());
}
