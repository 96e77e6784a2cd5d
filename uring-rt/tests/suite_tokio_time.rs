//! tokio's time tests `tokio/tests/time_sleep.rs` and `time_timeout.rs` restated for
//! `uring_rt::time`, with the semantics tokio documents in `tokio/src/time/{sleep,timeout,
//! error}.rs`. `time_rt.rs` and `time_panic.rs` are in `suite_tokio_time_rt.rs`,
//! `time_interval.rs` in `suite_tokio_time_interval.rs`.
//!
//! tokio runs most of these on its paused clock (`time::pause`, `time::advance`,
//! `start_paused`), which uring-rt does not have. They are restated on the real clock: what
//! they assert about *when* a timer fires becomes an assertion on order (timers due together
//! wake their tasks in deadline order, so an ordering between deadlines tens of milliseconds
//! apart holds on a loaded machine too) or a lower bound ("not before its deadline"); no test
//! asserts that something took less than some time.
//!
//! Not translated:
//! - `creating_sleep_outside_of_context`: tokio panics when a sleep is *made* outside a
//!   runtime; here making one anywhere is fine and *polling* it outside a runtime panics with
//!   a message saying where to await it (restated in that shape).
//! - the year-long sleeps that the paused clock lets complete (`greater_than_max`,
//!   `multi_long_sleeps`, `long_sleeps`, `exactly_max`, `no_out_of_bounds_close_to_max`):
//!   restated as "can be made, armed and dropped without overflow or firing".
//! - `future_and_deadline_in_future`'s `advance(90 ms)` step: the deadline is 60 s away and
//!   a real 5 ms passes instead.

use std::future::{Future, IntoFuture};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures::task::noop_waker_ref;
use uring_rt::time::{self, sleep, sleep_until, timeout, timeout_at, Duration, Instant, Sleep};
use uring_rt::Runtime;

mod support;
use support::{bounded, timers};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<CountWaker>, Waker) {
    let count = Arc::new(CountWaker::default());
    (count.clone(), Waker::from(count))
}

fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// Runs each future as its own task and returns the indices in the order they finished.
async fn finish_order(futs: Vec<Pin<Box<dyn Future<Output = ()>>>>) -> Vec<usize> {
    let done = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let handles: Vec<_> = futs
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let done = done.clone();
            uring_rt::spawn(async move {
                f.await;
                done.borrow_mut().push(i);
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    let order = done.borrow().clone();
    order
}

// ---- time_sleep.rs ----

#[test]
fn sleep_until_now_is_not_elapsed_before_its_first_poll() {
    uring_rt::start(async {
        let now = Instant::now();
        let mut s = pin!(sleep_until(now));
        assert_eq!(s.deadline(), now);
        assert!(!s.is_elapsed(), "a sleep never polled has not started");
        s.as_mut().await;
        assert!(s.is_elapsed());
    });
}

#[test]
fn is_elapsed_turns_true_only_at_the_deadline() {
    uring_rt::start(async {
        let mut s = pin!(sleep(Duration::from_secs(60)));
        assert!(!s.is_elapsed());
        assert!(futures::poll!(s.as_mut()).is_pending());
        assert!(!s.is_elapsed());
        s.as_mut().reset(Instant::now() + ms(5));
        s.as_mut().await;
        assert!(s.is_elapsed());
    });
}

#[test]
fn sleeps_last_at_least_until_their_deadline() {
    uring_rt::start(async {
        for d in [ms(1), ms(10), ms(60)] {
            let now = Instant::now();
            sleep_until(now + d).await;
            assert!(now.elapsed() >= d);
        }
        // Deadlines off the millisecond grid are not rounded down.
        for _ in 0..5 {
            let deadline = Instant::now() + ms(1) + Duration::from_nanos(1);
            sleep_until(deadline).await;
            assert!(Instant::now() >= deadline);
        }
        // A second sleep after a first one.
        sleep(ms(5)).await;
        let now = Instant::now();
        sleep_until(now + ms(60)).await;
        assert!(now.elapsed() >= ms(60));
    });
}

#[test]
fn reset_pending_sleep_to_a_later_deadline() {
    uring_rt::start(async {
        let start = Instant::now();
        let moved = Box::pin(async move {
            let mut s = Box::pin(sleep_until(start + ms(20)));
            assert!(futures::poll!(s.as_mut()).is_pending());
            s.as_mut().reset(start + ms(80));
            s.await;
            assert!(Instant::now() >= start + ms(80));
        });
        let reference = Box::pin(sleep_until(start + ms(50)));
        // Still armed at its old deadline it would finish first.
        assert_eq!(finish_order(vec![moved, reference]).await, [1, 0]);
    });
}

#[test]
fn reset_pending_sleep_to_an_earlier_deadline() {
    uring_rt::start(async {
        let start = Instant::now();
        let at_once = Box::pin(async move {
            let mut s = Box::pin(sleep_until(start + ms(300)));
            assert!(futures::poll!(s.as_mut()).is_pending());
            s.as_mut().reset(start + ms(20));
            s.await;
        });
        let after_a_while = Box::pin(async move {
            let mut s = Box::pin(sleep_until(start + ms(300)));
            assert!(futures::poll!(s.as_mut()).is_pending());
            sleep(ms(10)).await;
            s.as_mut().reset(start + ms(40));
            s.await;
        });
        // Far enough out that a stalled machine cannot reorder it with the other two.
        let reference = Box::pin(sleep_until(start + ms(1000)));
        let order = finish_order(vec![reference, at_once, after_a_while]).await;
        assert_eq!(order, [1, 2, 0]);
    });
}

#[test]
fn reset_after_completion_rearms() {
    uring_rt::start(async {
        let start = Instant::now();
        let mut s = Box::pin(sleep_until(start + ms(10)));
        s.as_mut().await;
        assert!(Instant::now() >= start + ms(10));
        s.as_mut().reset(start + ms(30));
        assert_eq!(s.deadline(), start + ms(30));
        s.await;
        assert!(Instant::now() >= start + ms(30));
    });
}

#[test]
fn reset_to_the_past_is_ready_at_the_next_poll() {
    uring_rt::start(async {
        let start = Instant::now();
        let (count, waker) = counting();
        let mut s = Box::pin(sleep_until(start + Duration::from_secs(60)));
        assert!(poll_once(&mut s, &waker).is_pending());
        sleep(ms(50)).await;
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            0,
            "woken long before its deadline"
        );
        s.as_mut().reset(start + ms(40));
        assert!(poll_once(&mut s, &waker).is_ready());
    });
}

#[test]
fn sleep_made_outside_a_runtime_panics_only_when_polled() {
    let deadline = Instant::now() + ms(500);
    let s = sleep_until(deadline);
    assert_eq!(s.deadline(), deadline);
    let err = catch_unwind(AssertUnwindSafe(|| futures::executor::block_on(s))).unwrap_err();
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(msg.contains("outside of a uring-rt runtime"), "{msg}");
}

#[test]
fn far_deadlines_neither_overflow_nor_fire() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let year = Duration::from_secs(365 * 24 * 3600);
        for d in [
            year,
            5 * year,
            10 * year,
            Duration::from_secs(u64::MAX / 10),
            Duration::MAX - ms(1),
            Duration::MAX,
        ] {
            let r = timeout(ms(1), sleep(d)).await;
            assert!(r.is_err(), "{d:?} fired");
            let mut s = Box::pin(sleep_until(Instant::now() + 10 * year));
            assert!(futures::poll!(s.as_mut()).is_pending());
            assert!(!s.is_elapsed());
        }
        // tokio issue 5183: a huge sleep raced against a tiny one.
        use futures::FutureExt;
        let won = futures::select_biased! {
            _ = sleep(Duration::from_secs(u64::MAX / 10)).fuse() => "big",
            _ = sleep(Duration::from_nanos(1)).fuse() => "small",
        };
        assert_eq!(won, "small");
    });
    assert_eq!(timers(&rt), 0);
}

