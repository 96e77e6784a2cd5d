//! Cooperative budget: a task whose operations complete at once (the epoll driver runs them
//! inline; a stream's stash serves kept bytes) still yields to the scheduler, so timers fire
//! and other tasks run, as tokio's coop budget guarantees. (`JoinSet::join_next` under the
//! budget: `task_joinset.rs`.)

use std::time::Duration;

use uring_rt::runtime::DriverKind;
use uring_rt::time::timeout;
use uring_rt::Runtime;

mod support;
use support::bounded;

fn busy_nops_are_interrupted_by_a_timeout(kind: DriverKind) -> u64 {
    bounded(move || {
        let rt = Runtime::builder().driver(kind).build().unwrap();
        rt.block_on(async {
            let mut count = 0u64;
            let res = timeout(Duration::from_millis(20), async {
                loop {
                    uring_rt::io::nop().await.unwrap();
                    count += 1;
                }
            })
            .await;
            assert!(res.is_err());
            count
        })
    })
}

#[test]
fn a_loop_of_instant_ops_lets_its_timeout_fire_on_the_epoll_driver() {
    assert!(busy_nops_are_interrupted_by_a_timeout(DriverKind::Epoll) > 0);
}

#[test]
fn a_loop_of_instant_ops_lets_its_timeout_fire_on_io_uring() {
    assert!(busy_nops_are_interrupted_by_a_timeout(DriverKind::IoUring) > 0);
}

#[test]
fn two_busy_tasks_and_a_sleeper_all_make_progress_on_both_drivers() {
    for kind in [DriverKind::Epoll, DriverKind::IoUring] {
        let (a, b) = bounded(move || {
            let rt = Runtime::builder().driver(kind).build().unwrap();
            rt.block_on(async {
                let stop = std::rc::Rc::new(std::cell::Cell::new(false));
                let busy = |stop: std::rc::Rc<std::cell::Cell<bool>>| async move {
                    let mut n = 0u64;
                    while !stop.get() {
                        uring_rt::io::nop().await.unwrap();
                        n += 1;
                    }
                    n
                };
                let a = uring_rt::spawn(busy(stop.clone()));
                let b = uring_rt::spawn(busy(stop.clone()));
                // A third task that only sleeps: it must get its turn to stop the others.
                let s = stop.clone();
                uring_rt::spawn(async move {
                    uring_rt::time::sleep(Duration::from_millis(20)).await;
                    s.set(true);
                })
                .await
                .unwrap();
                (a.await.unwrap(), b.await.unwrap())
            })
        });
        assert!(a > 0 && b > 0, "{kind:?}: {a} and {b} ops");
    }
}

#[test]
fn a_task_that_entered_another_runtime_still_resumes_after_yielding() {
    // `Runtime::enter` of another runtime inside a task (to build its sockets, say) must not
    // park the task's yield in that runtime, which is not running: as tokio, a yield is
    // deferred by the scheduler that runs the task.
    let polled = bounded(|| {
        let other = Runtime::new().unwrap();
        let rt = Runtime::new().unwrap();
        rt.block_on(async move {
            let task = uring_rt::spawn(async move {
                let mut yields = 0u32;
                let _entered = other.enter();
                for _ in 0..3 {
                    uring_rt::task::yield_now().await;
                    yields += 1;
                }
                yields
            });
            task.await.unwrap()
        })
    });
    assert_eq!(polled, 3);
}
