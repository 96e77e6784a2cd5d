//! `IORING_REGISTER_PBUF_RING`: the kernel side of a provided-buffer ring. Its memory, its
//! registration with one ring under a buffer-group id that ring allocated, and the buffers it
//! lends once a completion names them. The public `BufRing` and `RecvBuf` (in `net`) are
//! built on it.
//!
//! # Invariants
//!
//! - The ring memory (`entries` × 16 bytes, page-aligned) and the buffer memory
//!   (`entries` × `buf_size` bytes) are allocated once and freed only after the ring is
//!   unregistered, or after the driver that knew it shut down cleanly; otherwise leaked.
//!   The unregistration runs on the driver's thread with the driver: at once when it is the
//!   current one, else through its mailbox (a `ProvidedBufs` dropped after `block_on`
//!   returned), so the driver gets its group id back either way.
//! - Buffer `bid` is owned by the kernel from the moment it is published (tail store) until a
//!   completion names it; then the bytes that completion reported (one piece, see
//!   [`super::buf_lending`]) belong to exactly one [`LentBuf`] (or an orphan copying them).
//!   The buffer is published again only once the kernel is done with all of it and every
//!   piece was given back. So user code reads bytes only while the kernel cannot write them:
//!   with incremental consumption the kernel may still write the rest of a buffer, past the
//!   pieces already handed out, never into them.
//! - The ring is registered with one driver (`driver_id`), under a buffer-group id that driver
//!   allocated (`bgid`, unique among its live buffer rings, returned on unregistration). It is
//!   used in SQEs of that driver only: under another runtime the same id may name another
//!   ring, whose buffers the kernel would fill while we read ours.
//! - No reference is ever made to ring entries: the kernel reads them concurrently, and the
//!   tail it reads is the `resv` field of entry 0. Fields are written through raw pointers,
//!   the tail with a release store.

use std::alloc::{self, Layout};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::rc::Rc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::task::{Context, Poll, Waker};

use io_uring::types::BufRingEntry;

use super::buf_lending::{LendStats, Lending, Seg};
use crate::driver::{self, Completion, Driver};
use crate::runtime::context;

/// A provided-buffer ring registered with this thread's ring (not `Send`: it belongs to the
/// ring's thread).
pub(crate) struct ProvidedBufs {
    driver_id: u64,
    bgid: u16,
    entries: u16,
    buf_size: usize,
    ring: NonNull<BufRingEntry>,
    ring_layout: Layout,
    bufs: NonNull<u8>,
    bufs_layout: Layout,
    /// Our copy of the tail we published last.
    tail: Cell<u16>,
    /// Which pieces of which buffers completions covered, and when each goes back.
    lending: RefCell<Lending>,
    /// Registered with `IOU_PBUF_RING_INC` (the kernel consumes buffers piece by piece).
    incremental: bool,
    /// Multishot receives on this ring ask for bundles (`IORING_RECVSEND_BUNDLE`).
    bundle: bool,
    /// Tasks waiting for a buffer to come back (after `ENOBUFS`).
    waiters: RefCell<Vec<Waker>>,
}

impl fmt::Debug for ProvidedBufs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvidedBufs")
            .field("bgid", &self.bgid)
            .field("entries", &self.entries)
            .field("buf_size", &self.buf_size)
            .field("out", &self.lending.borrow().out())
            .field("incremental", &self.incremental)
            .field("bundle", &self.bundle)
            .finish()
    }
}

