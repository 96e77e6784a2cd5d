//! The ring's registered-file table (`IORING_REGISTER_FILES`, sparse): slots for
//! `File::register` and for the direct descriptors of stream sockets
//! (`Builder::direct_descriptors`), with the user-side free list and the fd of each taken
//! slot (for ops the driver runs on its blocking pool).

use std::io;
use std::os::fd::RawFd;

use io_uring::opcode;

use super::ring::Driver;

/// Slots of the registered-file table (`IORING_REGISTER_FILES`, sparse, Linux 5.19+).
pub(crate) const FILE_TABLE_SIZE: u32 = 1024;

/// Which slots of the registered-file table are free: a slot is in `free` (or at or past
/// `next`) exactly when no fd occupies it; `fds[slot]` is the fd in a taken slot (`-1` in a
/// free one), for ops the driver runs on its blocking pool. `size` slots were registered;
/// `sockets` of the occupied ones hold stream sockets (direct descriptors, at most the
/// builder's quota).
#[derive(Debug, Default)]
pub(super) struct FileTable {
    free: Vec<u32>,
    next: u32,
    fds: Vec<RawFd>,
    size: u32,
    sockets: u32,
}

impl FileTable {
    /// Takes a free slot for `fd`.
    ///
    /// # Errors
    ///
    /// `ResourceBusy` when all slots are taken.
    fn take(&mut self, fd: RawFd) -> io::Result<u32> {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None if self.next < self.size => {
                self.next += 1;
                self.next - 1
            }
            None => {
                // EBUSY's kind (`ResourceBusy`), named through errno for Rust 1.80.
                return Err(io::Error::new(
                    io::Error::from_raw_os_error(libc::EBUSY).kind(),
                    format!(
                        "all {} registered-file slots of this runtime's ring are in use; drop \
                         registered files first",
                        self.size
                    ),
                ));
            }
        };
        let i = slot as usize;
        if self.fds.len() <= i {
            self.fds.resize(i + 1, -1);
        }
        self.fds[i] = fd;
        Ok(slot)
    }
}

impl Driver {
    /// Registers a sparse table of `n` files.
    fn register_files_sparse(&self, n: u32) -> io::Result<()> {
        self.inner.borrow_mut().ring.register_files_sparse(n)
    }

    /// Puts `fds` in the file table from slot `off` (`-1` empties a slot).
    fn register_files_update(&self, off: u32, fds: &[RawFd]) -> io::Result<usize> {
        self.inner.borrow_mut().ring.register_files_update(off, fds)
    }

    /// Registers the (sparse) file table on first use: `FILE_TABLE_SIZE` slots, or the
    /// direct-descriptor quota if larger (falling back to `FILE_TABLE_SIZE` when the kernel
    /// refuses that many, e.g. past `RLIMIT_NOFILE`).
    fn file_table<'a>(&self, files: &'a mut Option<FileTable>) -> io::Result<&'a mut FileTable> {
        if files.is_none() {
            let want = FILE_TABLE_SIZE.max(self.direct_slots.get());
            let mut size = want;
            let mut res = self.register_files_sparse(size);
            if res.is_err() && want > FILE_TABLE_SIZE {
                size = FILE_TABLE_SIZE;
                res = self.register_files_sparse(size);
            }
            res.map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot register a file table of {size} slots with the ring ({e}); \
                         sparse tables need Linux 5.19+, and RLIMIT_NOFILE must allow {size} \
                         files"
                    ),
                )
            })?;
            *files = Some(FileTable {
                size,
                ..FileTable::default()
            });
        }
        Ok(files.as_mut().expect("registered above"))
    }

    /// Puts `fd` in a free slot of the ring's registered-file table (registering the table
    /// on first use); returns the slot.
    ///
    /// # Errors
    ///
    /// `ResourceBusy` when all slots are taken; the kernel's error (with what to do) when the
    /// table cannot be registered or updated.
    pub(crate) fn register_file(&self, fd: i32) -> io::Result<u32> {
        let slot = {
            let mut files = self.files.borrow_mut();
            let table = self.file_table(&mut files)?;
            table.take(fd)?
        };
        match self.register_files_update(slot, &[fd]) {
            Ok(_) => Ok(slot),
            Err(e) => {
                self.release_slot(slot);
                Err(e)
            }
        }
    }

    /// Empties `slot` of the registered-file table (the kernel drops its file reference).
    pub(crate) fn unregister_file(&self, slot: u32) {
        if self.register_files_update(slot, &[-1]).is_ok() {
            self.release_slot(slot);
        }
    }

    /// Gives `slot` back to the free list (the kernel's side is the caller's).
    fn release_slot(&self, slot: u32) {
        if let Some(table) = self.files.borrow_mut().as_mut() {
            table.free.push(slot);
            if let Some(fd) = table.fds.get_mut(slot as usize) {
                *fd = -1;
            }
        }
    }

    /// Reserves a slot of the registered-file table for the stream socket `fd` (a direct
    /// descriptor), if the builder asked for them and the quota has room: `None` otherwise
    /// (the socket is then used by its plain fd). Only the user-side books change: the
    /// caller queues the `IORING_OP_FILES_UPDATE` that puts the socket in the slot, and
    /// [`Driver::release_socket`] when that fails or the socket goes. A table that cannot
    /// be registered (a kernel before 5.19) turns direct descriptors off for this ring.
    pub(crate) fn reserve_socket(&self, fd: i32) -> Option<u32> {
        let quota = self.direct_slots.get();
        if quota == 0 {
            return None;
        }
        if !self.is_supported(opcode::FilesUpdate::CODE) || !self.is_supported(opcode::Close::CODE)
        {
            self.direct_slots.set(0);
            return None;
        }
        let mut files = self.files.borrow_mut();
        let table = match self.file_table(&mut files) {
            Ok(table) if table.sockets < quota => table,
            Ok(_) => return None,
            Err(_) => {
                self.direct_slots.set(0);
                return None;
            }
        };
        let slot = table.take(fd).ok()?;
        table.sockets += 1;
        Some(slot)
    }

    /// Gives back the slot of a socket reserved by [`Driver::reserve_socket`], once an SQE
    /// that empties it (`close_direct`) is queued or its install failed: SQEs run in queue
    /// order, so a later install into the slot finds it empty.
    pub(crate) fn release_socket(&self, slot: u32) {
        self.release_slot(slot);
        if let Some(table) = self.files.borrow_mut().as_mut() {
            table.sockets = table.sockets.saturating_sub(1);
        }
    }

    /// How many stream sockets hold a slot of the registered-file table now.
    pub(crate) fn direct_in_use(&self) -> usize {
        self.files
            .borrow()
            .as_ref()
            .map_or(0, |t| t.sockets as usize)
    }

    /// The fd in `slot` of the table, if the slot is taken.
    pub(super) fn file_fd(&self, slot: u32) -> Option<RawFd> {
        let fd = *self.files.borrow().as_ref()?.fds.get(slot as usize)?;
        (fd >= 0).then_some(fd)
    }
}
