//! `timeout`: bounds a future by a duration.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{far_future, sleep_until, Sleep};

/// The error of a [`timeout`] whose duration elapsed first.
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
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(far_future);
    timeout_at(deadline, future)
}

/// Like [`timeout`] with an absolute deadline.
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
/// });
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`].
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}
