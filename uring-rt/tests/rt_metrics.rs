//! `Runtime::metrics`: each counter moves with the work it names, and by the expected amount.

use std::time::Duration;

use uring_rt::net::UnixStream;
use uring_rt::Runtime;

#[test]
fn ops_and_enters_are_counted() {
    let rt = Runtime::new().unwrap();
    let start = rt.metrics();
    rt.block_on(async {
        for _ in 0..10 {
            uring_rt::io::nop().await.unwrap();
        }
    });
    let m = rt.metrics().since(&start);
    assert_eq!(m.ops_submitted, 10);
    assert_eq!(m.ops_completed, 10);
    assert_eq!(m.ops_cancelled, 0);
    // Each nop is awaited before the next is queued: at least one enter each (the epoll
    // driver runs an SQE as it is queued, so it needs none), and every SQE queued reached the
    // kernel: the nops and, at most once per park, the re-armed wake-up read.
    if rt.driver_kind() == uring_rt::runtime::DriverKind::IoUring {
        assert!(m.enters >= 10, "{m:?}");
    }
    assert!(m.sqes_submitted >= 10, "{m:?}");
    assert!(m.sqes_submitted <= 10 + m.parks, "{m:?}");
    assert_eq!(m.tasks_polled, 0, "no task was spawned: {m:?}");
}

#[test]
fn tasks_polled_counts_each_poll() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                uring_rt::spawn(async {
                    // Two polls: the first yields.
                    uring_rt::yield_now().await;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let m = rt.metrics();
    assert_eq!(m.tasks_polled, 10, "{m:?}");
}

#[test]
fn a_dropped_op_in_flight_counts_a_cancel() {
    let rt = Runtime::new().unwrap();
    let m = rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let before = rt.metrics();
        // Nothing is ever written: the read stays in flight until it is dropped.
        let read = uring_rt::time::timeout(Duration::from_millis(20), a.read(vec![0u8; 16]));
        assert!(read.await.is_err(), "the read cannot complete");
        let m = rt.metrics().since(&before);
        drop((a, b));
        // The cancellation and the closes complete within a few round trips.
        for _ in 0..100 {
            if rt.in_flight_ops() == 0 {
                break;
            }
            uring_rt::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(rt.in_flight_ops(), 0);
        m
    });
    assert_eq!(m.ops_submitted, 1, "{m:?}");
    assert_eq!(m.ops_cancelled, 1, "{m:?}");
    assert_eq!(m.ops_completed, 0, "{m:?}");
    // Waiting for the timer blocked the ring.
    assert!(m.parks >= 1, "{m:?}");
}

#[test]
fn wakes_from_other_threads_are_counted() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let before = rt.metrics();
    let spawner = std::thread::spawn(move || {
        (0..3)
            .map(|i| handle.spawn(async move { i * 2 }))
            .collect::<Vec<_>>()
    });
    let joins = spawner.join().unwrap();
    let sum: i32 = rt.block_on(async {
        let mut sum = 0;
        for j in joins {
            sum += j.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 6);
    let m = rt.metrics().since(&before);
    assert_eq!(m.remote_wakes, 3, "{m:?}");
    assert_eq!(m.tasks_polled, 3, "{m:?}");
}
