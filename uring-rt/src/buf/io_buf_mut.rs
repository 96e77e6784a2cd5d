//! [`IoBufMut`]: a buffer the kernel may write into, and its impls for std and `bytes` types.

use super::IoBuf;

/// An owned buffer the kernel may write into while an operation is in flight.
///
/// Operations that receive data (`read_at`, `recv`, ...) take an `IoBufMut` by value, let
/// the kernel write up to [`bytes_total`](IoBuf::bytes_total) bytes at
/// [`stable_mut_ptr`](IoBufMut::stable_mut_ptr), then call
/// [`set_init`](IoBufMut::set_init) with the number of bytes the kernel reported before
/// handing the buffer back. Data lands at the start of the buffer, over whatever it held: to
/// append after existing data, pass `buf.slice(buf.bytes_init()..)`.
///
/// Implemented for `Vec<u8>`, `Box<[u8]>`, `Box<[u8; N]>`, [`bytes::BytesMut`] and
/// [`Slice<T>`](super::Slice) where `T: IoBufMut`.
///
/// # Safety
///
/// Everything [`IoBuf`] requires (see [`IoBuf#safety`]), and also, for as long as the value
/// lives and is changed only through the methods of `IoBuf` and `IoBufMut`:
///
/// 1. `stable_mut_ptr` returns the address `stable_ptr` returns, and writing up to
///    `bytes_total()` bytes through it, at any time until the value is dropped, is allowed:
///    the memory is owned by this value alone, not shared with another value or read by
///    anyone else. Shared storage such as [`bytes::Bytes`] cannot implement `IoBufMut`.
/// 2. After `set_init(n)` with `n <= bytes_total()`, `bytes_init()` returns at least `n`;
///    `set_init` never lowers `bytes_init()`.
///
/// The [`IoBuf`] docs show an aligned buffer type implementing both traits.
///
/// # Examples
///
/// ```
/// use uring_rt::buf::{IoBuf, IoBufMut};
///
/// /// A stand-in for the kernel completing a read of `data` into `buf`.
/// fn complete_read<B: IoBufMut>(mut buf: B, data: &[u8]) -> B {
///     let n = data.len().min(buf.bytes_total());
///     // SAFETY: `n <= bytes_total()`, and the trait allows writes of that many bytes
///     // through `stable_mut_ptr`.
///     unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf.stable_mut_ptr(), n) };
///     // SAFETY: the first `n` bytes were just written.
///     unsafe { buf.set_init(n) };
///     buf
/// }
///
/// let buf = complete_read(Vec::<u8>::with_capacity(8), b"hello");
/// assert_eq!(&buf[..], b"hello");
/// ```
pub unsafe trait IoBufMut: IoBuf {
    /// Returns a pointer through which up to `bytes_total()` bytes may be written.
    ///
    /// It is the address that [`stable_ptr`](IoBuf::stable_ptr) returns, stable across
    /// moves of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::{IoBuf, IoBufMut};
    ///
    /// let mut buf = vec![0u8; 4];
    /// let ptr = buf.stable_mut_ptr();
    /// assert_eq!(ptr.cast_const(), buf.stable_ptr());
    /// // SAFETY: 4 <= bytes_total(), so the byte at offset 3 may be written.
    /// unsafe { ptr.add(3).write(42) };
    /// assert_eq!(buf, [0, 0, 0, 42]);
    /// ```
    fn stable_mut_ptr(&mut self) -> *mut u8;

    /// Records that the first `n` bytes, counted from `stable_mut_ptr`, are initialized.
    ///
    /// Afterwards `bytes_init()` is at least `n`. It never shrinks: if more than `n` bytes
    /// were already initialized, nothing changes. For `Vec<u8>` and `BytesMut` this sets
    /// `len()` to `max(len(), n)`; for `Box<[u8]>`, whose bytes are all initialized, it does
    /// nothing.
    ///
    /// # Safety
    ///
    /// The caller must ensure that `n <= self.bytes_total()` and that the first `n` bytes
    /// from [`stable_mut_ptr`](IoBufMut::stable_mut_ptr) are initialized (for example,
    /// because the kernel reported writing them).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::{IoBuf, IoBufMut};
    ///
    /// let mut buf = Vec::<u8>::with_capacity(8);
    /// // SAFETY: 3 <= bytes_total(), so three bytes may be written through the pointer.
    /// unsafe { buf.stable_mut_ptr().write_bytes(b'x', 3) };
    /// // SAFETY: the first three bytes were just written.
    /// unsafe { buf.set_init(3) };
    /// assert_eq!(&buf[..], b"xxx");
    ///
    /// // A smaller count does not shrink the buffer.
    /// // SAFETY: one byte is <= bytes_total() and is initialized.
    /// unsafe { buf.set_init(1) };
    /// assert_eq!(buf.bytes_init(), 3);
    /// ```
    unsafe fn set_init(&mut self, n: usize);
}

// SAFETY: a Vec owns its heap allocation alone; `Vec::as_mut_ptr` returns the address of
// `as_ptr`, valid for writes to the whole `capacity()`. `set_init` raises `len` to `n` only.
unsafe impl IoBufMut for Vec<u8> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }

    unsafe fn set_init(&mut self, n: usize) {
        if self.len() < n {
            // SAFETY: the caller guarantees `n <= bytes_total() == capacity()` and that the
            // first `n` bytes are initialized, which is what `Vec::set_len` requires.
            unsafe { self.set_len(n) };
        }
    }
}

