//! Time: `sleep`, `sleep_until`, `timeout`, `interval`.
//!
//! Timers live in the runtime (a heap of deadlines), not in the ring: registering one costs
//! no syscall, and the earliest deadline becomes the timeout of the ring's wait.

#![deny(unsafe_code)]

mod interval;
mod sleep;
mod timeout;

pub use interval::{interval, Interval};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
