//! [`HyperExecutor`] and [`HyperTimer`]: hyper's runtime hooks over uring-rt (feature
//! `hyper`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::time::{sleep, sleep_until, Sleep};

/// `hyper::rt::Executor` that spawns on the current uring-rt runtime as a local task
/// ([`spawn`](crate::spawn)), so futures need not be `Send`: what hyper's HTTP/2 connections
/// use for their streams.
///
/// # Panics
///
/// `execute` panics outside a uring-rt runtime (as [`spawn`](crate::spawn) does).
///
/// # Examples
///
/// ```
/// use hyper::rt::Executor;
/// use uring_rt::compat::HyperExecutor;
///
/// uring_rt::start(async {
///     let (tx, rx) = futures::channel::oneshot::channel();
///     HyperExecutor.execute(async move { tx.send(7).unwrap() });
///     assert_eq!(rx.await.unwrap(), 7);
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HyperExecutor;

impl<F> hyper::rt::Executor<F> for HyperExecutor
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, fut: F) {
        drop(crate::spawn(fut));
    }
}

/// `hyper::rt::Timer` over uring-rt's timers ([`sleep_until`]): for hyper's header read
/// timeout, HTTP/2 keep-alive pings and the like.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use hyper::rt::Timer;
/// use uring_rt::compat::HyperTimer;
///
/// uring_rt::start(async {
///     let start = Instant::now();
///     HyperTimer.sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HyperTimer;

/// A uring-rt [`Sleep`] as `hyper::rt::Sleep`.
#[derive(Debug)]
struct HyperSleep(Sleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

impl hyper::rt::Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(sleep_until(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(mut s) => Pin::new(&mut s.0).reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}
