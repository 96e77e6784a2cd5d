//! Fault injection for tests (cargo feature `fault-injection`, off by default).
//!
//! [`Builder::faults`](crate::runtime::Builder::faults) installs a layer between the driver
//! and its ring that, driven by a seeded PRNG, rewrites completion results, delays and
//! reorders completions, ends multishot receives and makes `io_uring_enter` fail, while
//! keeping the kernel's rules (every SQE gets exactly one final completion).
//! [`Runtime::fault_stats`](crate::Runtime::fault_stats) tells what it did. The environment
//! variable `URING_RT_FAULT_SEED` overrides the seed, so a failing seed replays.
//!
//! # Examples
//!
//! ```
//! use uring_rt::fault::FaultConfig;
//! let rt = uring_rt::Runtime::builder()
//!     .faults(FaultConfig::new(1).cqe_error(1.0))
//!     .build()
//!     .unwrap();
//! let res = rt.block_on(async { uring_rt::io::nop().await });
//! assert!(res.is_err());
//! assert_eq!(rt.fault_stats().cqes_rewritten, 1);
//! ```

pub use crate::driver::{FaultConfig, FaultStats};
