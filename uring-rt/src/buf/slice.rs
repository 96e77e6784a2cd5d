//! [`Slice`]: a window onto a range of an owned buffer, itself a buffer.

use std::ops::{Bound, Deref, DerefMut, RangeBounds};

use super::{IoBuf, IoBufMut};

/// A window onto the bytes `begin..end` of an owned buffer, usable as a buffer itself.
///
/// Made by [`IoBuf::slice`]. A `Slice` owns the whole buffer, so it can be passed to an
/// operation by value; [`into_inner`](Slice::into_inner) gives the buffer back afterwards.
///
/// As a buffer, the window starts `begin` bytes into the inner one and holds
/// `end - begin` bytes ([`bytes_total`](IoBuf::bytes_total)), of which those the inner
/// buffer has initialized are [`bytes_init`](IoBuf::bytes_init). It dereferences to those
/// initialized bytes. When `T: IoBufMut`, writes through the slice land in the inner buffer
/// at `begin` onwards, and [`set_init`](IoBufMut::set_init) is forwarded to it as
/// `set_init(begin + n)`.
///
/// # Examples
///
/// ```
/// use uring_rt::buf::{IoBuf, IoBufMut};
///
/// let mut buf = Vec::with_capacity(16);
/// buf.extend_from_slice(b"head:");
///
/// // Let a "read" fill the spare capacity after the existing bytes.
/// let mut tail = buf.slice(5..);
/// assert_eq!(tail.bytes_init(), 0);
/// // SAFETY: 4 <= tail.bytes_total(), so four bytes may be written.
/// unsafe { tail.stable_mut_ptr().copy_from_nonoverlapping(b"body".as_ptr(), 4) };
/// // SAFETY: the first four bytes of the slice were just written.
/// unsafe { tail.set_init(4) };
/// assert_eq!(&tail[..], b"body");
///
/// let buf = tail.into_inner();
/// assert_eq!(&buf[..], b"head:body");
/// ```
#[derive(Debug)]
pub struct Slice<T> {
    buf: T,
    begin: usize,
    end: usize,
}

/// Resolves `range` against a length of `total`, panicking (as slice indexing does) when it
/// does not fit; `what` names the length in the message.
#[track_caller]
fn resolve(range: &impl RangeBounds<usize>, total: usize, what: &str) -> (usize, usize) {
    let begin = match range.start_bound() {
        Bound::Included(&n) => n,
        Bound::Excluded(&n) => match n.checked_add(1) {
            Some(begin) => begin,
            None => panic!("buffer slice: range starts after usize::MAX"),
        },
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&n) => match n.checked_add(1) {
            Some(end) => end,
            None => panic!("buffer slice: range ends after usize::MAX"),
        },
        Bound::Excluded(&n) => n,
        Bound::Unbounded => total,
    };
    assert!(
        begin <= total,
        "buffer slice: range start {begin} is past {what} {total}"
    );
    assert!(
        end <= total,
        "buffer slice: range end {end} is past {what} {total}"
    );
    assert!(
        begin <= end,
        "buffer slice: range starts at {begin} but ends at {end}"
    );
    (begin, end)
}

impl<T: IoBuf> Slice<T> {
    /// Checks `range` against `buf.bytes_total()` and makes the slice; see [`IoBuf::slice`].
    #[track_caller]
    pub(crate) fn new(buf: T, range: impl RangeBounds<usize>) -> Slice<T> {
        let (begin, end) = resolve(&range, buf.bytes_total(), "the buffer's bytes_total");
        Slice { buf, begin, end }
    }

    /// Narrows the window to `range`, counted from this slice's start; the result is a
    /// `Slice` of the same inner buffer (not a slice of a slice), so its
    /// [`begin`](Slice::begin) and [`end`](Slice::end) count from the start of the buffer and
    /// [`into_inner`](Slice::into_inner) gives the buffer itself back, as in tokio-uring.
    ///
    /// # Panics
    ///
    /// As [`IoBuf::slice`]: if the range starts after it ends or ends past this slice's
    /// length (`end() - begin()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let outer = b"0123456789".to_vec().slice(2..9);
    /// let inner = outer.slice(1..4);
    /// assert_eq!((inner.begin(), inner.end()), (3, 6));
    /// assert_eq!(&inner[..], b"345");
    /// assert_eq!(inner.into_inner(), b"0123456789");
    /// ```
    #[track_caller]
    pub fn slice(self, range: impl RangeBounds<usize>) -> Slice<T> {
        let len = self.end - self.begin;
        let (begin, end) = resolve(&range, len, "the slice's length");
        Slice {
            buf: self.buf,
            begin: self.begin + begin,
            end: self.begin + end,
        }
    }