impl ProvidedBufs {
    /// Allocates `entries` buffers of `buf_size` bytes and registers them with this thread's
    /// ring, under a group id of that ring; `incremental` and `bundle` ask for those kernel
    /// features, each used only where the ring has it (see [`ProvidedBufs::is_incremental`]).
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `entries` is not a power of two in `1..=32768` or `buf_size` is 0
    /// or above `u32::MAX`; `Other` outside a runtime; `ResourceBusy` when the ring's 65,536
    /// group ids are taken; the registration's error (`Unsupported` before Linux 5.19).
    pub(crate) fn register(
        entries: u16,
        buf_size: usize,
        incremental: bool,
        bundle: bool,
    ) -> io::Result<ProvidedBufs> {
        if !entries.is_power_of_two() || entries > 32768 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "BufRing: entries must be a power of two up to 32768",
            ));
        }
        if buf_size == 0 || buf_size > u32::MAX as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "BufRing: buf_size must be in 1..=u32::MAX",
            ));
        }
        let driver = context::driver()?;
        let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "BufRing: too large");
        let ring_bytes = (entries as usize * std::mem::size_of::<BufRingEntry>()).max(4096);
        let ring_layout = Layout::from_size_align(ring_bytes, 4096).map_err(|_| invalid())?;
        let bufs_bytes = (entries as usize)
            .checked_mul(buf_size)
            .ok_or_else(invalid)?;
        let bufs_layout = Layout::from_size_align(bufs_bytes, 64).map_err(|_| invalid())?;
        // SAFETY: both layouts have a non-zero size (checked above).
        let (ring, bufs) = unsafe { (alloc::alloc_zeroed(ring_layout), alloc::alloc(bufs_layout)) };
        let (Some(ring), Some(bufs)) = (NonNull::new(ring), NonNull::new(bufs)) else {
            alloc::handle_alloc_error(ring_layout);
        };
        let mut inner = ProvidedBufs {
            driver_id: driver.id(),
            bgid: 0,
            entries,
            buf_size,
            ring: ring.cast(),
            ring_layout,
            bufs,
            bufs_layout,
            tail: Cell::new(0),
            lending: RefCell::new(Lending::new(entries, buf_size as u32, false)),
            incremental: false,
            bundle: bundle && driver.has_recv_bundle(),
            waiters: RefCell::new(Vec::new()),
        };
        let result = match driver.bgids().alloc() {
            Some(bgid) => {
                inner.bgid = bgid;
                // SAFETY: the ring memory is page-aligned, zeroed, `entries` entries long, and
                // lives until it is unregistered (`ProvidedBufs::drop`).
                let result = unsafe {
                    driver.register_buf_ring(ring.as_ptr() as u64, entries, bgid, incremental)
                };
                match result {
                    Ok(inc) => {
                        inner.incremental = inc;
                        inner.lending = RefCell::new(Lending::new(entries, buf_size as u32, inc));
                        Ok(())
                    }
                    Err(e) => {
                        driver.bgids().free(bgid);
                        Err(e)
                    }
                }
            }
            None => Err(io::Error::new(
                io::Error::from_raw_os_error(libc::EBUSY).kind(),
                "BufRing: all 65,536 buffer-group ids of this runtime's ring are in use",
            )),
        };
        if let Err(e) = result {
            inner.driver_id = 0; // never registered: free without unregistering
            drop(inner);
            return Err(if e.raw_os_error() == Some(libc::EINVAL) {
                io::Error::new(
                    io::ErrorKind::Unsupported,
                    "provided-buffer rings need Linux 5.19 or newer",
                )
            } else {
                e
            });
        }
        for bid in 0..entries {
            inner.publish(bid);
        }
        Ok(inner)
    }

    /// Number of buffers.
    pub(crate) fn entries(&self) -> u16 {
        self.entries
    }

    /// Size of each buffer in bytes.
    pub(crate) fn buf_size(&self) -> usize {
        self.buf_size
    }

    /// The buffer-group id for SQEs.
    pub(crate) fn bgid(&self) -> u16 {
        self.bgid
    }

    /// Whether the kernel consumes this ring's buffers incrementally (asked for, and the
    /// ring allows it: Linux 6.12+, io_uring driver, no SQPOLL).
    pub(crate) fn is_incremental(&self) -> bool {
        self.incremental
    }

    /// Whether receives on this ring use bundles (asked for, and the ring has
    /// `IORING_FEAT_RECVSEND_BUNDLE`: Linux 6.10+, io_uring driver).
    pub(crate) fn is_bundle(&self) -> bool {
        self.bundle
    }

    /// Buffers the kernel cannot use now (lent out, or not yet done being received into).
    pub(crate) fn out(&self) -> u16 {
        self.lending.borrow().out()
    }

    /// How completions used the ring so far.
    pub(crate) fn stats(&self) -> LendStats {
        self.lending.borrow().stats()
    }

    /// The pieces completion `c` filled, in order, each counted as handed out until
    /// [`ProvidedBufs::piece`] makes it a [`LentBuf`] or [`ProvidedBufs::release`] gives it
    /// back. With incremental consumption, call this in completion-queue order. `push` must
    /// not call back into the ring (it is borrowed).
    pub(crate) fn resolve(&self, c: Completion, push: impl FnMut(Seg)) {
        self.lending.borrow_mut().resolve(c.result, c.flags, push);
    }

    /// Lends piece `seg`, which [`ProvidedBufs::resolve`] returned.
    pub(crate) fn piece(self: &Rc<Self>, seg: Seg) -> LentBuf {
        let off = (seg.off as usize).min(self.buf_size);
        LentBuf {
            ring: self.clone(),
            bid: seg.bid,
            off,
            len: (seg.len as usize).min(self.buf_size - off),
        }
    }

    /// Shows piece `seg` to `f`, then gives it back.
    pub(crate) fn consume(&self, seg: Seg, f: impl FnOnce(&[u8])) {
        f(self.bytes(seg.bid, seg.off as usize, seg.len as usize));
        self.release(seg.bid);
    }

    /// Gives a piece of `bid` back: the buffer goes back to the kernel with its last piece,
    /// once the kernel is done with it.
    pub(crate) fn release(&self, bid: u16) {
        let publish = self.lending.borrow_mut().release(bid);
        if publish {
            self.publish(bid);
            self.wake_waiters();
        }
    }

    /// Checks that this thread's runtime is the one the ring is registered with.
    ///
    /// # Errors
    ///
    /// `InvalidInput` under another runtime, `Other` outside any.
    pub(crate) fn check_current(&self) -> io::Result<()> {
        if context::driver()?.id() == self.driver_id {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "this BufRing is registered with another runtime's ring: use it only under \
                 the runtime that made it",
            ))
        }
    }

    /// Ready when some buffer is not lent out (after `ENOBUFS`, re-arming makes sense).
    pub(crate) fn poll_available(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.out() < self.entries {
            return Poll::Ready(());
        }
        self.waiters.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }

    /// Gives buffer `bid` (back) to the kernel.
    fn publish(&self, bid: u16) {
        self.lending.borrow_mut().publish(bid);
        let tail = self.tail.get();
        let idx = (tail & (self.entries - 1)) as usize;
        let addr = self.buf_ptr(bid) as u64;
        // SAFETY: `idx < entries`, so the entry is inside the ring allocation, which is
        // 8-byte aligned and laid out as `RawEntry`s (checked below). The kernel reads
        // entries only between its head and our published tail, and this one is past the
        // tail, so nobody reads these three fields now; the fourth (`resv`, the tail when
        // `idx == 0`) is not touched. Raw-pointer writes: no reference to the entry exists.
        unsafe {
            let entry = self.ring.as_ptr().cast::<RawEntry>().add(idx);
            ptr::addr_of_mut!((*entry).addr).write(addr);
            ptr::addr_of_mut!((*entry).len).write(self.buf_size as u32);
            ptr::addr_of_mut!((*entry).bid).write(bid);
        }
        let tail = tail.wrapping_add(1);
        self.tail.set(tail);
        // SAFETY: the tail is the `resv` field of entry 0, inside the ring allocation, 2-byte
        // aligned, and accessed by us only through this atomic; the kernel reads it with
        // acquire semantics, so the release store publishes the entry written above.
        unsafe {
            let tail_ptr = ptr::addr_of!((*self.ring.as_ptr().cast::<RawEntry>()).resv);
            (*tail_ptr.cast::<AtomicU16>()).store(tail, Ordering::Release);
        }
    }

    fn buf_ptr(&self, bid: u16) -> *mut u8 {
        let bid = (bid as usize).min(self.entries as usize - 1);
        // SAFETY: `bid < entries`, so the offset stays inside the buffer allocation.
        unsafe { self.bufs.as_ptr().add(bid * self.buf_size) }
    }

    /// The `len` bytes at `off` in buffer `bid`: a piece a completion reported.
    fn bytes(&self, bid: u16, off: usize, len: usize) -> &[u8] {
        let off = off.min(self.buf_size);
        let len = len.min(self.buf_size - off);
        // SAFETY: `off + len <= buf_size` keeps the slice inside buffer `bid`. The caller
        // passes a piece a completion reported: the kernel wrote those bytes, so they are
        // initialized, and it writes them no more until the buffer is published again,
        // which waits for every piece to be given back (module invariant; with incremental
        // consumption the kernel writes only past the pieces it reported).
        unsafe { std::slice::from_raw_parts(self.buf_ptr(bid).add(off), len) }
    }

    fn wake_waiters(&self) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            w.wake();
        }
    }
}

