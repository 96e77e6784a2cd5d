//! [`IoBuf`]: a buffer the kernel may read from, and its impls for std and `bytes` types.

use std::ops::RangeBounds;

use super::Slice;

/// An owned buffer whose bytes the kernel may read while an operation is in flight.
///
/// Operations that send data (`write_at`, `send`, ...) take an `IoBuf` by value, pass
/// [`stable_ptr`](IoBuf::stable_ptr) and [`bytes_init`](IoBuf::bytes_init) to the kernel, and
/// return the buffer in a [`BufResult`](super::BufResult) once the completion has arrived.
///
/// Implemented for `Vec<u8>`, `Box<[u8]>`, `Box<[u8; N]>`, `String`, [`bytes::Bytes`], [`bytes::BytesMut`],
/// `&'static [u8]`, `&'static [u8; N]` (byte literals), `&'static str` and [`Slice<T>`](Slice).
///
/// # Safety
///
/// The kernel keeps the raw pointer from `stable_ptr` until the operation's completion
/// arrives. Meanwhile the buffer value is moved around (into the operation future, and into
/// the driver when that future is dropped early) but is not otherwise used, except through the
/// methods of `IoBuf` and [`IoBufMut`](super::IoBufMut). An implementation must guarantee,
/// for as long as the value lives and is changed only through those methods:
///
/// 1. `stable_ptr` returns the same address on every call, and that address stays valid when
///    the value itself is moved. The bytes must therefore live outside the value (on the heap
///    or in static memory), never inline in it: `[u8; N]` cannot implement `IoBuf`.
/// 2. `bytes_total()` bytes starting at `stable_ptr()` are allocated, belong to the value and
///    stay allocated until the value is dropped.
/// 3. `bytes_init() <= bytes_total()`, and the first `bytes_init()` of those bytes are
///    initialized.
/// 4. Nothing writes to those initialized bytes while the value lives, other than the value's
///    owner through `&mut` access.
///
/// Changing the buffer through its own API (say `Vec::push`, which may reallocate) is fine:
/// an operation owns the buffer while the kernel holds the pointer, so no one else can.
///
/// # Examples
///
/// A user-defined buffer aligned to 4096 bytes, as `O_DIRECT` file I/O requires:
///
/// ```
/// use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error, Layout};
/// use std::ptr::NonNull;
///
/// use uring_rt::buf::{IoBuf, IoBufMut};
///
/// /// A zero-filled heap buffer whose first byte is aligned to 4096.
/// struct AlignedBuf {
///     ptr: NonNull<u8>,
///     layout: Layout,
/// }
///
/// impl AlignedBuf {
///     fn new(len: usize) -> AlignedBuf {
///         assert_ne!(len, 0, "AlignedBuf cannot be empty");
///         let layout = Layout::from_size_align(len, 4096).expect("length too large");
///         // SAFETY: the layout's size is not zero (checked above).
///         let raw = unsafe { alloc_zeroed(layout) };
///         let ptr = NonNull::new(raw).unwrap_or_else(|| handle_alloc_error(layout));
///         AlignedBuf { ptr, layout }
///     }
/// }
///
/// impl Drop for AlignedBuf {
///     fn drop(&mut self) {
///         // SAFETY: `ptr` was allocated in `new` with `layout`, and is freed only here.
///         unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
///     }
/// }
///
/// // SAFETY: the bytes live on the heap, not inside `AlignedBuf`, so `ptr` stays valid and
/// // unchanged when the value moves, until `drop` (1, 2). All `layout.size()` bytes are
/// // allocated and, being zero-filled, initialized (2, 3). Only the owner writes them (4).
/// unsafe impl IoBuf for AlignedBuf {
///     fn stable_ptr(&self) -> *const u8 {
///         self.ptr.as_ptr()
///     }
///     fn bytes_init(&self) -> usize {
///         self.layout.size()
///     }
///     fn bytes_total(&self) -> usize {
///         self.layout.size()
///     }
/// }
///
/// // SAFETY: `AlignedBuf` owns its allocation alone, so writes through the pointer of a
/// // `&mut AlignedBuf` alias nothing; the pointer is the one `stable_ptr` returns.
/// unsafe impl IoBufMut for AlignedBuf {
///     fn stable_mut_ptr(&mut self) -> *mut u8 {
///         self.ptr.as_ptr()
///     }
///     unsafe fn set_init(&mut self, _n: usize) {
///         // Every byte is initialized from the start: nothing to record.
///     }
/// }
///
/// let buf = AlignedBuf::new(8192);
/// let addr = buf.stable_ptr();
/// assert_eq!(addr as usize % 4096, 0);
/// assert_eq!(buf.bytes_total(), 8192);
///
/// // Moving the value (as an operation does) keeps the address.
/// let boxed = Box::new(buf);
/// assert_eq!(boxed.stable_ptr(), addr);
/// let buf = *boxed;
/// assert_eq!(buf.stable_ptr(), addr);
///
/// // It can be sliced like any other buffer: here, its second page.
/// let page = buf.slice(4096..);
/// assert_eq!(page.bytes_total(), 4096);
/// assert!(page.iter().all(|&b| b == 0));
/// ```
pub unsafe trait IoBuf: Unpin + 'static {
    /// Returns a pointer to the first byte of the buffer, stable across moves of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let buf = vec![1u8, 2, 3];
    /// let ptr = buf.stable_ptr();
    /// let moved = buf;
    /// assert_eq!(moved.stable_ptr(), ptr);
    /// ```
    fn stable_ptr(&self) -> *const u8;

    /// Returns the number of initialized bytes: what a write operation sends.
    ///
    /// For `Vec<u8>` and `BytesMut` this is `len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let mut buf = Vec::with_capacity(64);
    /// buf.extend_from_slice(b"hello");
    /// assert_eq!(buf.bytes_init(), 5);
    /// ```
    fn bytes_init(&self) -> usize;

    /// Returns the number of allocated bytes: what a read operation may fill.
    ///
    /// For `Vec<u8>` and `BytesMut` this is `capacity()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let buf: Vec<u8> = Vec::with_capacity(64);
    /// assert_eq!(buf.bytes_init(), 0);
    /// assert!(buf.bytes_total() >= 64);
    /// ```
    fn bytes_total(&self) -> usize;

    /// Takes the buffer and returns a window onto the `range` of its bytes.
    ///
    /// The range counts from [`stable_ptr`](IoBuf::stable_ptr) and may extend past the
    /// initialized bytes up to [`bytes_total`](IoBuf::bytes_total): an unbounded end means
    /// `bytes_total()`, not `bytes_init()`, so `buf.slice(n..)` reads into the whole spare
    /// capacity after `n`. [`Slice::into_inner`] gives the buffer back.
    ///
    /// [`bytes::Bytes`] has an inherent `slice` method of its own, which method-call syntax
    /// picks first; write `IoBuf::slice(bytes, range)` to get a [`Slice`].
    ///
    /// # Panics
    ///
    /// Panics if the range starts after it ends or ends past `bytes_total()`, as indexing a
    /// slice out of range does. This is a programming error, not an I/O failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let mut buf = Vec::with_capacity(16);
    /// buf.extend_from_slice(b"0123456789");
    ///
    /// let slice = buf.slice(2..6);
    /// assert_eq!(&slice[..], b"2345");
    /// assert_eq!(slice.bytes_total(), 4);
    ///
    /// // The end defaults to the capacity, past the initialized bytes.
    /// let tail = slice.into_inner().slice(8..);
    /// assert_eq!(&tail[..], b"89");
    /// assert_eq!(tail.end(), tail.get_ref().capacity());
    /// ```
    #[track_caller]
    fn slice(self, range: impl RangeBounds<usize>) -> Slice<Self>
    where
        Self: Sized,
    {
        Slice::new(self, range)
    }
}

