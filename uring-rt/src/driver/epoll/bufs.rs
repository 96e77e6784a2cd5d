//! Provided-buffer rings without a kernel: the emulated ring consumes the buffers the
//! application publishes in a registered `io_uring_buf_ring`, as the kernel would (head kept
//! here, tail read from the ring's memory, the buffer id reported in the CQE flags).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};

/// One registered group.
#[derive(Debug)]
struct Group {
    /// Address of the `io_uring_buf_ring` (entries of 16 bytes; the tail is the u16 at byte
    /// 14 of the first entry).
    ring: u64,
    mask: u16,
    /// Next entry to consume.
    head: u16,
}

/// The buffer groups registered with one emulated ring.
#[derive(Debug, Default)]
pub(crate) struct BufGroups {
    groups: HashMap<u16, Group>,
}

impl BufGroups {
    /// Registers the ring at `ring` (`entries`, a power of two) as group `bgid`.
    ///
    /// # Safety
    /// `ring` points to `entries` ring entries that stay allocated until [`BufGroups::remove`].
    pub(crate) unsafe fn insert(&mut self, ring: u64, entries: u16, bgid: u16) -> Result<(), i32> {
        if !entries.is_power_of_two() || ring == 0 || ring % 8 != 0 {
            return Err(-libc::EINVAL);
        }
        if self.groups.contains_key(&bgid) {
            return Err(-libc::EEXIST);
        }
        self.groups.insert(
            bgid,
            Group {
                ring,
                mask: entries - 1,
                head: 0,
            },
        );
        Ok(())
    }

    /// Unregisters group `bgid`.
    pub(crate) fn remove(&mut self, bgid: u16) -> Result<(), i32> {
        self.groups.remove(&bgid).map(|_| ()).ok_or(-libc::EINVAL)
    }

    /// The next published buffer of `bgid`: `(addr, len, bid)`, not consumed yet.
    pub(crate) fn peek(&self, bgid: u16) -> Option<(u64, u32, u16)> {
        let g = self.groups.get(&bgid)?;
        // SAFETY: the ring stays allocated while registered (`insert`'s contract); the tail
        // is the application's release-store, read with acquire so the entry is visible.
        let tail = unsafe { (*((g.ring + 14) as *const AtomicU16)).load(Ordering::Acquire) };
        if tail == g.head {
            return None;
        }
        let entry = g.ring + 16 * u64::from(g.head & g.mask);
        // SAFETY: `entry` is inside the ring (masked index) and was published before `tail`.
        unsafe {
            let addr = std::ptr::read_volatile(entry as *const u64);
            let len = std::ptr::read_volatile((entry + 8) as *const u32);
            let bid = std::ptr::read_volatile((entry + 12) as *const u16);
            Some((addr, len, bid))
        }
    }

    /// Consumes the buffer [`BufGroups::peek`] returned.
    pub(crate) fn consume(&mut self, bgid: u16) {
        if let Some(g) = self.groups.get_mut(&bgid) {
            g.head = g.head.wrapping_add(1);
        }
    }
}
