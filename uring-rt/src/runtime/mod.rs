//! The runtime: driver, scheduler and timers of one thread, the `block_on` loop, handles,
//! the blocking pool.
//!
//! # The loop
//!
//! `block_on` repeats: poll the main future if woken; run up to 64 ready tasks; fire due
//! timers; then either submit and reap without waiting (more work is ready, or tasks yielded:
//! they are woken right after this reap, as tokio defers yields) or park in one
//! `io_uring_enter` that submits everything queued and waits for a completion, a wake-up from
//! another thread, or the next timer deadline. So queued SQEs reach the kernel once per tick
//! and an idle runtime sleeps in the kernel. The exception: reads and writes on `O_DIRECT`
//! files are submitted as soon as their task polls them, one `io_uring_enter` each, because
//! the kernel holds a batch of block requests in a plug until all are issued.

#![deny(unsafe_code)]

mod affinity;
mod blocking;
mod builder;
pub(crate) mod context;
mod handle;
mod metrics;
mod rt;
mod spawn;
mod thread_per_core;
pub(crate) mod timers;

pub use blocking::{MAX_BLOCKING_QUEUE, MAX_BLOCKING_THREADS};
pub use builder::Builder;
pub use handle::Handle;
pub use metrics::RuntimeMetrics;
pub use rt::{EnterGuard, Runtime};
pub use spawn::{spawn, spawn_blocking, yield_now};
pub use thread_per_core::{Core, ThreadPerCore, ThreadPerCoreBuilder};
pub use timers::TIMER_SIZE;

pub use crate::driver::{DriverKind, SetupError, TaskrunMode};

/// Sizes of the runtime's per-item bookkeeping, in bytes (see the README's memory table).
pub mod sizes {
    /// The header of every task allocation.
    pub const TASK_HEADER: usize = crate::task::HEADER_SIZE;
    /// One slot of the in-flight op slab.
    pub const OP_SLOT: usize = crate::driver::SLOT_SIZE;
    /// One pending timer.
    pub const TIMER: usize = super::TIMER_SIZE;

    /// The whole allocation of a task running a future of type `F` (header, future, output).
    ///
    /// # Examples
    ///
    /// ```
    /// let n = uring_rt::runtime::sizes::task::<std::future::Ready<u64>>();
    /// assert!(n >= uring_rt::runtime::sizes::TASK_HEADER);
    /// ```
    pub fn task<F: std::future::Future>() -> usize {
        crate::task::task_size::<F>()
    }
}