// SAFETY: a Vec's bytes live on the heap and move with neither the Vec value nor its moves;
// `as_ptr` points at `capacity()` allocated bytes of which the first `len()` are initialized;
// only the Vec's owner can write them.
unsafe impl IoBuf for Vec<u8> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }

    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: a boxed slice's bytes live on the heap, all `len()` of them allocated and
// initialized; only the box's owner can write them.
unsafe impl IoBuf for Box<[u8]> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }

    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: a boxed array's `N` bytes live on the heap, allocated and initialized, and do not
// move when the box does; only the box's owner can write them.
unsafe impl<const N: usize> IoBuf for Box<[u8; N]> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        N
    }

    fn bytes_total(&self) -> usize {
        N
    }
}

// SAFETY: a String is a `Vec<u8>` underneath: heap bytes, `capacity()` allocated, the first
// `len()` initialized, written only by its owner.
unsafe impl IoBuf for String {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }

    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: `Bytes` points at heap or static storage that it keeps alive (by reference count
// when shared) and that no one mutates while any `Bytes` refers to it; its `len()` bytes are
// initialized. Moving a `Bytes` moves only its handle.
unsafe impl IoBuf for bytes::Bytes {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }

    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: a `BytesMut`'s bytes live on the heap, never inline; its view owns `capacity()`
// allocated bytes from `as_ptr()` exclusively (split halves never overlap), of which the
// first `len()` are initialized.
unsafe impl IoBuf for bytes::BytesMut {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }

    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: a `'static` slice lives, unchanged and initialized, for the whole program; moving
// the reference does not move the bytes.
unsafe impl IoBuf for &'static [u8] {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }

    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: as for `&'static [u8]`: a static array (a byte literal such as `b"ping"`) lives,
// unchanged and initialized, for the whole program.
unsafe impl<const N: usize> IoBuf for &'static [u8; N] {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        N
    }

    fn bytes_total(&self) -> usize {
        N
    }
}

