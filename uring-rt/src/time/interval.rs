//! `Interval`: ticks at a fixed period; `MissedTickBehavior`: what it does after missing some.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{far_future, sleep_until, Sleep};

/// How late a tick must be before it counts as missed (tokio's figure): below it, the next
/// tick stays one period after the scheduled one whatever the behaviour, so scheduling jitter
/// does not make a [`MissedTickBehavior::Delay`] interval drift.
const MISSED_AFTER: Duration = Duration::from_millis(5);

/// Ticks every `period`, the first tick completing immediately; the same as
/// [`interval_at(Instant::now(), period)`](interval_at). Missed ticks are fired in a burst
/// until caught up ([`MissedTickBehavior::Burst`], tokio's default); see
/// [`Interval::set_missed_tick_behavior`].
///
/// # Panics
///
/// When `period` is zero (as tokio does: a zero period would spin). The panic names the
/// caller's line.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// uring_rt::start(async {
///     let start = Instant::now();
///     let mut every = uring_rt::time::interval(Duration::from_millis(5));
///     for _ in 0..3 {
///         every.tick().await;
///     }
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick completing at `start` (at once if `start` is past).
///
/// # Panics
///
/// When `period` is zero. The panic names the caller's line.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// uring_rt::start(async {
///     let start = Instant::now() + Duration::from_millis(20);
///     let mut every = uring_rt::time::interval_at(start, Duration::from_millis(5));
///     assert_eq!(every.tick().await, start);
///     assert_eq!(every.tick().await, start + Duration::from_millis(5));
///     assert!(Instant::now() >= start + Duration::from_millis(5));
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "interval period must be non-zero");
    Interval {
        period,
        sleep: sleep_until(start),
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does when a tick is taken more than 5 ms late (the task was busy or
/// the machine loaded), as tokio's enum of the same name. Below, `start` is the first tick,
/// `p` the period, and `t` the tick that was taken late, at `now`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use uring_rt::time::MissedTickBehavior;
/// uring_rt::start(async {
///     let mut every = uring_rt::time::interval(Duration::from_millis(5));
///     assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Burst);
///     every.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Skip);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// The next tick stays at `t + p`: missed ticks complete at once, one after the other,
    /// until the interval is caught up; every tick stays on the grid `start + k·p`. The
    /// default.
    #[default]
    Burst,
    /// The next tick is at `now + p`: ticks are never closer than a period, and leave the
    /// grid for good.
    Delay,
    /// The next tick is the first grid point `start + k·p` after `now`: missed ticks are
    /// dropped, the grid is kept.
    Skip,
}

impl MissedTickBehavior {
    /// When the tick after one scheduled at `scheduled` and taken late at `now` is due.
    fn next_tick(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        let next = match self {
            MissedTickBehavior::Burst => scheduled.checked_add(period),
            MissedTickBehavior::Delay => now.checked_add(period),
            MissedTickBehavior::Skip => {
                // now + (p - (now - t) mod p): the next multiple of p past t after now.
                let behind = now.duration_since(scheduled).as_nanos() % period.as_nanos();
                let rest = period.as_nanos() - behind;
                let rest = Duration::new(
                    u64::try_from(rest / 1_000_000_000).unwrap_or(u64::MAX),
                    (rest % 1_000_000_000) as u32,
                );
                now.checked_add(rest)
            }
        };
        next.unwrap_or_else(far_future)
    }
}

/// The stream of ticks returned by [`interval`] and [`interval_at`]; also a
/// `futures_core::Stream` of the same instants.
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    /// Completes at the next tick; its deadline is that tick's instant.
    sleep: Sleep,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick; returns the instant it was scheduled for (not when it was
    /// taken). Cancel safe: dropping the future before it completes consumes no tick.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut i = uring_rt::time::interval(std::time::Duration::from_millis(1));
    ///     let first = i.tick().await;
    ///     let second = i.tick().await;
    ///     assert_eq!(second - first, std::time::Duration::from_millis(1));
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick. On `Pending` the task is woken at the tick (only the waker of
    /// the latest call); on `Ready` no wake-up is left registered, as tokio's.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// uring_rt::start(async {
    ///     let mut i = uring_rt::time::interval(std::time::Duration::from_millis(1));
    ///     poll_fn(|cx| i.poll_tick(cx)).await;
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let now = Instant::now();
        let late = scheduled.checked_add(MISSED_AFTER).is_some_and(|t| now > t);
        let next = if late {
            self.missed_tick_behavior
                .next_tick(scheduled, now, self.period)
        } else {
            scheduled
                .checked_add(self.period)
                .unwrap_or_else(far_future)
        };
        // The sleep completed, so it holds no timer: this only moves the deadline, and the
        // next poll registers it.
        Pin::new(&mut self.sleep).reset(next);
        Poll::Ready(scheduled)
    }

    /// Makes the next tick one period from now (ignoring the missed-tick behaviour), as
    /// `reset_at(Instant::now() + period)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// uring_rt::start(async {
    ///     let mut i = uring_rt::time::interval(Duration::from_millis(5));
    ///     i.tick().await;
    ///     let before = Instant::now();
    ///     i.reset();
    ///     assert!(i.tick().await >= before + Duration::from_millis(5));
    /// });
    /// ```
    pub fn reset(&mut self) {
        self.reset_after(self.period);
    }

    /// Makes the next tick complete at once, as `reset_at(Instant::now())`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// uring_rt::start(async {
    ///     let mut i = uring_rt::time::interval(Duration::from_secs(60));
    ///     i.tick().await;
    ///     i.reset_immediately();
    ///     i.tick().await; // at once, not in a minute
    /// });
    /// ```
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// Makes the next tick `after` from now, as `reset_at(Instant::now() + after)`; a
    /// duration too large for `Instant` means "never" rather than a panic.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// uring_rt::start(async {
    ///     let mut i = uring_rt::time::interval(Duration::from_secs(60));
    ///     i.tick().await;
    ///     let before = Instant::now();
    ///     i.reset_after(Duration::from_millis(2));
    ///     assert!(i.tick().await >= before + Duration::from_millis(2));
    /// });
    /// ```
    pub fn reset_after(&mut self, after: Duration) {
        let deadline = Instant::now().checked_add(after).unwrap_or_else(far_future);
        self.reset_at(deadline);
    }

    /// Makes the next tick complete at `deadline` (the ticks after it follow one period
    /// apart); a past deadline ticks at once, late ones handled by the missed-tick behaviour.
    /// Ticks missed before the call are dropped. A task waiting in [`tick`](Interval::tick)
    /// is woken at the new deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// uring_rt::start(async {
    ///     let mut i = uring_rt::time::interval(Duration::from_secs(60));
    ///     i.tick().await;
    ///     let at = Instant::now() + Duration::from_millis(3);
    ///     i.reset_at(at);
    ///     assert_eq!(i.tick().await, at);
    /// });
    /// ```
    pub fn reset_at(&mut self, deadline: Instant) {
        Pin::new(&mut self.sleep).reset(deadline);
    }

    /// The behaviour after missed ticks ([`MissedTickBehavior::Burst`] unless set).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::time::MissedTickBehavior;
    /// let i = uring_rt::start(async { uring_rt::time::interval(std::time::Duration::from_secs(1)) });
    /// assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets the behaviour after missed ticks; it applies from the next tick taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use uring_rt::time::MissedTickBehavior;
    /// uring_rt::start(async {
    ///     let mut i = uring_rt::time::interval(Duration::from_millis(1));
    ///     i.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ///     i.tick().await;
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// The period.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let i = uring_rt::start(async { uring_rt::time::interval(Duration::from_secs(1)) });
    /// assert_eq!(i.period(), Duration::from_secs(1));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}

/// Never ends: each item is the instant of a tick, as [`Interval::tick`] returns it.
impl futures_core::Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
