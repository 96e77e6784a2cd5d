//! Timers: sleep, timeout, interval, and many of them at once.

use std::time::{Duration, Instant};

use uring_rt::time::{interval, sleep, sleep_until, timeout};
use uring_rt::{spawn, Runtime};

/// CPU time used by the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out-pointer for clock_gettime.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[test]
fn sleep_waits_at_least_its_duration() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        for ms in [1u64, 10, 30] {
            let start = Instant::now();
            sleep(Duration::from_millis(ms)).await;
            assert!(start.elapsed() >= Duration::from_millis(ms));
        }
        let deadline = Instant::now() + Duration::from_millis(15);
        sleep_until(deadline).await;
        assert!(Instant::now() >= deadline);
        // Zero and past deadlines complete immediately.
        sleep(Duration::ZERO).await;
        sleep_until(Instant::now() - Duration::from_secs(1)).await;
        // Huge durations do not overflow.
        let r = timeout(Duration::from_millis(1), sleep(Duration::MAX)).await;
        assert!(r.is_err());
    });
}

#[test]
fn timers_fire_in_deadline_order() {
    let rt = Runtime::new().unwrap();
    let order = rt.block_on(async {
        let (tx, rx) = async_channel::unbounded();
        for ms in [40u64, 10, 30, 20] {
            let tx = tx.clone();
            spawn(async move {
                sleep(Duration::from_millis(ms)).await;
                tx.send(ms).await.unwrap();
            });
        }
        drop(tx);
        let mut order = Vec::new();
        while let Ok(v) = rx.recv().await {
            order.push(v);
        }
        order
    });
    assert_eq!(order, vec![10, 20, 30, 40]);
}

#[test]
fn timeout_returns_elapsed_or_the_output() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let err = timeout(Duration::from_millis(20), std::future::pending::<()>())
            .await
            .unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(err.to_string(), "deadline has elapsed");
        let io: std::io::Error = err.into();
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(timeout(Duration::from_secs(5), async { 5 }).await, Ok(5));
    });
}

#[test]
fn interval_ticks_at_its_period() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let mut every = interval(Duration::from_millis(10));
        let first = every.tick().await;
        // The first tick is the instant the interval was made, returned at once.
        assert!(first >= start && first <= Instant::now());
        let mut last = first;
        for _ in 0..5 {
            let t = every.tick().await;
            // Ticks are the grid's points one after the other: a loaded machine that misses
            // some gets them back to back (Burst, tokio's default), never off the grid.
            let step = t.duration_since(last);
            assert_eq!(
                step,
                Duration::from_millis(10),
                "tick {step:?} after the last"
            );
            assert!(Instant::now() >= t, "tick returned before its instant");
            last = t;
        }
        assert!(start.elapsed() >= Duration::from_millis(50));
    });
}

#[test]
fn hundred_thousand_concurrent_sleeps_fire_cheaply() {
    let rt = Runtime::new().unwrap();
    let cpu_before = thread_cpu();
    let fired = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_millis(200);
        let handles: Vec<_> = (0..100_000u32)
            .map(|i| {
                spawn(async move {
                    // Spread deadlines over 100 ms past a common base.
                    sleep_until(deadline + Duration::from_micros(u64::from(i % 100) * 1000)).await;
                    1u32
                })
            })
            .collect();
        let mut fired = 0;
        for h in handles {
            fired += h.await.unwrap();
        }
        fired
    });
    let cpu = thread_cpu() - cpu_before;
    assert_eq!(fired, 100_000);
    assert_eq!(rt.live_tasks(), 0);
    // Registering and firing 100k timers (plus spawning 100k tasks) on this thread.
    eprintln!("100k sleeps: {cpu:?} of CPU");
    let limit = if cfg!(debug_assertions) { 5 } else { 1 };
    assert!(cpu < Duration::from_secs(limit), "used {cpu:?}");
}

#[test]
fn idle_runtime_uses_almost_no_cpu() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {}); // warm up
    let cpu_before = thread_cpu();
    let start = Instant::now();
    rt.block_on(sleep(Duration::from_millis(300)));
    let wall = start.elapsed();
    let cpu = thread_cpu() - cpu_before;
    assert!(wall >= Duration::from_millis(300));
    assert!(
        cpu < Duration::from_millis(20),
        "idle runtime used {cpu:?} of CPU"
    );
}

#[test]
fn sleeps_dropped_early_do_not_fire_or_leak() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        for _ in 0..10_000 {
            let r = timeout(Duration::from_secs(60), async { 1 }).await;
            assert_eq!(r, Ok(1));
        }
        // A timeout that fires cancels the inner sleep, too.
        for _ in 0..100 {
            assert!(timeout(Duration::ZERO, sleep(Duration::from_secs(60)))
                .await
                .is_err());
        }
    });
}

#[test]
#[should_panic(expected = "outside of a uring-rt runtime")]
fn sleep_outside_runtime_panics_with_a_clear_message() {
    futures::executor::block_on(sleep(Duration::from_millis(1)));
}
