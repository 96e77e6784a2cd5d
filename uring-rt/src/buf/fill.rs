//! Copying borrowed bytes into an owned buffer: how buffered readers hand out what they hold.

use super::IoBufMut;

/// Copies as much of `src` as fits into the start of `buf` (its `bytes_total()`), marks
/// those bytes initialized, and returns how many were copied.
pub(crate) fn fill_from<B: IoBufMut>(buf: &mut B, src: &[u8]) -> usize {
    let n = src.len().min(buf.bytes_total());
    if n == 0 {
        return 0;
    }
    let dst = buf.stable_mut_ptr();
    // SAFETY: `dst` is valid for writes of `bytes_total() >= n` bytes (IoBufMut's contract);
    // `src` is a shared borrow, so it cannot alias the buffer we hold mutably.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, n) };
    // SAFETY: the first `n <= bytes_total()` bytes were just written.
    unsafe { buf.set_init(n) };
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buf::IoBuf;

    #[test]
    fn copies_what_fits_and_sets_init() {
        let mut v = Vec::with_capacity(4);
        assert_eq!(fill_from(&mut v, b"abcdef"), 4);
        assert_eq!(v, b"abcd");
        let mut s = vec![0u8; 8].slice(2..5);
        assert_eq!(fill_from(&mut s, b"xy"), 2);
        assert_eq!(s.into_inner(), b"\0\0xy\0\0\0\0");
        let mut empty = Vec::new();
        assert_eq!(fill_from(&mut empty, b"z"), 0);
    }
}
