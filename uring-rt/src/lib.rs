//! uring-rt: a thread-per-core async runtime for Linux built on io_uring.
//!
//! Each thread owns one [`Runtime`]: one io_uring, one task queue and its timers. Futures
//! submit operations to the ring; the runtime completes them from the completion queue.
//! Buffers are *owned* by an operation while the kernel may touch them: a read takes your
//! buffer and gives it back with the result ([`BufResult`](buf::BufResult)).
//!
//! ```
//! uring_rt::start(async {
//!     let task = uring_rt::spawn(async { 40 + 2 });
//!     assert_eq!(task.await.unwrap(), 42);
//!     uring_rt::io::nop().await.unwrap(); // one round trip through the ring
//! });
//! ```
//!
//! # Execution model
//!
//! - **Who submits.** Only the runtime's own thread touches its ring. An operation's future
//!   builds its SQE on first poll and queues it; nothing is sent to the kernel yet.
//! - **When `io_uring_enter` runs.** Once per scheduler tick: after up to 64 ready tasks ran,
//!   the runtime either submits what is queued and reaps completions without waiting (more
//!   work is ready), or *parks*: one `io_uring_enter` submits the queue and waits for a
//!   completion, the next timer deadline, or a wake-up from another thread. An idle runtime
//!   therefore sleeps in the kernel and uses no CPU. When the submission queue is full the
//!   driver submits early and retries; an SQE is never dropped.
//! - **Ring setup.** The runtime asks for `SINGLE_ISSUER | DEFER_TASKRUN` (completions are
//!   posted only when the thread waits for them, which is the cheapest mode), falling back to
//!   `COOP_TASKRUN` and then to a plain ring on older kernels.
//! - **Wake-ups from other threads.** [`Waker`](std::task::Waker)s are `Send + Sync`. Waking
//!   a task of another runtime queues it there and, only if that runtime is parked, writes
//!   an eventfd whose read is armed in its ring. So channels from other crates
//!   (`async-channel`, `tokio::sync`, `futures::channel`) work across threads.
//! - **Timers** live in the runtime (a heap), not in the ring; the earliest deadline is the
//!   timeout of the park.
//!
//! # What cancellation means for a buffer
//!
//! Dropping an operation's future before its completion (a `timeout`, a `select!`, an
//! aborted task) does not free the buffer: the buffer and everything else the kernel may
//! touch move into the driver's slot, an `IORING_OP_ASYNC_CANCEL` is submitted, and they are
//! freed only when the operation's final completion arrives. If the kernel had already
//! produced something (an accepted connection, an opened file), the driver releases it.
//! `mem::forget` of such a future leaks its buffer rather than freeing it under the kernel.
//! Dropping a [`Runtime`] cancels every task and operation and waits (up to 5 s) for the
//! kernel to finish them before any buffer or the ring is freed; if the kernel still has not
//! finished, the memory is leaked, never freed.
//!
//! An operation dropped away from its ring (on another thread, or after `block_on` returned)
//! hands its data to the ring's mailbox; the ring cancels it at its next tick and frees the
//! data after the final completion. The same path returns registered buffers, registered
//! files and timers dropped away from their runtime.
//!
//! # When the kernel fails
//!
//! Nothing in the submission path panics. A transient `io_uring_enter` error (`EINTR`,
//! `EAGAIN`, `EBUSY`) leaves every SQE queued for the next tick. Any other error (`EOWNERDEAD`
//! when an SQPOLL thread died, `EBADR` after the kernel dropped completions, `ENXIO`, ...)
//! faults the ring: operations the kernel never received complete with that error and get
//! their buffers back, later operations fail the same way, and operations the kernel did
//! receive keep their buffers until their completion arrives. With SQPOLL, every submission
//! wakes a sleeping SQ thread, and a full SQ waits for the thread to make room before the
//! runtime parks. The cargo feature `fault-injection` adds a `fault` module that
//! injects such failures for tests.
//!
//! # Where io_uring is blocked: the epoll driver
//!
//! [`Runtime::builder().driver(..)`](runtime::Builder::driver) chooses the driver
//! ([`DriverKind`](runtime::DriverKind)); the default, `Auto`, takes io_uring when the ring
//! can be set up and otherwise the readiness driver (container seccomp profiles,
//! `kernel.io_uring_disabled`, gVisor). `URING_RT_DRIVER=auto|io_uring|epoll` sets the
//! default; [`Runtime::driver_kind`] says which runs. The readiness driver executes the same
//! SQEs the op layer builds, so every API keeps its shape and its guarantees:
//!
//! - sockets, pipes and eventfds: the syscall runs nonblocking on the runtime's thread
//!   (`MSG_DONTWAIT`, `RWF_NOWAIT`); when it would block, the op waits for readiness
//!   (`epoll`, edge-triggered) and is retried. A dropped op that is still waiting is
//!   removed before any syscall ran for it, so no byte or connection is consumed for it;
//! - files and paths: reads and writes try `preadv2`/`pwritev2` with `RWF_NOWAIT` (page-cache
//!   hits), the rest runs on a small thread pool; the op's buffer stays in its future or in
//!   the driver's slot until the pool thread is done, as with the kernel;
//! - multishot accept and receive are loops of single calls; provided-buffer rings
//!   ([`BufRing`](net::BufRing)) are filled by the driver from the same ring memory;
//!   registered files are duplicated descriptors; registered buffers
//!   ([`FixedBufPool`](fs::FixedBufPool)) are plain buffers; `send_zc` is a plain send (its
//!   notification comes with the result). Nothing returns `Unsupported` for lack of io_uring.
//!
//! # Requirements
//!
//! Linux 5.19 or newer with io_uring enabled (6.1+ recommended for `DEFER_TASKRUN`); Rust
//! 1.80 or newer. On the io_uring driver, a file or path operation whose opcode the kernel
//! lacks (`IORING_OP_FTRUNCATE` before 6.9, `MKDIRAT` before 5.15, ...) runs its system call
//! on the runtime's I/O threads instead of failing
//! ([`RuntimeMetrics::ops_fallback`](runtime::RuntimeMetrics::ops_fallback) counts them).

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