#[test]
fn zero_sleeps_complete_and_still_yield_to_other_tasks() {
    let loops = bounded(|| {
        uring_rt::start(async {
            for _ in 0..1000 {
                sleep(Duration::ZERO).await;
            }
            // As tokio's coop budget: a loop of due sleeps gives other tasks their turn.
            let flag = Arc::new(AtomicBool::new(false));
            let set = flag.clone();
            uring_rt::spawn(async move { set.store(true, Ordering::SeqCst) });
            let mut loops = 0u64;
            while !flag.load(Ordering::SeqCst) {
                sleep(Duration::ZERO).await;
                loops += 1;
            }
            loops
        })
    });
    // The spawned task runs once the polling task's budget (tokio's 128 operations) is
    // spent, not only when the loop ends.
    assert!(
        (1..=128).contains(&loops),
        "{loops} zero sleeps before the other task ran"
    );
}

#[test]
fn reset_after_firing_is_pending_again() {
    uring_rt::start(async {
        let mut timer = pin!(sleep(ms(1)));
        let deadline = timer.deadline();
        timer.as_mut().await;
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(timer.as_mut().poll(&mut cx).is_ready());
        timer
            .as_mut()
            .reset(Instant::now() + Duration::from_secs(600));
        assert_ne!(deadline, timer.deadline());
        assert!(timer.as_mut().poll(&mut cx).is_pending());
        assert!(timer.as_mut().poll(&mut cx).is_pending());
    });
}

#[test]
fn dropping_a_rescheduled_sleep_leaves_no_timer() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let mut a = Box::pin(sleep(ms(5)));
        let mut b = Box::pin(sleep(ms(5)));
        let mut c = Box::pin(sleep(ms(10)));
        let _ = futures::poll!(&mut a);
        let _ = futures::poll!(&mut b);
        let _ = futures::poll!(&mut c);
        b.as_mut().reset(start + ms(10));
        a.await;
        drop(b);
        drop(c);
    });
    assert_eq!(timers(&rt), 0);
}

