//! `unconstrained`: a future polled without a cooperative budget, as tokio's.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs `future` without a cooperative budget: operations inside it never make it yield, as
/// tokio's `unconstrained`. A future that never waits then never lets other tasks run.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     uring_rt::task::unconstrained(async {
///         for _ in 0..1000 {
///             uring_rt::task::consume_budget().await; // never yields here
///         }
///     })
///     .await;
/// });
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

pin_project_lite::pin_project! {
    /// The future of [`unconstrained`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Unconstrained<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future;
        super::coop::unconstrained(|| future.poll(cx))
    }
}
