//! I/O helpers not tied to files or sockets.

#![deny(unsafe_code)]

use std::io;

use crate::op::{Nop, Op};

/// One `IORING_OP_NOP` round trip through the ring: submitted, completed by the kernel,
/// reaped. Useful to measure the runtime's per-operation overhead.
///
/// # Errors
///
/// When called outside a runtime (`ErrorKind::Other`).
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     uring_rt::io::nop().await.unwrap();
/// });
/// ```
pub async fn nop() -> io::Result<()> {
    Op::new(Nop).await
}