    fn window(&self) -> (usize, usize) {
        let total = self.buf.bytes_total();
        (self.begin.min(total), self.end.min(total))
    }
}

impl<T> Slice<T> {
    /// Returns the offset in the inner buffer at which the window starts.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let slice = vec![0u8; 8].slice(3..6);
    /// assert_eq!(slice.begin(), 3);
    /// ```
    pub fn begin(&self) -> usize {
        self.begin
    }

    /// Returns the offset in the inner buffer at which the window ends (exclusive).
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let slice = vec![0u8; 8].slice(3..6);
    /// assert_eq!(slice.end(), 6);
    ///
    /// // An unbounded end is the inner buffer's bytes_total, here its capacity.
    /// let slice = Vec::<u8>::with_capacity(32).slice(..);
    /// assert_eq!(slice.end(), slice.get_ref().capacity());
    /// ```
    pub fn end(&self) -> usize {
        self.end
    }

    /// Returns a shared reference to the whole inner buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let slice = b"hello world".to_vec().slice(6..);
    /// assert_eq!(slice.get_ref(), b"hello world");
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.buf
    }

    /// Returns a mutable reference to the whole inner buffer.
    ///
    /// If the inner buffer is shrunk through it (say with `Vec::shrink_to_fit`) so that the
    /// window no longer fits, the slice clamps the window to the inner buffer's new
    /// `bytes_total()` rather than reach past it; [`begin`](Slice::begin) and
    /// [`end`](Slice::end) still report the requested range.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let mut slice = b"hello".to_vec().slice(1..3);
    /// slice.get_mut()[1] = b'a';
    /// assert_eq!(&slice[..], b"al");
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.buf
    }

    /// Gives back the whole inner buffer, dropping the window.
    ///
    /// # Examples
    ///
    /// ```
    /// use uring_rt::buf::IoBuf;
    ///
    /// let buf = b"hello".to_vec();
    /// let slice = buf.slice(1..3);
    /// assert_eq!(slice.into_inner(), b"hello");
    /// ```
    pub fn into_inner(self) -> T {
        self.buf
    }
}

// SAFETY: the window is clamped to the inner buffer's `bytes_total()`, so `stable_ptr` points
// into (or one past the end of) the inner buffer's allocation, which is stable across moves
// by the inner buffer's own `IoBuf` contract, and the `bytes_total()` bytes after it are in
// that allocation. `bytes_init` counts only bytes below the inner `bytes_init()`, hence
// initialized. Only the slice's owner can reach the inner buffer to write it.
unsafe impl<T: IoBuf> IoBuf for Slice<T> {
    fn stable_ptr(&self) -> *const u8 {
        let (begin, _) = self.window();
        // `begin <= bytes_total()` keeps the result in the allocation; `wrapping_add` only
        // spares an `unsafe` block.
        self.buf.stable_ptr().wrapping_add(begin)
    }

    fn bytes_init(&self) -> usize {
        let (begin, end) = self.window();
        self.buf.bytes_init().min(end).saturating_sub(begin)
    }

    fn bytes_total(&self) -> usize {
        let (begin, end) = self.window();
        end - begin
    }
}

// SAFETY: `stable_mut_ptr` is the inner buffer's writable pointer offset as in `stable_ptr`,
// so writes of up to `bytes_total()` bytes stay inside the inner buffer's writable range.
// `set_init(n)` leaves the inner buffer initialized up to at least `begin + n`, which makes
// the slice's `bytes_init()` at least `n` (see the SAFETY comments in it).
unsafe impl<T: IoBufMut> IoBufMut for Slice<T> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        let (begin, _) = self.window();
        // As in `stable_ptr`: the clamp keeps the result in the allocation.
        self.buf.stable_mut_ptr().wrapping_add(begin)
    }

    unsafe fn set_init(&mut self, n: usize) {
        debug_assert!(n <= self.bytes_total(), "set_init({n}) past bytes_total");
        if n == 0 {
            return;
        }
        // Here `0 < n <= bytes_total()`, so the window is not empty after clamping: the
        // requested `begin < end` both lie within the inner buffer's `bytes_total()`.
        let inner_init = self.buf.bytes_init();
        if inner_init < self.begin {
            // The window starts past the inner buffer's initialized bytes. Zero the gap so
            // that forwarding `begin + n` below never marks uninitialized bytes as
            // initialized.
            // SAFETY: `inner_init < begin <= bytes_total()` of the inner buffer, so the
            // offset stays inside its allocation, and IoBufMut allows writing the
            // `begin - inner_init` bytes up to `begin`.
            unsafe {
                self.buf
                    .stable_mut_ptr()
                    .add(inner_init)
                    .write_bytes(0, self.begin - inner_init);
            }
        }
        // SAFETY: `begin + n <= end <= bytes_total()` of the inner buffer (the caller keeps
        // `n <= self.bytes_total()`). Its bytes below `begin + n` are initialized: those below
        // `inner_init` by its contract, the gap up to `begin` by the zeroing above, and the
        // `n` from `begin` by the caller.
        unsafe { self.buf.set_init(self.begin + n) };
    }
}

