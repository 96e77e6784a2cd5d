//! `IORING_REGISTER_FILES`: registered ("fixed") files, for `File::register` (kernel 5.19+
//! for the sparse table).
//!
//! Not an operation but the user-side half of registered files: the table itself is the
//! driver's (`Driver::register_file`); a `FileFd` refers to its slot by `(ring id, slot)` and
//! gives it back through the driver wherever it is dropped. Stream sockets share the same
//! table as direct descriptors (`register_socket`, up to the builder's quota), held by their
//! `SharedFd` (see `op::fd`).

use std::io;
use std::os::fd::RawFd;

use crate::driver::Driver;
use crate::runtime::context;

/// Puts `fd` in a free slot of the current ring's table; returns `(ring id, slot)`.
///
/// # Errors
///
/// No runtime; `ResourceBusy` when all slots are taken; the kernel's error (with what to do)
/// when the table cannot be registered.
pub(crate) fn register_file(fd: RawFd) -> io::Result<(u64, u32)> {
    let driver = context::driver()?;
    let slot = driver.register_file(fd)?;
    Ok((driver.id(), slot))
}

/// Empties `slot` of ring `ring`: now when that ring is this thread's current one, else on
/// the ring's thread at its next tick. A ring that is gone closed its table with it.
pub(crate) fn unregister_file(ring: u64, slot: u32) {
    let driver = context::driver().ok();
    Driver::run_on(
        driver.as_deref(),
        ring,
        Box::new(move |d| d.unregister_file(slot)),
    );
}

/// The id of this thread's current ring, if any.
pub(crate) fn current_ring() -> Option<u64> {
    context::driver().ok().map(|d| d.id())
}

/// Gives the stream socket `fd` a slot in the current ring's table when the runtime was built
/// with direct descriptors and the quota has room: `(ring id, slot)`, or `None` (no runtime,
/// switch off, table full, kernel too old): the socket then goes by its plain fd.
pub(crate) fn register_socket(fd: RawFd) -> Option<(u64, u32)> {
    let driver = context::driver().ok()?;
    let slot = driver.register_socket(fd)?;
    Some((driver.id(), slot))
}

/// Empties the socket slot `slot` of ring `ring`, as [`unregister_file`].
pub(crate) fn unregister_socket(ring: u64, slot: u32) {
    let driver = context::driver().ok();
    Driver::run_on(
        driver.as_deref(),
        ring,
        Box::new(move |d| d.unregister_socket(slot)),
    );
}
