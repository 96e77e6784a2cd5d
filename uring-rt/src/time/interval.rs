//! `Interval`: ticks at a fixed period.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{sleep_until, Sleep};

/// Ticks every `period`, the first tick completing immediately. Missed ticks (the task was
/// busy) are skipped rather than fired in a burst.
///
/// # Panics
///
/// When `period` is zero (as tokio does: a zero period would spin).
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
pub fn interval(period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "interval period must be non-zero");
    Interval {
        period,
        sleep: Box::pin(sleep_until(Instant::now())),
    }
}

/// The stream of ticks returned by [`interval`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl Interval {
    /// Waits for the next tick; returns the instant it was scheduled for.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let mut i = uring_rt::time::interval(std::time::Duration::from_millis(1));
    ///     let first = i.tick().await;
    ///     let second = i.tick().await;
    ///     assert!(second > first);
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
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
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let now = Instant::now();
        let mut next = scheduled + self.period;
        if next <= now {
            // Skip missed ticks: the next one is the first period boundary after now.
            let behind = now.duration_since(scheduled).as_nanos() / self.period.as_nanos();
            next = scheduled + self.period * (behind as u32 + 1);
        }
        self.sleep.as_mut().reset(next);
        Poll::Ready(scheduled)
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

use std::future::Future;

/// Never ends: each item is the instant of a tick, as [`Interval::tick`] returns it.
impl futures_core::Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
