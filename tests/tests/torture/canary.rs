//! Canary buffers: memory the test keeps after the runtime has dropped the buffer object, so
//! a kernel write after the runtime let go of a buffer is seen (the runtime dropping a buffer
//! whose SQE is still queued or in flight is the bug this catches).
//!
//! Each [`CanaryBuf`] is one slot of an [`Arena`]: filled with [`PATTERN`] when handed out;
//! when the runtime (or the test) drops it, its bytes are snapshotted. [`Arena::check`] later
//! compares every released slot with its snapshot.

use std::sync::{Arc, Mutex};

use uring_rt::buf::{IoBuf, IoBufMut};

/// The fill byte. Test data never contains it (see [`data_byte`]).
pub(crate) const PATTERN: u8 = 0xa5;

/// The `i`-th byte of test data written into pipes and FIFOs: never [`PATTERN`].
pub(crate) fn data_byte(i: u64) -> u8 {
    (i % 100) as u8
}

const SLOT: usize = 4096;

#[derive(Debug)]
struct Inner {
    ptr: *mut u8,
    slots: usize,
    /// Per slot: handed out, and the bytes it held when its buffer was dropped.
    state: Mutex<Vec<(bool, Option<Vec<u8>>)>>,
}

// SAFETY: `ptr` is a heap allocation owned by `Inner` and freed only in its `Drop`; all access
// to the bytes goes through volatile reads and writes of slots, each slot owned by at most one
// `CanaryBuf` at a time (bookkeeping under the mutex).
unsafe impl Send for Inner {}
// SAFETY: as for `Send`; shared access only reads bytes (volatile) or takes the mutex.
unsafe impl Sync for Inner {}

impl Drop for Inner {
    fn drop(&mut self) {
        let len = self.slots * SLOT;
        // SAFETY: `ptr` came from `Box::into_raw` of a `len`-byte boxed slice in `Arena::new`
        // and no `CanaryBuf` is alive (each holds an `Arc` of this).
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.ptr, len)) });
    }
}

/// Slots of canary memory shared by the test and the buffers it hands to the runtime.
#[derive(Debug, Clone)]
pub(crate) struct Arena(Arc<Inner>);

impl Arena {
    pub(crate) fn new(slots: usize) -> Arena {
        let mem = vec![PATTERN; slots * SLOT].into_boxed_slice();
        let ptr = Box::into_raw(mem) as *mut u8;
        Arena(Arc::new(Inner {
            ptr,
            slots,
            state: Mutex::new(vec![(false, None); slots]),
        }))
    }

    /// A fresh buffer of `len <= 4096` bytes, or `None` when every slot was used.
    pub(crate) fn buf(&self, len: usize) -> Option<CanaryBuf> {
        let len = len.clamp(1, SLOT);
        let mut state = self.0.state.lock().unwrap();
        let slot = state.iter().position(|s| !s.0)?;
        state[slot].0 = true;
        // SAFETY: the slot is inside the allocation and no other `CanaryBuf` has it.
        let ptr = unsafe { self.0.ptr.add(slot * SLOT) };
        Some(CanaryBuf {
            arena: self.0.clone(),
            slot,
            ptr,
            len,
            init: 0,
        })
    }

    /// Buffers handed out and not dropped yet (by the runtime or the test).
    pub(crate) fn live(&self) -> usize {
        let state = self.0.state.lock().unwrap();
        state.iter().filter(|s| s.0 && s.1.is_none()).count()
    }

    /// Every dropped buffer still holds the bytes it had when it was dropped.
    pub(crate) fn check(&self) -> Result<usize, String> {
        let state = self.0.state.lock().unwrap();
        let mut checked = 0;
        for (slot, (_, snap)) in state.iter().enumerate() {
            let Some(snap) = snap else { continue };
            let now = read_slot(self.0.ptr, slot, snap.len());
            if &now != snap {
                let at = now.iter().zip(snap).position(|(a, b)| a != b).unwrap();
                return Err(format!(
                    "canary slot {slot} was written after its buffer was dropped (first changed \
                     byte {at}: {:#x} -> {:#x})",
                    snap[at], now[at]
                ));
            }
            checked += 1;
        }
        Ok(checked)
    }
}

fn read_slot(base: *mut u8, slot: usize, len: usize) -> Vec<u8> {
    (0..len)
        // SAFETY: inside the arena's allocation; volatile because a buggy runtime may let the
        // kernel write it concurrently, which is what the check looks for.
        .map(|i| unsafe { std::ptr::read_volatile(base.add(slot * SLOT + i)) })
        .collect()
}

/// A buffer in canary memory; implements the runtime's buffer traits.
#[derive(Debug)]
pub(crate) struct CanaryBuf {
    arena: Arc<Inner>,
    slot: usize,
    ptr: *mut u8,
    len: usize,
    init: usize,
}

impl CanaryBuf {
    /// The initialised bytes (what a read reported).
    pub(crate) fn filled(&self) -> Vec<u8> {
        read_slot(self.arena.ptr, self.slot, self.init)
    }
}

// SAFETY: the buffer owns its slot exclusively; the memory is kept alive by the `Arc`.
unsafe impl Send for CanaryBuf {}

// SAFETY: `ptr..ptr + len` stays allocated while this buffer (and its `Arc`) lives and does
// not move when the buffer moves; `init <= len`.
unsafe impl IoBuf for CanaryBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.ptr
    }
    fn bytes_init(&self) -> usize {
        self.init
    }
    fn bytes_total(&self) -> usize {
        self.len
    }
}

// SAFETY: as for `IoBuf`; the pointer is writable (the arena's heap allocation).
unsafe impl IoBufMut for CanaryBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }
    unsafe fn set_init(&mut self, n: usize) {
        if n > self.init {
            self.init = n.min(self.len);
        }
    }
}

impl Drop for CanaryBuf {
    fn drop(&mut self) {
        let snap = read_slot(self.arena.ptr, self.slot, self.len);
        self.arena.state.lock().unwrap()[self.slot].1 = Some(snap);
    }
}

impl CanaryBuf {
    /// The arena slot (for [`Arena::released`]).
    pub(crate) fn slot(&self) -> usize {
        self.slot
    }
}

impl Arena {
    /// The bytes slot `slot` held when its buffer was dropped, if it was.
    pub(crate) fn released(&self, slot: usize) -> Option<Vec<u8>> {
        self.0.state.lock().unwrap()[slot].1.clone()
    }
}
