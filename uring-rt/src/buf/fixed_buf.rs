//! [`FixedBuf`]: one buffer of a pool registered with a ring (`IORING_REGISTER_BUFFERS`).
//!
//! Invariants: a pool's storage (`FixedBufs`) lives while its pool or any checked-out buffer
//! does (each holds an `Rc`); its registration guard is dropped (unregistering the buffers)
//! before the memory is freed; a buffer index is either in `free` or owned by exactly one
//! `FixedBuf`.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

use super::{AlignedBuf, IoBuf, IoBufMut, Slice};

/// The memory of a registered pool, shared by the pool and its checked-out buffers.
pub(crate) struct FixedBufs {
    /// Dropped first (field order): unregisters while the memory below is still allocated.
    registration: Option<Box<dyn Any>>,
    /// Never resized nor accessed through `&mut`: the kernel and checked-out `FixedBuf`s
    /// write through the raw pointers.
    bufs: Vec<AlignedBuf>,
    free: RefCell<Vec<u16>>,
    /// The id of the ring the buffers are registered with.
    ring: u64,
}

impl FixedBufs {
    /// Storage for `bufs`, registered with ring `ring` as long as `registration` lives.
    pub(crate) fn new(bufs: Vec<AlignedBuf>, ring: u64, registration: Box<dyn Any>) -> Rc<Self> {
        assert!(bufs.len() <= usize::from(u16::MAX));
        let free = (0..bufs.len() as u16).rev().collect();
        Rc::new(FixedBufs {
            registration: Some(registration),
            bufs,
            free: RefCell::new(free),
            ring,
        })
    }

    /// Checks a free buffer out, empty.
    pub(crate) fn try_get(self: &Rc<Self>) -> Option<FixedBuf> {
        let index = self.free.borrow_mut().pop()?;
        Some(FixedBuf {
            shared: self.clone(),
            index,
            len: 0,
        })
    }

    /// Number of buffers.
    pub(crate) fn count(&self) -> usize {
        self.bufs.len()
    }

    /// Number of buffers not checked out.
    pub(crate) fn available(&self) -> usize {
        self.free.borrow().len()
    }

    /// Size of each buffer.
    pub(crate) fn buf_size(&self) -> usize {
        self.bufs.first().map_or(0, |b| b.capacity())
    }
}

impl Drop for FixedBufs {
    fn drop(&mut self) {
        drop(self.registration.take());
    }
}

/// A registered buffer ([`FixedBuf`]) or a [`Slice`] of one: what the registered-buffer
/// calls (`File::read_fixed_at`, `File::write_fixed_at`) take. A slice reads into, or writes
/// from, its window of the buffer only, as in tokio-uring. Sealed: implemented for these two
/// types only.
///
/// # Examples
///
/// ```
/// use uring_rt::buf::IoBuf;
///
/// uring_rt::start(async {
///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
///     let (res, _) = file.write_all_at(b"0123456789".to_vec(), 0).await;
///     res.unwrap();
///     let pool = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
///     let (res, slice) = file.read_fixed_at(pool.try_get().unwrap().slice(..4), 3).await;
///     assert_eq!(res.unwrap(), 4);
///     assert_eq!(&slice[..], b"3456");
/// });
/// ```
pub trait FixedIoBuf: IoBufMut + sealed::FixedSealed {}

#[allow(unreachable_pub)] // sealed: reachable only inside the crate
mod sealed {
    /// What the ops need of a registered buffer besides its pointer and lengths.
    pub trait FixedSealed {
        /// The buffer's index in the ring's registered-buffer table.
        fn fixed_index(&self) -> u16;
        /// The id of the ring the buffer is registered with.
        fn fixed_ring(&self) -> u64;
    }
}

use sealed::FixedSealed;

impl FixedSealed for FixedBuf {
    fn fixed_index(&self) -> u16 {
        self.index
    }

    fn fixed_ring(&self) -> u64 {
        self.shared.ring
    }
}

impl FixedIoBuf for FixedBuf {}

impl FixedSealed for Slice<FixedBuf> {
    fn fixed_index(&self) -> u16 {
        self.get_ref().index
    }

    fn fixed_ring(&self) -> u64 {
        self.get_ref().shared.ring
    }
}

impl FixedIoBuf for Slice<FixedBuf> {}

