//! `IORING_REGISTER_FILES`: registered ("fixed") files, for `File::register` (kernel 5.19+
//! for the sparse table).
//!
//! Not an operation but the user-side half of registered files: the table itself is the
//! driver's (`Driver::register_file`); a `FileFd` refers to its slot by `(ring id, slot)` and
//! gives it back through the driver wherever it is dropped. Stream sockets share the same
//! table as direct descriptors (`reserve_socket`, up to the builder's quota), held by their
//! `SharedFd` (see `op::fd`); a socket enters and leaves its slot through SQEs queued with the
//! ring's other work (`IORING_OP_FILES_UPDATE`, `close_direct`), not system calls of their own.

use std::io;
use std::os::fd::RawFd;

use io_uring::opcode;

use super::close::close_slot;
use super::fd::SharedFd;
use crate::driver::{Completion, Driver, Orphan};
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

/// Reserves a slot of the current ring's table for the stream socket `fd` when the runtime
/// was built with direct descriptors and the quota has room: `(ring id, slot)`, or `None`
/// (no runtime, switch off, table full, kernel too old): the socket then goes by its plain
/// fd. The socket enters the slot with [`install_socket`].
pub(crate) fn reserve_socket(fd: RawFd) -> Option<(u64, u32)> {
    let driver = context::driver().ok()?;
    let slot = driver.reserve_socket(fd)?;
    Some((driver.id(), slot))
}

/// Puts the socket `fd` in its reserved `slot` of the current ring with an
/// `IORING_OP_FILES_UPDATE` queued with the next SQEs (no system call of its own). Until its
/// completion says the slot holds the socket, ops name the socket by its fd; the op holds a
/// clone of `fd`, so the socket outlives it. A failed update empties and frees the slot.
pub(crate) fn install_socket(fd: SharedFd, ring: u64, slot: u32) {
    let Ok(driver) = context::driver() else {
        return unregister_socket(ring, slot);
    };
    let installing = Box::new(Installing {
        fds: [fd.raw()],
        fd,
        ring,
        slot,
        installed: false,
    });
    let entry = opcode::FilesUpdate::new(installing.fds.as_ptr(), 1)
        .offset(slot as i32)
        .build();
    // SAFETY: the SQE points at `installing.fds`, inside the box the driver keeps (without
    // moving its contents) until the op's final completion, or leaks; the fd in it stays
    // open as long as `installing.fd` does.
    unsafe { driver.submit_orphan(entry, installing) };
}

/// An `IORING_OP_FILES_UPDATE` putting a stream socket in its slot: tells the socket's
/// `SharedFd` the outcome when the driver drops it, after the final completion.
struct Installing {
    /// The update's array of one fd (read by the kernel when it runs the SQE).
    fds: [RawFd; 1],
    fd: SharedFd,
    ring: u64,
    slot: u32,
    /// The kernel put the socket in the slot.
    installed: bool,
}

impl Orphan for Installing {
    fn orphan_completion(&mut self, c: Completion) {
        self.installed = c.result == 1 && !c.not_submitted();
    }
}

impl Drop for Installing {
    fn drop(&mut self) {
        debug_assert_eq!(self.fds[0], self.fd.raw());
        if self.installed {
            self.fd.slot_installed();
        } else {
            // A fault-injected error may hide an update that happened: empty the slot anyway.
            unregister_socket(self.ring, self.slot);
        }
    }
}

/// Empties the socket slot `slot` of ring `ring` with `close_direct` (an `IORING_OP_CLOSE`
/// by slot, queued, no system call of its own) and frees it: now when that ring is this
/// thread's current one, else on the ring's thread at its next tick.
pub(crate) fn unregister_socket(ring: u64, slot: u32) {
    let driver = context::driver().ok();
    Driver::run_on(
        driver.as_deref(),
        ring,
        Box::new(move |d| {
            close_slot(d, slot);
            d.release_socket(slot);
        }),
    );
}
