//! Signals: [`ctrl_c`], a future that completes when the process receives `SIGINT`.
//!
//! # How it works
//!
//! The first call installs one process-wide `sigaction` handler for `SIGINT`. Each waiting
//! [`ctrl_c`] future holds one of a fixed number of slots, each with its own eventfd (made
//! once, never closed, so the handler can never write into a reused fd number). The handler
//! (async-signal-safe: atomic loads and `write(2)` only) writes every busy slot's eventfd;
//! each future reads its eventfd through its runtime's ring. So a `SIGINT` wakes every
//! waiting future, on every runtime, whichever thread the kernel delivered it to: unlike a
//! `signalfd`, this does not need `SIGINT` blocked in every thread of the process.
//!
//! # Examples
//!
//! ```
//! uring_rt::start(async {
//!     let ctrl_c = uring_rt::signal::ctrl_c();
//!     // SIGINT to the whole process, as a terminal's Ctrl-C sends it.
//!     unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
//!     ctrl_c.await.unwrap();
//! });
//! ```

mod ctrl_c;

pub use ctrl_c::ctrl_c;
