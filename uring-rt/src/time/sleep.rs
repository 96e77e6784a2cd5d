//! `Sleep`: a future that completes at a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::runtime::context;
use crate::runtime::timers::TimerKey;
use crate::task::coop;

/// Waits until `duration` has elapsed.
///
/// # Panics
///
/// When polled outside a uring-rt runtime.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// uring_rt::start(async {
///     let start = Instant::now();
///     uring_rt::time::sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    // A duration too large for `Instant` sleeps "forever" (about 30 years).
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(far_future);
    sleep_until(deadline)
}

/// Waits until `deadline`.
///
/// # Panics
///
/// When polled outside a uring-rt runtime.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// uring_rt::start(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     uring_rt::time::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        registered: None,
        armed: false,
    }
}

pub(crate) fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86400 * 365 * 30)
}

/// The future returned by [`sleep`] and [`sleep_until`]. `Send`: it refers to its runtime's
/// timers by id, so it can be part of a future handed to another thread before it is polled.
///
/// As tokio's `Sleep`: its timer starts at the first poll (or [`reset`](Sleep::reset)); it
/// can be re-armed with `reset` before or after it completed; a completed sleep uses one
/// unit of its task's cooperative budget, so a loop over sleeps that are already due still
/// lets the other tasks and the timers run. Unlike tokio's, making one outside a runtime is
/// fine: only polling it there panics.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    /// The runtime id and timer key, once registered.
    registered: Option<(u64, TimerKey)>,
    /// Polled or reset at least once: its timer runs (what `is_elapsed` reports on).
    armed: bool,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Sleep {
    /// When this sleep completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(uring_rt::time::sleep_until(deadline).deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the sleep has elapsed: as tokio's, `false` until its timer started (its first
    /// poll or [`reset`](Sleep::reset)), then whether the deadline has passed. A sleep reset
    /// to a later deadline is not elapsed again until that deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// uring_rt::start(async {
    ///     let mut s = Box::pin(uring_rt::time::sleep(Duration::ZERO));
    ///     assert!(!s.is_elapsed()); // not started
    ///     s.as_mut().await;
    ///     assert!(s.is_elapsed());
    ///     s.as_mut().reset(Instant::now() + Duration::from_secs(60));
    ///     assert!(!s.is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.armed && Instant::now() >= self.deadline
    }

    /// Moves the deadline, re-arming a sleep that already completed. Callable before the
    /// first poll, while pending (the waiting task is woken at the new deadline, earlier or
    /// later) and after completion, as tokio's `Sleep::reset`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// uring_rt::start(async {
    ///     let mut s = Box::pin(uring_rt::time::sleep(Duration::from_secs(60)));
    ///     s.as_mut().reset(Instant::now() + Duration::from_millis(1));
    ///     s.await;
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        this.armed = true;
        if let Some((rt, key)) = this.registered {
            let moved = context::current()
                .filter(|ctx| ctx.id == rt)
                .and_then(|ctx| {
                    let mut timers = ctx.timers.try_borrow_mut().ok()?;
                    timers.reset(key, deadline)
                });
            match moved {
                Some(key) => this.registered = Some((rt, key)),
                // Registered with a runtime not entered here: take the timer out there; the
                // next poll registers it where it runs.
                None => this.deregister(),
            }
        }
    }

    /// Whether the timer fired; registers it (with the runtime entered here) if it is not.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let ctx = context::current().unwrap_or_else(|| {
            panic!(
                "uring_rt::time::Sleep polled outside of a uring-rt runtime: await it \
                 inside Runtime::block_on or uring_rt::start"
            )
        });
        if let Some((rt, key)) = self.registered {
            if rt == ctx.id {
                return ctx.timers.borrow_mut().poll(key, cx);
            }
            // The sleep moved to another runtime: its old timer must not stay behind there.
            self.deregister();
        }
        let key = ctx
            .timers
            .borrow_mut()
            .insert(self.deadline, cx.waker().clone());
        self.registered = Some((ctx.id, key));
        false
    }

    /// Removes the timer from its runtime: here if that runtime is entered, else on its thread
    /// at its next tick (a `Sleep` dropped on another thread or after `block_on` returned
    /// must not leave its timer, and the waker it holds, behind).
    fn deregister(&mut self) {
        if let Some((rt, key)) = self.registered.take() {
            context::run_on(rt, move |ctx| {
                if let Ok(mut timers) = ctx.timers.try_borrow_mut() {
                    timers.remove(key);
                }
            });
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.armed = true;
        if Instant::now() < this.deadline && !this.poll_timer(cx) {
            return Poll::Pending;
        }
        // Due: one unit of the task's budget (tokio's coop), so a loop over due sleeps yields.
        if coop::poll_proceed(cx.waker()).is_pending() {
            return Poll::Pending;
        }
        this.deregister();
        Poll::Ready(())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.deregister();
    }
}