impl Drop for ProvidedBufs {
    fn drop(&mut self) {
        let memory = Memory {
            ring: self.ring.cast(),
            ring_layout: self.ring_layout,
            bufs: self.bufs,
            bufs_layout: self.bufs_layout,
        };
        let ring = self.driver_id;
        if ring == 0 || driver::is_quiesced(ring) {
            // Never registered, or the ring shut down cleanly and took the registration.
            // SAFETY: the kernel does not know the memory (any more).
            unsafe { memory.free() };
            return;
        }
        // The ring owns the registration: unregister there (now, if it is this thread's
        // current ring, else at its next tick through its mailbox), then free. If the ring
        // is gone by then, the task is dropped and the memory leaks: the kernel may still
        // know it.
        let bgid = self.bgid;
        let current = context::driver().ok();
        Driver::run_on(
            current.as_deref(),
            ring,
            Box::new(move |d| {
                if d.unregister_buf_ring(bgid).is_ok() {
                    d.bgids().free(bgid);
                    // SAFETY: unregistered: the kernel no longer knows the memory, and no op
                    // uses it (ops hold the `ProvidedBufs`, which is being dropped).
                    unsafe { memory.free() };
                }
                // Else the kernel may still write there: leak rather than free.
            }),
        );
    }
}

/// The two allocations of a provided-buffer ring, on their way to being freed after the
/// unregistration. No `Drop`: forgetting it leaks, the safe default.
struct Memory {
    ring: NonNull<u8>,
    ring_layout: Layout,
    bufs: NonNull<u8>,
    bufs_layout: Layout,
}

