//! [`AlignedBuf`]: a heap buffer whose address is aligned, for `O_DIRECT` file I/O.

use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error, Layout};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use super::{IoBuf, IoBufMut};

/// A zero-filled heap buffer whose first byte is aligned to a power of two (4096 by default),
/// as `O_DIRECT` reads and writes require.
///
/// Like a `Vec<u8>` it has a capacity ([`bytes_total`](IoBuf::bytes_total)) and a length
/// ([`bytes_init`](IoBuf::bytes_init)): a read fills up to the capacity and sets the length,
/// a write sends the first `len()` bytes. It dereferences to those `len()` bytes. Use
/// `File::aligned_buf` (in `uring_rt::fs`) for a buffer aligned as a given file needs.
///
/// # Examples
///
/// ```
/// use uring_rt::buf::{AlignedBuf, IoBuf};
///
/// let mut buf = AlignedBuf::new(8192);
/// assert_eq!(buf.stable_ptr() as usize % 4096, 0);
/// assert_eq!((buf.len(), buf.capacity()), (0, 8192));
/// buf.extend_from_slice(&[7; 4096]);
/// assert_eq!(buf.bytes_init(), 4096);
/// assert!(buf.iter().all(|&b| b == 7));
/// ```
pub struct AlignedBuf {
    ptr: NonNull<u8>,
    layout: Layout,
    /// Initialized bytes the buffer holds (every byte is initialized; this is the length).
    len: usize,
}

// SAFETY: `AlignedBuf` owns its allocation alone (like `Box<[u8]>`); no interior mutability.
unsafe impl Send for AlignedBuf {}
// SAFETY: `&AlignedBuf` only reads the bytes.
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    /// An empty buffer of `capacity` bytes aligned to 4096.
    ///
    /// # Panics
    ///
    /// When `capacity` is 0 or too large to allocate.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = uring_rt::buf::AlignedBuf::new(4096);
    /// assert_eq!(buf.alignment(), 4096);
    /// ```
    pub fn new(capacity: usize) -> AlignedBuf {
        AlignedBuf::with_alignment(capacity, 4096)
    }

    /// An empty buffer of `capacity` bytes whose address is a multiple of `align`.
    ///
    /// # Panics
    ///
    /// When `align` is not a power of two, `capacity` is 0, or the size is too large.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::{AlignedBuf, IoBuf};
    /// let buf = AlignedBuf::with_alignment(1024, 512);
    /// assert_eq!(buf.stable_ptr() as usize % 512, 0);
    /// ```
    pub fn with_alignment(capacity: usize, align: usize) -> AlignedBuf {
        assert_ne!(capacity, 0, "AlignedBuf cannot have a zero capacity");
        let layout = Layout::from_size_align(capacity, align)
            .unwrap_or_else(|e| panic!("AlignedBuf({capacity}, align {align}): {e}"));
        // SAFETY: the layout's size is not zero (checked above).
        let raw = unsafe { alloc_zeroed(layout) };
        let ptr = NonNull::new(raw).unwrap_or_else(|| handle_alloc_error(layout));
        AlignedBuf {
            ptr,
            layout,
            len: 0,
        }
    }

    /// The alignment of the buffer's address.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(uring_rt::buf::AlignedBuf::with_alignment(512, 512).alignment(), 512);
    /// ```
    pub fn alignment(&self) -> usize {
        self.layout.align()
    }

    /// How many bytes the buffer can hold.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(uring_rt::buf::AlignedBuf::new(4096).capacity(), 4096);
    /// ```
    pub fn capacity(&self) -> usize {
        self.layout.size()
    }

    /// How many bytes the buffer holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = uring_rt::buf::AlignedBuf::new(4096);
    /// buf.resize(100, 1);
    /// assert_eq!(buf.len(), 100);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer holds no bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(uring_rt::buf::AlignedBuf::new(4096).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties the buffer (the capacity stays).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = uring_rt::buf::AlignedBuf::new(4096);
    /// buf.extend_from_slice(b"abc");
    /// buf.clear();
    /// assert!(buf.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Sets the length to `new_len`, filling new bytes with `value`.
    ///
    /// # Panics
    ///
    /// When `new_len > capacity()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = uring_rt::buf::AlignedBuf::new(4096);
    /// buf.resize(4096, 0xab);
    /// assert!(buf.iter().all(|&b| b == 0xab));
    /// ```
    pub fn resize(&mut self, new_len: usize, value: u8) {
        assert!(
            new_len <= self.capacity(),
            "AlignedBuf::resize past capacity"
        );
        if new_len > self.len {
            let grow = new_len - self.len;
            self.spare()[..grow].fill(value);
        }
        self.len = new_len;
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
    /// let mut buf = uring_rt::buf::AlignedBuf::new(4096);
    /// buf.extend_from_slice(b"hello");
    /// assert_eq!(&buf[..], b"hello");
    /// ```
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        assert!(
            data.len() <= self.capacity() - self.len,
            "AlignedBuf::extend_from_slice past capacity"
        );
        self.spare()[..data.len()].copy_from_slice(data);
        self.len += data.len();
    }

    /// The bytes after `len()`, up to the capacity.
    fn spare(&mut self) -> &mut [u8] {
        let len = self.len;
        // SAFETY: all `capacity()` bytes are allocated and initialized (zero-filled), and
        // `&mut self` gives exclusive access; `len <= capacity()` always.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(len), self.capacity() - len) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: `ptr` was allocated in `with_alignment` with `layout`, and is freed only here.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

impl fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlignedBuf")
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .field("alignment", &self.alignment())
            .finish()
    }
}

impl Deref for AlignedBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the first `len <= capacity()` bytes are allocated and initialized.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for AlignedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, with exclusive access through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

// SAFETY: the bytes live on the heap, not inside the value, so `ptr` is stable across moves
// until `drop` (1, 2); all `capacity()` bytes are allocated and zero-initialized, and
// `len <= capacity()` (2, 3); only the owner writes them, through `&mut` (4).
unsafe impl IoBuf for AlignedBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len
    }

    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: the value owns its allocation alone, so writes through `stable_mut_ptr` (the
// address `stable_ptr` returns) alias nothing; `set_init` only raises `len`, up to the
// capacity, and every byte is initialized from the start.
unsafe impl IoBufMut for AlignedBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    unsafe fn set_init(&mut self, n: usize) {
        self.len = self.len.max(n.min(self.capacity()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_zeroed() {
        for align in [512, 4096, 65536] {
            let mut b = AlignedBuf::with_alignment(align * 2, align);
            assert_eq!(b.stable_ptr() as usize % align, 0);
            b.resize(align * 2, 0);
            assert!(b.iter().all(|&x| x == 0));
        }
    }

    #[test]
    fn set_init_never_shrinks() {
        let mut b = AlignedBuf::new(4096);
        // SAFETY: all bytes are initialized.
        unsafe { b.set_init(10) };
        // SAFETY: as above.
        unsafe { b.set_init(3) };
        assert_eq!(b.len(), 10);
    }
}