impl<T: IoBuf> Deref for Slice<T> {
    type Target = [u8];

    /// Returns the initialized bytes of the window.
    fn deref(&self) -> &[u8] {
        let len = self.bytes_init();
        if len == 0 {
            // The pointer of an empty buffer may be dangling or null; do not use it.
            return &[];
        }
        // SAFETY: by the `IoBuf` contract (upheld by `Slice` above), the `bytes_init()` bytes
        // from `stable_ptr()` are allocated, initialized and non-null (`len > 0`), and nothing
        // writes them while `&self` keeps the inner buffer borrowed.
        unsafe { std::slice::from_raw_parts(self.stable_ptr(), len) }
    }
}

/// The initialized bytes of the window, writable in place (as tokio-uring's slices are).
impl<T: IoBufMut> DerefMut for Slice<T> {
    fn deref_mut(&mut self) -> &mut [u8] {
        let len = self.bytes_init();
        if len == 0 {
            return &mut [];
        }
        // SAFETY: the `bytes_init()` bytes from `stable_mut_ptr()` are allocated, initialized
        // and non-null (`len > 0`) by the `IoBufMut` contract upheld above, and `&mut self`
        // keeps every other access to the inner buffer out while the borrow lives.
        unsafe { std::slice::from_raw_parts_mut(self.stable_mut_ptr(), len) }
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Bound;

    use bytes::BytesMut;

    use super::{IoBuf, IoBufMut, Slice};

    /// A Vec with `len` bytes `0, 1, 2, ...` and a capacity of exactly `cap`.
    fn vec_with(len: usize, cap: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(cap);
        v.extend((0..len).map(|i| i as u8));
        assert_eq!(v.capacity(), cap, "test needs an exact capacity");
        v
    }

    /// Writes `data` at the start of `buf` as the kernel would, then calls `set_init`.
    fn kernel_write<B: IoBufMut>(buf: &mut B, data: &[u8]) {
        assert!(data.len() <= buf.bytes_total());
        // SAFETY: `data.len() <= bytes_total()`, writable through `stable_mut_ptr`.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf.stable_mut_ptr(), data.len()) };
        // SAFETY: the first `data.len()` bytes were just written.
        unsafe { buf.set_init(data.len()) };
    }

    fn bounds<T>(s: &Slice<T>) -> (usize, usize) {
        (s.begin(), s.end())
    }

    #[test]
    fn range_forms_resolve_against_bytes_total() {
        let v = || vec_with(4, 10);
        assert_eq!(bounds(&v().slice(..)), (0, 10));
        assert_eq!(bounds(&v().slice(2..)), (2, 10));
        assert_eq!(bounds(&v().slice(..3)), (0, 3));
        assert_eq!(bounds(&v().slice(..=3)), (0, 4));
        assert_eq!(bounds(&v().slice(1..=9)), (1, 10));
        assert_eq!(bounds(&v().slice(10..)), (10, 10));
        assert_eq!(bounds(&v().slice(6..6)), (6, 6));
        let excluded = (Bound::Excluded(1), Bound::Included(3));
        assert_eq!(bounds(&v().slice(excluded)), (2, 4));
    }

    #[test]
    #[should_panic(expected = "range end 11 is past the buffer's bytes_total 10")]
    fn end_past_total_panics() {
        let _ = vec_with(4, 10).slice(..11);
    }

    #[test]
    #[should_panic(expected = "range starts at 5 but ends at 3")]
    fn begin_after_end_panics() {
        let _ = vec_with(4, 10).slice((Bound::Included(5), Bound::Excluded(3)));
    }

    #[test]
    #[should_panic(expected = "range start 11 is past the buffer's bytes_total 10")]
    fn begin_past_total_panics() {
        let _ = vec_with(4, 10).slice(11..);
    }

    #[test]
    #[should_panic(expected = "ends after usize::MAX")]
    fn inclusive_end_overflow_panics() {
        let _ = vec_with(4, 10).slice(..=usize::MAX);
    }

    #[test]
    #[should_panic(expected = "starts after usize::MAX")]
    fn exclusive_start_overflow_panics() {
        let _ = vec_with(4, 10).slice((Bound::Excluded(usize::MAX), Bound::Unbounded));
    }

    #[test]
    fn io_buf_lengths_and_pointer() {
        let v = vec_with(10, 16);
        let base = v.as_ptr();

        let s = v.slice(4..12);
        assert_eq!(s.stable_ptr(), base.wrapping_add(4));
        assert_eq!(s.bytes_total(), 8);
        assert_eq!(s.bytes_init(), 6);
        assert_eq!(&s[..], &[4, 5, 6, 7, 8, 9]);

        let s = s.into_inner().slice(2..5);
        assert_eq!((s.bytes_init(), s.bytes_total()), (3, 3));
        assert_eq!(&s[..], &[2, 3, 4]);

        let s = s.into_inner().slice(12..);
        assert_eq!((s.bytes_init(), s.bytes_total()), (0, 4));
        assert!(s.is_empty());

        let s = s.into_inner().slice(16..);
        assert_eq!((s.bytes_init(), s.bytes_total()), (0, 0));
    }

    #[test]
    fn slice_of_a_slice_narrows_the_same_buffer() {
        let inner = vec_with(10, 10).slice(2..9);
        let outer = inner.slice(1..4);
        assert_eq!(&outer[..], &[3, 4, 5]);
        assert_eq!(outer.bytes_total(), 3);
        assert_eq!((outer.begin(), outer.end()), (3, 6));
        assert_eq!(outer.into_inner(), vec_with(10, 10));
    }

    #[test]
    fn set_init_forwards_begin_plus_n() {
        let mut s = vec_with(4, 16).slice(4..);
        kernel_write(&mut s, b"abc");
        assert_eq!(s.bytes_init(), 3);
        assert_eq!(&s[..], b"abc");
        assert_eq!(s.into_inner(), [0, 1, 2, 3, b'a', b'b', b'c']);
    }

    #[test]
    fn set_init_never_shrinks_the_inner_buffer() {
        let mut s = vec_with(10, 16).slice(2..6);
        kernel_write(&mut s, b"xy");
        assert_eq!(s.into_inner(), [0, 1, b'x', b'y', 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn set_init_zero_fills_a_gap_before_the_window() {
        let mut s = vec_with(2, 16).slice(5..);
        kernel_write(&mut s, b"abc");
        assert_eq!(s.into_inner(), [0, 1, 0, 0, 0, b'a', b'b', b'c']);
    }

    #[test]
    fn set_init_of_zero_changes_nothing() {
        let mut s = vec_with(2, 16).slice(5..);
        // SAFETY: zero bytes are trivially initialized.
        unsafe { s.set_init(0) };
        assert_eq!(s.into_inner(), [0, 1]);
    }

    #[test]
    fn set_init_through_bytes_mut() {
        let mut b = BytesMut::with_capacity(16);
        b.extend_from_slice(b"ab");
        let mut s = b.slice(2..);
        kernel_write(&mut s, b"cd");
        assert_eq!(&s[..], b"cd");
        assert_eq!(&s.into_inner()[..], b"abcd");
    }

    #[test]
    fn into_inner_round_trip_keeps_data_and_allocation() {
        let v = vec_with(5, 12);
        let ptr = v.as_ptr();
        let s = v.slice(1..8);
        let moved = Box::new(s);
        let v = moved.into_inner();
        assert_eq!(v, vec_with(5, 12));
        assert_eq!(v.as_ptr(), ptr);
        assert_eq!(v.capacity(), 12);
    }

    #[test]
    fn window_is_clamped_when_get_mut_shrinks_the_buffer() {
        let mut s = vec_with(4, 32).slice(2..20);
        s.get_mut().shrink_to_fit();
        let cap = s.get_ref().capacity();
        assert!(cap < 20, "shrink_to_fit left capacity {cap}");
        assert_eq!(bounds(&s), (2, 20));
        assert_eq!(s.bytes_total(), cap - 2);
        assert_eq!(&s[..], &[2, 3]);

        let mut s = s.into_inner().slice(..);
        s.get_mut().clear();
        s.get_mut().shrink_to_fit();
        assert_eq!(s.bytes_init(), 0);
        assert_eq!(s.bytes_total(), s.get_ref().capacity());
        assert!(s.is_empty());
    }

    #[test]
    fn deref_works_for_every_io_buf() {
        assert_eq!(&"hello".slice(1..3)[..], b"el");
        assert_eq!(&b"hello"[..].slice(3..)[..], b"lo");
        assert_eq!(&String::from("hello").slice(..2)[..], b"he");
        // `Bytes` has an inherent `slice` method, so name the trait's.
        let s: Slice<bytes::Bytes> = IoBuf::slice(bytes::Bytes::from_static(b"hello"), 4..);
        assert_eq!(&s[..], b"o");
        assert_eq!(&vec![1u8, 2].into_boxed_slice().slice(1..)[..], &[2]);
    }
}
