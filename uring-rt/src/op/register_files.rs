//! `IORING_REGISTER_FILES`: this thread's ring's table of registered ("fixed") files, for
//! `File::register` (kernel 5.19+ for the sparse table).
//!
//! Not an operation but the ring-side half of registered files. Invariants: each ring's
//! table is registered once, sparse, with [`TABLE_SIZE`] slots; a slot is in `free` (or past
//! `next`) exactly when no fd occupies it; only the ring's own thread touches its table.

use std::cell::RefCell;
use std::collections::hash_map::{Entry, HashMap};
use std::io;
use std::os::fd::RawFd;

use crate::driver;

/// Slots per ring.
pub(crate) const TABLE_SIZE: u32 = 1024;

#[derive(Debug, Default)]
struct Table {
    free: Vec<u32>,
    next: u32,
}

thread_local! {
    /// Keyed by ring id (unique in the process).
    static TABLES: RefCell<HashMap<u64, Table>> = RefCell::new(HashMap::new());
}

/// Puts `fd` in a free slot of the current ring's table; returns `(ring id, slot)`.
///
/// # Errors
///
/// No runtime; `ResourceBusy` when all [`TABLE_SIZE`] slots are taken; the kernel's error
/// (with what to do) when the table cannot be registered.
pub(crate) fn register_file(fd: RawFd) -> io::Result<(u64, u32)> {
    let driver = driver::current()?;
    let ring = driver.id();
    TABLES.with(|tables| {
        let mut tables = tables.borrow_mut();
        let table = match tables.entry(ring) {
            Entry::Occupied(table) => table.into_mut(),
            Entry::Vacant(vacant) => {
                driver
                    .with_submitter(|s| s.register_files_sparse(TABLE_SIZE))
                    .map_err(|e| {
                        io::Error::new(
                            e.kind(),
                            format!(
                                "cannot register a file table of {TABLE_SIZE} slots with the \
                                 ring ({e}); sparse tables need Linux 5.19+, and \
                                 RLIMIT_NOFILE must allow {TABLE_SIZE} files"
                            ),
                        )
                    })?;
                vacant.insert(Table::default())
            }
        };
        let slot = match table.free.pop() {
            Some(slot) => slot,
            None if table.next < TABLE_SIZE => {
                table.next += 1;
                table.next - 1
            }
            None => {
                // EBUSY's kind (`ResourceBusy`), named through errno for Rust 1.80.
                return Err(io::Error::new(
                    io::Error::from_raw_os_error(libc::EBUSY).kind(),
                    format!(
                        "all {TABLE_SIZE} registered-file slots of this runtime's ring are in \
                         use; drop registered files first"
                    ),
                ));
            }
        };
        match driver.with_submitter(|s| s.register_files_update(slot, &[fd])) {
            Ok(_) => Ok((ring, slot)),
            Err(e) => {
                table.free.push(slot);
                Err(e)
            }
        }
    })
}

/// Empties `slot` of ring `ring` if that ring is this thread's current one; otherwise the
/// slot keeps its file until the ring closes (the kernel then drops it).
pub(crate) fn unregister_file(ring: u64, slot: u32) {
    let Ok(driver) = driver::current() else {
        return;
    };
    if driver.id() != ring {
        return;
    }
    if driver
        .with_submitter(|s| s.register_files_update(slot, &[-1]))
        .is_ok()
    {
        let _ = TABLES.try_with(|t| {
            if let Some(table) = t.borrow_mut().get_mut(&ring) {
                table.free.push(slot);
            }
        });
    }
}

/// The id of this thread's current ring, if any.
pub(crate) fn current_ring() -> Option<u64> {
    driver::current().ok().map(|d| d.id())
}