// SAFETY: a boxed slice owns its heap allocation alone; `as_mut_ptr` returns the address of
// `as_ptr`, valid for writes to all `len()` bytes. All bytes are always initialized, so
// `bytes_init() == bytes_total()` already satisfies `set_init`.
unsafe impl IoBufMut for Box<[u8]> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }

    unsafe fn set_init(&mut self, _n: usize) {
        // Every byte of a boxed slice is initialized: nothing to record.
    }
}

// SAFETY: a boxed array owns its heap allocation alone; `as_mut_ptr` returns the address of
// `as_ptr`, valid for writes to all `N` bytes, which are always initialized.
unsafe impl<const N: usize> IoBufMut for Box<[u8; N]> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }

    unsafe fn set_init(&mut self, _n: usize) {
        // Every byte of a boxed array is initialized: nothing to record.
    }
}

// SAFETY: a `BytesMut` owns the `capacity()` heap bytes from its start exclusively (the
// halves made by `split_off` and friends may share an allocation but never overlap).
// `as_mut_ptr` (through `DerefMut`) returns the start of that view, the address of `as_ptr`;
// the kernel writes through that address up to `capacity()`. `set_init` raises `len` only.
unsafe impl IoBufMut for bytes::BytesMut {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }

    unsafe fn set_init(&mut self, n: usize) {
        if self.len() < n {
            // SAFETY: the caller guarantees `n <= bytes_total() == capacity()` and that the
            // first `n` bytes are initialized, which is what `BytesMut::set_len` requires.
            unsafe { self.set_len(n) };
        }
    }
}

/// Copies `parts`, in order, into the start of `buf`'s room, as much as fits, and marks the
/// bytes initialized: how many were copied.
pub(crate) fn fill<B: IoBufMut>(buf: &mut B, parts: [&[u8]; 2]) -> usize {
    let room = buf.bytes_total();
    let dst = buf.stable_mut_ptr();
    let mut n = 0;
    for part in parts {
        let k = part.len().min(room - n);
        // SAFETY: `dst` is valid for `bytes_total() = room` bytes (IoBufMut's contract) and
        // `n + k <= room`; `part` is a shared slice, which cannot overlap the buffer we hold
        // by `&mut`.
        unsafe { std::ptr::copy_nonoverlapping(part.as_ptr(), dst.add(n), k) };
        n += k;
    }
    // SAFETY: the first `n <= bytes_total()` bytes were just written.
    unsafe { buf.set_init(n) };
    n
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::{IoBuf, IoBufMut};

    /// Writes `data` at offset 0 as the kernel would, then records it with `set_init`.
    fn kernel_write<B: IoBufMut>(buf: &mut B, data: &[u8]) {
        assert!(data.len() <= buf.bytes_total());
        // SAFETY: `data.len() <= bytes_total()`, writable through `stable_mut_ptr`.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf.stable_mut_ptr(), data.len()) };
        // SAFETY: the first `data.len()` bytes were just written.
        unsafe { buf.set_init(data.len()) };
    }

    #[test]
    fn vec_set_init_grows_len_into_capacity() {
        let mut v = Vec::with_capacity(16);
        kernel_write(&mut v, b"abcdef");
        assert_eq!(v, b"abcdef");
        assert_eq!(v.bytes_init(), 6);
    }

    #[test]
    fn vec_set_init_never_shrinks() {
        let mut v = b"0123456789".to_vec();
        kernel_write(&mut v, b"ab");
        assert_eq!(v, b"ab23456789");
        // SAFETY: zero bytes are trivially initialized.
        unsafe { v.set_init(0) };
        assert_eq!(v.len(), 10);
    }

    #[test]
    fn bytes_mut_set_init_grows_and_never_shrinks() {
        let mut b = BytesMut::with_capacity(16);
        kernel_write(&mut b, b"xyz");
        assert_eq!(&b[..], b"xyz");
        kernel_write(&mut b, b"A");
        assert_eq!(&b[..], b"Ayz");
        assert_eq!(b.bytes_init(), 3);
    }

    #[test]
    fn boxed_slice_set_init_is_a_no_op() {
        let mut b = vec![0u8; 4].into_boxed_slice();
        kernel_write(&mut b, b"hi");
        assert_eq!(&b[..], b"hi\0\0");
        assert_eq!(b.bytes_init(), 4);
        assert_eq!(b.bytes_total(), 4);
    }

    #[test]
    fn stable_mut_ptr_matches_stable_ptr() {
        let mut v = Vec::<u8>::with_capacity(4);
        assert_eq!(v.stable_mut_ptr().cast_const(), v.stable_ptr());
        let mut b = BytesMut::with_capacity(4);
        assert_eq!(b.stable_mut_ptr().cast_const(), b.stable_ptr());
        let mut x = vec![1u8].into_boxed_slice();
        assert_eq!(x.stable_mut_ptr().cast_const(), x.stable_ptr());
    }
}