/// A waker that, when woken, drops every sleep of a list (the one firing included).
struct DropSleeps {
    panicked: AtomicBool,
    list: Mutex<Vec<Pin<Box<Sleep>>>>,
}

impl Wake for DropSleeps {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let r = catch_unwind(AssertUnwindSafe(|| *self.list.lock().unwrap() = Vec::new()));
        if r.is_err() {
            self.panicked.store(true, Ordering::SeqCst);
        }
    }
}

#[test]
fn waker_may_drop_the_sleeps_that_are_firing() {
    let rt = Runtime::new().unwrap();
    let state = Arc::new(DropSleeps {
        panicked: AtomicBool::new(false),
        list: Mutex::new(Vec::new()),
    });
    rt.block_on(async {
        let waker = Waker::from(state.clone());
        for _ in 0..100 {
            let mut s = Box::pin(sleep(ms(10)));
            assert!(poll_once(&mut s, &waker).is_pending());
            state.list.lock().unwrap().push(s);
        }
        sleep(ms(30)).await;
    });
    assert!(
        !state.panicked.load(Ordering::SeqCst),
        "dropping a firing sleep panicked"
    );
    assert!(state.list.lock().unwrap().is_empty());
    assert_eq!(timers(&rt), 0);
}

// ---- time_timeout.rs ----

#[test]
fn ready_future_wins_over_a_deadline_now_or_past() {
    uring_rt::start(async {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut now = pin!(timeout_at(Instant::now(), async {}));
        assert_eq!(now.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        let mut past = pin!(timeout_at(Instant::now() - Duration::from_secs(1), async {}));
        assert_eq!(past.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(timeout(Duration::ZERO, async { 9 }).await, Ok(9));
    });
}

#[test]
fn future_finishing_before_the_deadline_gives_its_output() {
    uring_rt::start(async {
        for kind in 0..3 {
            let (tx, rx) = futures::channel::oneshot::channel::<u32>();
            let mut fut: Pin<Box<dyn Future<Output = _>>> = match kind {
                0 => Box::pin(timeout_at(Instant::now() + Duration::from_secs(60), rx)),
                1 => Box::pin(timeout(Duration::from_secs(60), rx)),
                _ => Box::pin(timeout(Duration::MAX, rx)),
            };
            let (count, waker) = counting();
            assert!(poll_once(&mut fut, &waker).is_pending());
            sleep(ms(5)).await;
            assert!(poll_once(&mut fut, &waker).is_pending());
            tx.send(kind).unwrap();
            assert!(
                count.0.load(Ordering::SeqCst) >= 1,
                "send did not wake the timeout"
            );
            match poll_once(&mut fut, &waker) {
                Poll::Ready(Ok(Ok(v))) => assert_eq!(v, kind),
                other => panic!("kind {kind}: {other:?}"),
            }
        }
    });
}

#[test]
fn deadline_now_or_soon_elapses() {
    uring_rt::start(async {
        let r = timeout_at(Instant::now(), std::future::pending::<()>()).await;
        assert!(r.is_err());

        let (count, waker) = counting();
        let mut fut = Box::pin(timeout_at(
            Instant::now() + ms(30),
            std::future::pending::<()>(),
        ));
        assert!(poll_once(&mut fut, &waker).is_pending());
        // A later deadline: the runtime fires the timeout's timer no later than this one.
        sleep(ms(60)).await;
        assert!(
            count.0.load(Ordering::SeqCst) >= 1,
            "the deadline did not wake"
        );
        assert!(matches!(poll_once(&mut fut, &waker), Poll::Ready(Err(_))));
    });
}

#[test]
fn timeout_fires_even_when_the_future_uses_up_its_budget() {
    let (r, count) = bounded(|| {
        uring_rt::start(async {
            let mut count = 0u64;
            let r = timeout(ms(1), async {
                loop {
                    uring_rt::io::nop().await.unwrap();
                    count += 1;
                }
            })
            .await;
            (r.is_err(), count)
        })
    });
    assert!(r);
    eprintln!("{count} nops before the timeout");
}

/// A value that is not a future but turns into one, as `timeout` accepts in tokio.
struct Later(u8);

impl IntoFuture for Later {
    type Output = u8;
    type IntoFuture = std::future::Ready<u8>;
    fn into_future(self) -> Self::IntoFuture {
        std::future::ready(self.0)
    }
}

#[test]
fn timeout_takes_into_future_and_gives_its_future_back() {
    uring_rt::start(async {
        assert_eq!(timeout(ms(10), Later(3)).await, Ok(3));
        assert_eq!(timeout_at(Instant::now(), Later(4)).await, Ok(4));
        let mut t = timeout(Duration::ZERO, async { 5 });
        let _: &_ = t.get_ref();
        let _: &mut _ = t.get_mut();
        assert_eq!(t.into_inner().await, 5);

        let err: time::error::Elapsed = timeout(Duration::ZERO, std::future::pending::<()>())
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "deadline has elapsed");
        let io = std::io::Error::from(err);
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
        let _: &dyn std::error::Error = &err;
    });
}