/// A buffer checked out of a `FixedBufPool` (in `uring_rt::fs`); it goes back to the pool
/// when dropped.
///
/// The kernel knows its memory already (it was registered with the ring), so
/// `read_fixed_at`/`write_fixed_at` skip mapping the pages on every operation. Like a
/// `Vec<u8>` it has a capacity (the pool's buffer size, aligned to 4096 so it also suits
/// `O_DIRECT`) and a length, and dereferences to its first `len()` bytes.
///
/// # Examples
///
/// ```
/// use uring_rt::fs::FixedBufPool;
///
/// uring_rt::start(async {
///     let pool = FixedBufPool::new(2, 4096).unwrap();
///     let mut buf = pool.try_get().unwrap();
///     buf.extend_from_slice(b"hello");
///     assert_eq!(&buf[..], b"hello");
///     assert_eq!(pool.available(), 1);
///     drop(buf);
///     assert_eq!(pool.available(), 2);
/// });
/// ```
pub struct FixedBuf {
    shared: Rc<FixedBufs>,
    index: u16,
    len: usize,
}

impl FixedBuf {
    /// The buffer's index in the ring's registered-buffer table.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let pool = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    ///     assert_eq!(pool.try_get().unwrap().buf_index(), 0);
    /// });
    /// ```
    pub fn buf_index(&self) -> u16 {
        self.index
    }

    /// How many bytes the buffer can hold.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let pool = uring_rt::fs::FixedBufPool::new(1, 8192).unwrap();
    ///     assert_eq!(pool.try_get().unwrap().capacity(), 8192);
    /// });
    /// ```
    pub fn capacity(&self) -> usize {
        self.storage().capacity()
    }

    /// How many bytes the buffer holds.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let pool = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    ///     assert_eq!(pool.try_get().unwrap().len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer holds no bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let pool = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    ///     assert!(pool.try_get().unwrap().is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let pool = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    ///     let mut buf = pool.try_get().unwrap();
    ///     buf.extend_from_slice(b"x");
    ///     buf.clear();
    ///     assert!(buf.is_empty());
    /// });
    /// ```
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends `data`.
    ///
    /// # Panics
    ///
    /// When the result would exceed `capacity()`.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let pool = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    ///     let mut buf = pool.try_get().unwrap();
    ///     buf.extend_from_slice(b"abc");
    ///     assert_eq!(&buf[..], b"abc");
    /// });
    /// ```
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        assert!(
            data.len() <= self.capacity() - self.len,
            "FixedBuf::extend_from_slice past capacity"
        );
        // SAFETY: the range `len..len + data.len()` is within the allocation (checked above),
        // and this `FixedBuf` is the only owner of buffer `index` (module invariant).
        unsafe {
            self.ptr()
                .add(self.len)
                .copy_from_nonoverlapping(data.as_ptr(), data.len())
        };
        self.len += data.len();
    }

    fn storage(&self) -> &AlignedBuf {
        &self.shared.bufs[usize::from(self.index)]
    }

    fn ptr(&self) -> *mut u8 {
        self.storage().stable_ptr().cast_mut()
    }
}

impl Drop for FixedBuf {
    fn drop(&mut self) {
        self.shared.free.borrow_mut().push(self.index);
    }
}

impl fmt::Debug for FixedBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedBuf")
            .field("index", &self.index)
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl Deref for FixedBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the first `len <= capacity` bytes are allocated and initialized (zeroed at
        // allocation), and only this `FixedBuf` writes them (module invariant).
        unsafe { std::slice::from_raw_parts(self.ptr(), self.len) }
    }
}

impl DerefMut for FixedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`; `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr(), self.len) }
    }
}

// SAFETY: the bytes live in the pool's heap storage, which this value keeps alive (its `Rc`),
// so the pointer is stable across moves (1, 2); every byte is initialized (zeroed) and
// `len <= capacity` (3); buffer `index` belongs to this value alone (module invariant) (4).
unsafe impl IoBuf for FixedBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len
    }

    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: buffer `index` is owned by this value alone, so writes through the pointer alias
// nothing else; `set_init` raises `len` only, up to the capacity.
unsafe impl IoBufMut for FixedBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.ptr()
    }

    unsafe fn set_init(&mut self, n: usize) {
        self.len = self.len.max(n.min(self.capacity()));
    }
}
