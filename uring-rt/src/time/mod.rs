//! Time: `sleep`, `sleep_until`, `timeout`, `timeout_at`, `interval`, `interval_at`.
//!
//! The API has tokio's `tokio::time` shape: `Sleep` (with `reset`, `deadline`,
//! `is_elapsed`), `Timeout` (with `get_ref`, `get_mut`, `into_inner`) and `Elapsed` (also as
//! `error::Elapsed`), `Interval` with `MissedTickBehavior` and the `reset*` family.
//! [`Instant`] and [`Duration`] are std's (re-exported here so `use uring_rt::time::{Duration,
//! Instant}` works as tokio's import does); there is no paused test clock.
//!
//! Timers live in the runtime (a heap of deadlines), not in the ring: registering one costs
//! no syscall, and the earliest deadline becomes the timeout of the ring's wait.

#![deny(unsafe_code)]

mod interval;
mod sleep;
mod timeout;

pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::{Duration, Instant};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};

/// The time error types, at the path tokio users import them from (`time::error::Elapsed`).
pub mod error {
    pub use super::timeout::Elapsed;
}
