//! tokio's `tokio/tests/time_interval.rs` restated for `uring_rt::time::Interval`, with the
//! semantics tokio documents in `tokio/src/time/interval.rs` (first tick at once or at
//! `start`, `MissedTickBehavior` Burst/Delay/Skip with Burst the default, the `reset*`
//! family, `poll_tick` leaving no wake-up behind after `Ready`, cancel-safe `tick`).
//!
//! tokio drives these with its paused clock (`start_paused`, `time::advance`). Restated on
//! the real clock: missed ticks are made by blocking the runtime's thread (`thread::sleep`)
//! past several periods, and each test asserts the instants `tick` returns, which are exact
//! for every behaviour (the grid `start + k·p`, or bounds taken from `Instant::now()` read
//! right before and after the call that fixes them), never how long a wait took.
//!
//! Not translated:
//! - the `Pending` checks between `advance` steps ("100 ms into a 300 ms period nothing is
//!   due"): on the real clock a loaded machine may pass the next tick at any point. A
//!   pending poll is checked where the next tick is a minute away.
//! - tokio's "+1 ms" offsets, which come from the paused clock's 1 ms granularity.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures::task::noop_waker_ref;
use futures::{Stream, StreamExt};
use uring_rt::time::{
    interval, interval_at, sleep, timeout, Duration, Instant, Interval, MissedTickBehavior,
};

const P: Duration = Duration::from_millis(30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls the interval once with a waker that does nothing.
fn poll_tick(i: &mut Interval) -> Poll<Instant> {
    i.poll_tick(&mut Context::from_waker(noop_waker_ref()))
}

/// The tick that must be due now.
fn due(i: &mut Interval) -> Instant {
    match poll_tick(i) {
        Poll::Ready(t) => t,
        Poll::Pending => panic!("a missed tick was not due"),
    }
}

/// Whether `since` (from the interval's start) is a whole number of periods.
fn on_grid(since: Duration) -> bool {
    since.as_nanos() % P.as_nanos() == 0
}

/// Blocks the runtime's thread (no tick can be taken meanwhile) for three and a half periods.
fn miss_three_ticks() {
    std::thread::sleep(P * 7 / 2);
}

#[test]
#[should_panic(expected = "non-zero")]
fn zero_period_panics() {
    let _ = interval_at(Instant::now(), ms(0));
}

#[test]
fn burst_takes_missed_ticks_back_to_back_on_the_grid() {
    uring_rt::start(async {
        let start = Instant::now();
        let mut i = interval_at(start, P);
        assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Burst);
        assert_eq!(poll_tick(&mut i), Poll::Ready(start));
        miss_three_ticks();
        // All three missed ticks are due now: each poll gives the next one at once.
        for k in 1..=3 {
            assert_eq!(poll_tick(&mut i), Poll::Ready(start + P * k));
        }
        // And the grid goes on.
        for k in 4..=6 {
            assert_eq!(i.tick().await, start + P * k);
        }
    });
}

#[test]
fn delay_restarts_the_period_from_the_late_tick() {
    uring_rt::start(async {
        let start = Instant::now();
        let mut i = interval_at(start, P);
        i.set_missed_tick_behavior(MissedTickBehavior::Delay);
        assert_eq!(poll_tick(&mut i), Poll::Ready(start));
        miss_three_ticks();
        let before = Instant::now();
        let late = due(&mut i);
        let after = Instant::now();
        // `start + P`, or a period after the first tick if a stall made that one late, too.
        assert!(late >= start + P && late < before);
        // The missed ticks are gone: the next one is a full period after the late one.
        let next = i.tick().await;
        assert!(
            next >= before + P && next <= after + P,
            "{:?}",
            next - start
        );
        let then = i.tick().await;
        assert!(then >= next + P, "ticks closer than a period under Delay");
    });
}

#[test]
fn skip_drops_missed_ticks_and_keeps_the_grid() {
    uring_rt::start(async {
        let start = Instant::now();
        let mut i = interval_at(start, P);
        i.set_missed_tick_behavior(MissedTickBehavior::Skip);
        assert_eq!(poll_tick(&mut i), Poll::Ready(start));
        miss_three_ticks();
        let before = Instant::now();
        let late = due(&mut i);
        let after = Instant::now();
        assert!(on_grid(late - start) && late < before);
        // The next tick is the first grid point after the late one was taken.
        let next = i.tick().await;
        let since = next - start;
        assert!(on_grid(since), "off the grid: {since:?}");
        assert!(next >= start + P * 4, "a missed tick was fired: {since:?}");
        assert!(next > before && next - P <= after, "{since:?}");
    });
}

#[test]
fn reset_makes_the_next_tick_a_period_from_now() {
    uring_rt::start(async {
        let start = Instant::now();
        let mut i = interval_at(start, P);
        assert_eq!(i.tick().await, start);
        assert_eq!(i.tick().await, start + P);
        let before = Instant::now();
        i.reset();
        let after = Instant::now();
        let t = i.tick().await;
        assert!(t >= before + P && t <= after + P);
        assert_eq!(i.tick().await, t + P);
    });
}

#[test]
fn reset_immediately_ticks_at_once() {
    uring_rt::start(async {
        let start = Instant::now();
        let mut i = interval_at(start, Duration::from_secs(60));
        assert_eq!(i.tick().await, start);
        assert!(
            poll_tick(&mut i).is_pending(),
            "the next tick is a minute away"
        );
        let before = Instant::now();
        i.reset_immediately();
        let after = Instant::now();
        match poll_tick(&mut i) {
            Poll::Ready(t) => assert!(t >= before && t <= after),
            Poll::Pending => panic!("reset_immediately did not make a tick due"),
        }
    });
}