pub mod buf;
pub mod compat;
mod driver;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod fs;
pub mod io;
pub mod net;
mod op;
pub mod runtime;
pub mod signal;
pub mod task;
pub mod time;

pub use runtime::{spawn, spawn_blocking, yield_now, Runtime};

/// Runs an `async fn` (usually `main`) on a new runtime on the calling thread, as
/// `#[tokio::main]` does. The function keeps its arguments and return type (`Result`
/// included). Panics with the reason when io_uring cannot be set up (see [`start`]).
/// Feature `macros` (on by default).
///
/// # Examples
///
/// ```
/// #[uring_rt::main]
/// async fn main() -> std::io::Result<()> {
///     uring_rt::io::nop().await?;
///     Ok(())
/// }
/// # fn call() { main().unwrap() }
/// ```
///
/// It works on any `async fn`, arguments included:
///
/// ```
/// #[uring_rt::main]
/// async fn double(x: u32) -> u32 {
///     uring_rt::spawn(async move { x * 2 }).await.unwrap()
/// }
/// assert_eq!(double(21), 42);
/// ```
#[cfg(feature = "macros")]
pub use uring_rt_macros::main;

pub use task::{JoinError, JoinHandle};
/// Runs an `async fn` test on a new runtime, as `#[tokio::test]` does. The test returns
/// `()` or a `Result` (an `Err` fails it). Feature `macros` (on by default).
///
/// # Examples
///
/// ```
/// #[uring_rt::test]
/// async fn nop_round_trip() -> std::io::Result<()> {
///     uring_rt::io::nop().await
/// }
/// ```
#[cfg(feature = "macros")]
pub use uring_rt_macros::test;

/// Everything needed to call the methods of this crate's types.
///
/// # Examples
///
/// ```
/// use uring_rt::prelude::*;
/// uring_rt::start(async {
///     let buf = vec![1u8, 2, 3];
///     assert_eq!(buf.bytes_init(), 3);
/// });
/// ```
pub mod prelude {
    pub use crate::buf::{BufResult, IoBuf, IoBufMut};
    pub use crate::io::{AsyncReadOwned, AsyncReadOwnedExt, AsyncWriteOwned, AsyncWriteOwnedExt};
}

/// Runs `future` on a new runtime on this thread and returns its output.
///
/// # Panics
///
/// When io_uring cannot be set up here (the message says why and what to do; use
/// [`Runtime::new`] to handle that as an error), or when called inside a runtime.
///
/// # Examples
///
/// ```
/// let n = uring_rt::start(async { 1 + 2 });
/// assert_eq!(n, 3);
/// ```
pub fn start<F: std::future::Future>(future: F) -> F::Output {
    let rt = Runtime::new()
        .unwrap_or_else(|e| panic!("uring_rt::start: cannot create the io_uring runtime: {e}"));
    rt.block_on(future)
}