// SAFETY: `Memory` is the sole owner of two heap allocations (no `Rc`, no thread-bound
// state); freeing them from another thread is what the global allocator allows.
unsafe impl Send for Memory {}

impl Memory {
    /// Frees both allocations.
    ///
    /// # Safety
    ///
    /// The kernel no longer knows the memory (unregistered, or its ring is gone cleanly) and
    /// nothing else points into it.
    unsafe fn free(self) {
        // SAFETY: allocated in `ProvidedBufs::register` with these layouts; the caller
        // guarantees nobody uses them any more.
        unsafe {
            alloc::dealloc(self.ring.as_ptr(), self.ring_layout);
            alloc::dealloc(self.bufs.as_ptr(), self.bufs_layout);
        }
    }
}

/// The kernel's `struct io_uring_buf`, whose fields we write one by one through raw pointers
/// (`BufRingEntry` only offers `&mut self` setters).
#[repr(C)]
struct RawEntry {
    addr: u64,
    len: u32,
    bid: u16,
    /// Reserved in every entry but the first, where it is the ring's tail.
    resv: u16,
}

const _: () = assert!(std::mem::size_of::<RawEntry>() == std::mem::size_of::<BufRingEntry>());
const _: () = assert!(std::mem::align_of::<RawEntry>() <= 4096);

/// A piece of a provided-buffer ring's buffer that a completion filled (the whole buffer
/// without incremental consumption), lent until dropped; the buffer goes back to the kernel
/// with its last piece. Dereferences to the bytes received.
pub(crate) struct LentBuf {
    ring: Rc<ProvidedBufs>,
    bid: u16,
    off: usize,
    len: usize,
}

impl fmt::Debug for LentBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LentBuf")
            .field("bid", &self.bid)
            .field("off", &self.off)
            .field("len", &self.len)
            .finish()
    }
}

impl Deref for LentBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.ring.bytes(self.bid, self.off, self.len)
    }
}

// SAFETY: the bytes live in the ring's buffer memory, kept alive by the `Rc`, which does not
// move while the `LentBuf` lives; the buffer goes back to the kernel only after `Drop` (and
// with incremental consumption the kernel writes only past this piece), so the kernel never
// writes into these bytes while they are in use as a write source. All `len` bytes are
// initialized (the kernel received them).
unsafe impl crate::buf::IoBuf for LentBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len
    }

    fn bytes_total(&self) -> usize {
        self.len
    }
}

impl Drop for LentBuf {
    fn drop(&mut self) {
        self.ring.release(self.bid);
    }
}
