//! `Sleep`: a future that completes at a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::runtime::context;
use crate::runtime::timers::TimerKey;

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
    }
}

pub(crate) fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86400 * 365 * 30)
}

/// The future returned by [`sleep`] and [`sleep_until`]. `Send`: it refers to its runtime's
/// timers by id, so it can be part of a future handed to another thread before it is polled.
pub struct Sleep {
    deadline: Instant,
    /// The runtime id and timer key, once registered.
    registered: Option<(u64, TimerKey)>,
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

    /// Whether the deadline has passed.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = uring_rt::time::sleep(std::time::Duration::ZERO);
    /// assert!(s.is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline, re-arming a sleep that already completed.
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
        if let Some((rt, key)) = this.registered {
            let moved = context::with(|ctx| match ctx {
                Some(ctx) if ctx.id == rt => ctx.timers.borrow_mut().reset(key, deadline),
                _ => None,
            });
            this.registered = moved.map(|k| (rt, k));
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if Instant::now() >= this.deadline {
            this.deregister();
            return Poll::Ready(());
        }
        let fired = context::with(|ctx| {
            let ctx = ctx.unwrap_or_else(|| {
                panic!(
                    "uring_rt::time::Sleep polled outside of a uring-rt runtime: await it \
                     inside Runtime::block_on or uring_rt::start"
                )
            });
            let mut timers = ctx.timers.borrow_mut();
            match this.registered {
                Some((rt, key)) if rt == ctx.id => timers.poll(key, cx),
                _ => {
                    let key = timers.insert(this.deadline, cx.waker().clone());
                    this.registered = Some((ctx.id, key));
                    false
                }
            }
        });
        if fired {
            this.deregister();
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Sleep {
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

impl Drop for Sleep {
    fn drop(&mut self) {
        self.deregister();
    }
}