#[test]
fn reset_after_and_reset_at_set_the_next_tick() {
    uring_rt::start(async {
        let start = Instant::now();
        let mut i = interval_at(start, P);
        assert_eq!(i.tick().await, start);
        let before = Instant::now();
        i.reset_after(ms(20));
        let after = Instant::now();
        let t = i.tick().await;
        assert!(t >= before + ms(20) && t <= after + ms(20));
        assert_eq!(i.tick().await, t + P);

        let at = Instant::now() + ms(40);
        i.reset_at(at);
        assert_eq!(i.tick().await, at);
        assert_eq!(i.tick().await, at + P);
    });
}

#[test]
fn reset_at_beyond_a_period_holds_the_ticks_until_then() {
    uring_rt::start(async {
        let start = Instant::now();
        let mut i = interval_at(start, P);
        assert_eq!(i.tick().await, start);
        i.reset_at(Instant::now() + Duration::from_secs(60));
        assert!(poll_tick(&mut i).is_pending());
        let at = Instant::now() + P * 4;
        i.reset_at(at);
        let t = i.tick().await;
        assert_eq!(t, at, "a tick came before the deadline it was reset to");
        assert!(Instant::now() >= at);
        assert_eq!(i.tick().await, at + P);
    });
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn reset_wakes_a_waiting_poll_at_the_new_deadline() {
    uring_rt::start(async {
        let count = Arc::new(CountWaker::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut i = interval(Duration::from_secs(60));
        assert!(i.poll_tick(&mut cx).is_ready());
        assert!(i.poll_tick(&mut cx).is_pending());
        let at = Instant::now() + ms(10);
        i.reset_at(at);
        // A later deadline: the runtime fires the interval's timer no later than this one.
        sleep(ms(40)).await;
        assert!(
            count.0.load(Ordering::SeqCst) >= 1,
            "the reset tick did not wake"
        );
        assert_eq!(i.poll_tick(&mut cx), Poll::Ready(at));
    });
}

/// Counts ticks through `poll_tick` and yields every fourth count; in between it returns
/// `Pending`, waking itself first only if `wake_on_pending`.
struct EveryFourth {
    counter: u32,
    timer: Interval,
    wake_on_pending: bool,
}

impl Stream for EveryFourth {
    type Item = u32;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        let this = self.get_mut();
        if this.counter > 12 {
            return Poll::Ready(None);
        }
        match this.timer.poll_tick(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => {
                this.counter += 1;
                if this.counter % 4 == 0 {
                    return Poll::Ready(Some(this.counter));
                }
                if this.wake_on_pending {
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            }
        }
    }
}

async fn collect_every_fourth(wake_on_pending: bool, limit: Duration) -> Vec<u32> {
    let mut stream = EveryFourth {
        counter: 0,
        timer: interval(ms(2)),
        wake_on_pending,
    };
    let mut items = Vec::new();
    let _ = timeout(limit, async {
        while let Some(n) = stream.next().await {
            items.push(n);
        }
    })
    .await;
    items
}

#[test]
fn poll_tick_stream_that_wakes_itself_yields_every_fourth_tick() {
    uring_rt::start(async {
        let items = collect_every_fourth(true, Duration::from_secs(20)).await;
        assert_eq!(items, [4, 8, 12]);
    });
}

#[test]
fn poll_tick_leaves_no_wakeup_behind_after_ready() {
    uring_rt::start(async {
        // After the first (immediate) tick nothing wakes the stream again but the timeout,
        // which then ends it: no item comes out.
        let items = collect_every_fourth(false, ms(100)).await;
        assert_eq!(items, Vec::<u32>::new());
    });
}

#[test]
fn max_period_ticks_once_without_overflow() {
    uring_rt::start(async {
        let mut i = interval(Duration::MAX);
        assert!(poll_tick(&mut i).is_ready());
        assert!(poll_tick(&mut i).is_pending());
        for behavior in [MissedTickBehavior::Delay, MissedTickBehavior::Skip] {
            let mut i = interval_at(Instant::now() - Duration::from_secs(1), Duration::MAX);
            i.set_missed_tick_behavior(behavior);
            assert!(poll_tick(&mut i).is_ready());
            assert!(poll_tick(&mut i).is_pending());
        }
        i.reset_after(Duration::MAX);
        assert!(poll_tick(&mut i).is_pending());
    });
}

#[test]
fn cancelled_tick_consumes_no_tick() {
    uring_rt::start(async {
        let start = Instant::now();
        let mut i = interval_at(start, ms(300));
        assert_eq!(i.tick().await, start);
        // Whichever wins the race, the next tick taken is the scheduled one.
        let next = match timeout(ms(1), i.tick()).await {
            Ok(t) => t,
            Err(_) => i.tick().await,
        };
        assert_eq!(next, start + ms(300));
    });
}

#[test]
fn documented_basics() {
    uring_rt::start(async {
        // The first tick completes at once with the creation instant; later ones follow the
        // period, counting the time spent between calls.
        let before = Instant::now();
        let mut i = interval(P);
        assert_eq!(i.period(), P);
        let first = i.tick().await;
        assert!(first >= before && first <= Instant::now());
        for k in 1..=3u32 {
            sleep(ms(5)).await;
            assert_eq!(i.tick().await, first + P * k);
        }
        assert!(Instant::now() >= first + P * 3);
        // interval_at: the first tick is `start`, not before it.
        let start = Instant::now() + ms(20);
        let mut i = interval_at(start, P);
        assert_eq!(i.tick().await, start);
        assert!(Instant::now() >= start);
        // As a stream it yields the instants `tick` would.
        let ticks: Vec<Instant> = interval_at(start, P).take(3).collect().await;
        assert_eq!(ticks, [start, start + P, start + P * 2]);
    });
}