// SAFETY: as for `&'static [u8]`: static, immutable, initialized bytes.
unsafe impl IoBuf for &'static str {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }

    fn bytes_total(&self) -> usize {
        self.len()
    }
}

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};

    use super::IoBuf;

    /// Asserts the init/total lengths, and that the pointer survives a move of the value.
    fn check<B: IoBuf>(buf: B, init: usize, total: usize) {
        assert_eq!(buf.bytes_init(), init, "bytes_init");
        assert_eq!(buf.bytes_total(), total, "bytes_total");
        let ptr = buf.stable_ptr();
        let moved = Box::new(buf);
        assert_eq!(moved.stable_ptr(), ptr, "pointer moved with the value");
    }

    #[test]
    fn vec_init_is_len_total_is_capacity() {
        let mut v = Vec::with_capacity(32);
        v.extend_from_slice(b"abc");
        let cap = v.capacity();
        assert!(cap >= 32);
        check(v, 3, cap);
        check(Vec::<u8>::new(), 0, 0);
    }

    #[test]
    fn boxed_slice_is_fully_initialized() {
        check(vec![7u8; 10].into_boxed_slice(), 10, 10);
        check(Box::<[u8]>::default(), 0, 0);
        check(Box::new([3u8; 11]), 11, 11);
    }

    #[test]
    fn string_init_is_len_total_is_capacity() {
        let mut s = String::with_capacity(20);
        s.push_str("hi");
        let cap = s.capacity();
        check(s, 2, cap);
    }

    #[test]
    fn bytes_is_fully_initialized() {
        check(Bytes::from_static(b"static"), 6, 6);
        check(Bytes::from(vec![1u8, 2, 3, 4]), 4, 4);
    }

    #[test]
    fn bytes_mut_init_is_len_total_is_capacity() {
        let mut b = BytesMut::with_capacity(64);
        b.extend_from_slice(b"hello");
        let cap = b.capacity();
        assert!(cap >= 64);
        check(b, 5, cap);
    }

    #[test]
    fn static_slices_are_fully_initialized() {
        check(&b"12345"[..], 5, 5);
        check(b"byte literal", 12, 12);
        check("four", 4, 4);
    }

    #[test]
    fn stable_ptr_points_at_the_data() {
        let v = vec![9u8, 8, 7];
        // SAFETY: `bytes_init()` bytes from `stable_ptr()` are initialized (IoBuf contract).
        let seen = unsafe { std::slice::from_raw_parts(v.stable_ptr(), v.bytes_init()) };
        assert_eq!(seen, &[9, 8, 7]);
    }
}
