//! tokio's `tokio/tests/time_rt.rs` (timers under each runtime flavour, a self-waking future
//! that must not starve its timer, a sleep reset under another runtime) and `time_panic.rs`
//! (what panics, and that the panic names the caller's line) restated for `uring_rt::time`.
//! The rest of tokio's time suite is in `suite_tokio_time.rs` and
//! `suite_tokio_time_interval.rs`.
//!
//! Not translated:
//! - the multi-thread flavours of `rt_combinations()`: a uring-rt runtime is one thread; the
//!   threaded case is restated as a sleep spawned through a `Handle` from another thread.
//! - `tickspace` asserts an exact 2 ms on the paused clock; restated as "a sleep reset under
//!   another runtime, or moved to it, leaves one timer, in the runtime that polls it".
//! - `pause_panic_caller` / `resume_panic_caller`: no paused clock.
//! - `timeout_panic_caller` / `timeout_at_panic_caller`: tokio panics when a timeout is made
//!   on a runtime without timers. Every uring-rt runtime has timers, and making a timeout
//!   anywhere is fine; polling one outside a runtime panics (restated in that shape).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{mpsc, Once};
use std::task::{Context, Poll};

use uring_rt::time::{interval, interval_at, sleep, sleep_until, timeout, Duration, Instant};
use uring_rt::Runtime;

mod support;
use support::{bounded, timers};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn sleep_spawned_from_another_thread_fires_on_the_runtime() {
    let (handle_tx, handle_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = async_channel::bounded::<()>(1);
    let runner = std::thread::spawn(move || {
        let rt = Runtime::new().unwrap();
        handle_tx.send(rt.handle()).unwrap();
        rt.block_on(async move {
            let _ = stop_rx.recv().await;
        });
        timers(&rt)
    });
    let handle = handle_rx.recv().unwrap();
    let (tx, rx) = mpsc::channel();
    let when = Instant::now() + ms(10);
    handle.spawn(async move {
        sleep_until(when).await;
        tx.send(Instant::now() >= when).unwrap();
    });
    let on_time = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(on_time, "the sleep finished before its deadline");
    stop_tx.send_blocking(()).unwrap();
    assert_eq!(runner.join().unwrap(), 0);
}

#[test]
fn sleep_on_a_current_thread_runtime() {
    let rt = Runtime::new().unwrap();
    let when = Instant::now() + ms(10);
    rt.block_on(async move {
        sleep_until(when).await;
        assert!(Instant::now() >= when);
    });
    assert_eq!(timers(&rt), 0);
}

/// Polls its sleep, and while it is pending wakes itself at once (a busy future).
struct Starve<T>(T, u64);

impl<T: Future<Output = ()> + Unpin> Future for Starve<T> {
    type Output = u64;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if Pin::new(&mut self.0).poll(cx).is_ready() {
            return Poll::Ready(self.1);
        }
        self.1 += 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn self_waking_future_does_not_starve_its_timer() {
    let (main_polls, task_polls) = bounded(|| {
        let rt = Runtime::new().unwrap();
        rt.block_on(async {
            // 50 ms: the first poll comes well before the deadline even on a stalled machine.
            let when = Instant::now() + ms(50);
            let main_polls = Starve(Box::pin(sleep_until(when)), 0).await;
            assert!(Instant::now() >= when);
            let when = Instant::now() + ms(50);
            let task = uring_rt::spawn(Starve(Box::pin(sleep_until(when)), 0));
            let task_polls = task.await.unwrap();
            assert!(Instant::now() >= when);
            (main_polls, task_polls)
        })
    });
    assert!(main_polls > 0 && task_polls > 0);
}

#[test]
fn timeout_of_a_receiver_that_never_gets_a_value() {
    uring_rt::start(async {
        let (_tx, rx) = futures::channel::oneshot::channel::<()>();
        let now = Instant::now();
        let dur = ms(10);
        assert!(timeout(dur, rx).await.is_err());
        assert!(Instant::now() >= now + dur);
    });
}

#[test]
fn sleep_reset_under_another_runtime_keeps_one_timer() {
    let a = Runtime::new().unwrap();
    let b = Runtime::new().unwrap();
    let mut s = Box::pin(sleep(Duration::from_secs(60)));
    a.block_on(async { assert!(futures::poll!(s.as_mut()).is_pending()) });
    assert_eq!(timers(&a), 1);
    let deadline = Instant::now() + ms(20);
    b.block_on(async { s.as_mut().reset(deadline) });
    a.block_on(async { s.as_mut().await });
    assert!(Instant::now() >= deadline);
    assert_eq!(timers(&a), 0, "the 60 s timer stayed behind");
    assert_eq!(timers(&b), 0);
}

#[test]
fn sleep_moved_to_another_runtime_fires_there_and_leaves_none_behind() {
    let a = Runtime::new().unwrap();
    let b = Runtime::new().unwrap();
    let mut s = Box::pin(sleep(ms(30)));
    let deadline = s.deadline();
    a.block_on(async { assert!(futures::poll!(s.as_mut()).is_pending()) });
    assert_eq!(timers(&a), 1);
    b.block_on(async { s.as_mut().await });
    assert!(Instant::now() >= deadline);
    a.block_on(async {}); // `a` takes its mail: the old timer's removal
    assert_eq!(
        timers(&a),
        0,
        "the first runtime kept the moved sleep's timer"
    );
    assert_eq!(timers(&b), 0);
}

// ---- time_panic.rs ----

thread_local! {
    static PANIC_FILE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, which must panic; returns the file its panic names and its message.
fn panic_site(f: impl FnOnce()) -> (String, String) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file().to_string());
            let _ = PANIC_FILE.try_with(|f| *f.borrow_mut() = file);
            prev(info);
        }));
    });
    PANIC_FILE.with(|f| f.borrow_mut().take());
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("did not panic");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let file = PANIC_FILE
        .with(|f| f.borrow_mut().take())
        .expect("no location");
    (file, msg)
}

#[test]
fn zero_period_interval_panics_at_the_callers_line() {
    let (file, msg) = panic_site(|| {
        let _ = interval(Duration::ZERO);
    });
    assert_eq!(file, file!());
    assert!(msg.contains("non-zero"), "{msg}");
    let (file, msg) = panic_site(|| {
        let _ = interval_at(Instant::now(), ms(0));
    });
    assert_eq!(file, file!());
    assert!(msg.contains("non-zero"), "{msg}");
}

#[test]
fn timeout_outside_a_runtime_panics_only_when_its_timer_is_needed() {
    // A future that is ready at once needs no timer, as tokio's "polled before the deadline
    // is checked".
    let ready = futures::executor::block_on(timeout(ms(5), async { 2 }));
    assert_eq!(ready, Ok(2));
    let (_, msg) = panic_site(|| {
        let _ = futures::executor::block_on(timeout(ms(5), std::future::pending::<()>()));
    });
    assert!(msg.contains("outside of a uring-rt runtime"), "{msg}");
}
