//! `timeout`: bounds a future by a duration.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{far_future, sleep_until, Sleep};
use crate::task::coop;

/// The error of a [`timeout`] whose duration elapsed first. Converts into an `io::Error` of
/// kind `TimedOut`, as tokio's `time::error::Elapsed`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// uring_rt::start(async {
///     let err = uring_rt::time::timeout(Duration::ZERO, std::future::pending::<()>())
///         .await
///         .unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
///     assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::TimedOut);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}

/// Runs `future`, giving up after `duration` with [`Elapsed`]. On timeout the future is
/// dropped; an I/O operation inside it is cancelled and its buffer freed only once the kernel
/// is done with it.
///
/// As tokio's: the future is polled before the deadline is checked, so one that is ready at
/// once gives `Ok` whatever the duration (zero included); a duration too large for `Instant`
/// never elapses; `future` may be anything that implements `IntoFuture`. If the future uses
/// up its task's cooperative budget, the deadline is still checked (the timeout cannot be
/// starved by the future it bounds).
///
/// # Errors
///
/// [`Elapsed`] when `duration` passes before `future` completes.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// uring_rt::start(async {
///     let slow = uring_rt::time::sleep(Duration::from_secs(60));
///     assert!(uring_rt::time::timeout(Duration::from_millis(5), slow).await.is_err());
///     let fast = async { 3 };
///     assert_eq!(uring_rt::time::timeout(Duration::from_secs(1), fast).await, Ok(3));
/// });
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(far_future);
    timeout_at(deadline, future)
}

/// Like [`timeout`] with an absolute deadline; a deadline already past still lets a future
/// that is ready at once return `Ok`.
///
/// # Errors
///
/// [`Elapsed`] when `deadline` passes before `future` completes.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// uring_rt::start(async {
///     let r = uring_rt::time::timeout_at(Instant::now(), std::future::pending::<()>()).await;
///     assert!(r.is_err());
///     let past = Instant::now() - Duration::from_secs(1);
///     assert_eq!(uring_rt::time::timeout_at(past, async { 1 }).await, Ok(1));
/// });
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        sleep: sleep_until(deadline),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The wrapped future.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = uring_rt::time::timeout(std::time::Duration::from_secs(1), std::future::ready(4));
    /// let _inner: &std::future::Ready<i32> = t.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The wrapped future, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = uring_rt::time::timeout(std::time::Duration::from_secs(1), std::future::ready(4));
    /// let _inner: &mut std::future::Ready<i32> = t.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Gives the wrapped future back, dropping the deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// uring_rt::start(async {
    ///     let t = uring_rt::time::timeout(Duration::ZERO, async { 5 });
    ///     assert_eq!(t.into_inner().await, 5);
    /// });
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(out) = this.future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let mut sleep = Pin::new(this.sleep);
        let fired = if had_budget && !coop::has_budget_remaining() {
            // The future used up the budget: check the deadline anyway, or a future that
            // always does so would never time out.
            coop::unconstrained(|| sleep.as_mut().poll(cx))
        } else {
            sleep.as_mut().poll(cx)
        };
        fired.map(|()| Err(Elapsed(())))
    }
}
