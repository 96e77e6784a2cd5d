//! `FileFd`: a file's [`SharedFd`], whose extension is its slot in a ring's table of
//! registered files (`File::register`).
//!
//! Invariants: as [`SharedFd`]'s; the slot, once set, names the fd in that ring's table until
//! the extension drops (with the last clone, or in `try_take`), which empties the slot.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::OnceLock;

use super::{register_files, FdExt, SharedFd};

/// Builds an SQE for `$fd` (a `FileFd`): by its registered-file slot when the fd is
/// registered with the current ring, else by its fd (see `fd::fixed_or_fd`).
macro_rules! fd_target {
    ($fd:expr, |$t:ident| $build:expr) => {
        $crate::op::fd::fixed_or_fd!($fd.fixed_slot(), $fd.raw(), |$t| $build)
    };
}
pub(crate) use fd_target;

/// A file's fd, shared with its in-flight ops; the last clone closes it.
pub(crate) type FileFd = SharedFd<FixedSlot>;

/// A file's fd for `fd`, not registered.
pub(crate) fn file_fd(fd: OwnedFd) -> FileFd {
    SharedFd::with_ext(fd, FixedSlot::default())
}

/// The registered-file slot of a file: `(ring id, slot)` once registered with a ring's table.
#[derive(Debug, Default)]
pub(crate) struct FixedSlot {
    fixed: OnceLock<(u64, u32)>,
}

/// Files have no input gate: reads at offsets may run concurrently.
impl FdExt for FixedSlot {}

impl Drop for FixedSlot {
    fn drop(&mut self) {
        if let Some(&(ring, slot)) = self.fixed.get() {
            register_files::unregister_file(ring, slot);
        }
    }
}

impl SharedFd<FixedSlot> {
    /// Registers the fd with the current ring's file table (once; `Ok` if already there).
    ///
    /// # Errors
    /// `InvalidInput` when registered with another ring; as `register_files::register_file`.
    pub(crate) fn register(&self) -> io::Result<()> {
        let fixed = &self.ext().fixed;
        if let Some(&(ring, _)) = fixed.get() {
            return if register_files::current_ring() == Some(ring) {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "this file is already registered with another runtime's ring",
                ))
            };
        }
        let (ring, slot) = register_files::register_file(self.raw())?;
        if fixed.set((ring, slot)).is_err() {
            // Registered concurrently from another clone: give our slot back.
            register_files::unregister_file(ring, slot);
        }
        Ok(())
    }

    /// The fixed-file slot to use on the current ring, if the fd is registered with it.
    pub(crate) fn fixed_slot(&self) -> Option<u32> {
        let &(ring, slot) = self.ext().fixed.get()?;
        (register_files::current_ring() == Some(ring)).then_some(slot)
    }

    /// The logical block size of the block device behind this fd (`BLKSSZGET`), if it is one.
    pub(crate) fn block_size(&self) -> Option<u32> {
        let mut size: libc::c_int = 0;
        // SAFETY: BLKSSZGET writes one `int` through the pointer, which points to `size`.
        let rc = unsafe {
            libc::ioctl(self.raw(), 0x1268 /* BLKSSZGET */, &mut size)
        };
        (rc == 0 && size > 0).then_some(size as u32)
    }
}
