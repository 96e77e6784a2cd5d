//! tokio-uring's buffer expectations (its `tests/buf.rs`) checked against `uring_rt::buf`.
//!
//! Not translated (no equivalent here):
//! - `BoundedBuf`/`BoundedBufMut` trait split: our `IoBuf::slice` and `Slice` cover the same calls.
//! - `put_slice` on a `Slice`: write through `DerefMut` or `set_init` instead.

use std::ops::{Bound, RangeBounds};

use uring_rt::buf::{IoBuf, IoBufMut, Slice};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz012345";

#[test]
fn vec_pointer_lengths_follow_len_and_capacity() {
    let mut v: Vec<u8> = Vec::new();
    assert_eq!(v.stable_ptr(), v.as_ptr());
    assert_eq!((v.bytes_init(), v.bytes_total()), (0, 0));

    v.reserve(64);
    assert_eq!(v.stable_mut_ptr(), v.as_mut_ptr());
    assert_eq!(v.bytes_init(), 0);
    assert_eq!(v.bytes_total(), v.capacity());

    v.extend_from_slice(b"world");
    assert_eq!((v.bytes_init(), v.bytes_total()), (5, v.capacity()));

    // Marking fewer bytes initialized never forgets data.
    // SAFETY: three bytes are initialized.
    unsafe { v.set_init(3) };
    assert_eq!(v, b"world");

    // Writing past len and marking it initialized extends the Vec.
    // SAFETY: 12 <= capacity bytes are written before set_init.
    unsafe {
        std::ptr::copy_nonoverlapping(ALPHABET.as_ptr(), v.stable_mut_ptr(), 12);
        v.set_init(12);
    }
    assert_eq!(v, &ALPHABET[..12]);
}

#[test]
fn static_slices_are_full_and_read_only() {
    let empty: &'static [u8] = b"";
    assert_eq!((empty.bytes_init(), empty.bytes_total()), (0, 0));
    let hi: &'static [u8] = b"hi there";
    assert_eq!(hi.stable_ptr(), hi.as_ptr());
    assert_eq!((hi.bytes_init(), hi.bytes_total()), (8, 8));
}

fn bounds_of(range: &impl RangeBounds<usize>, len: usize) -> (usize, usize) {
    let b = match range.start_bound() {
        Bound::Included(&n) => n,
        Bound::Excluded(&n) => n + 1,
        Bound::Unbounded => 0,
    };
    let e = match range.end_bound() {
        Bound::Included(&n) => n + 1,
        Bound::Excluded(&n) => n,
        Bound::Unbounded => len,
    };
    (b, e)
}

/// Slices `buf` with `outer`, then the slice with `inner`; checks that the inner slice's
/// bounds count from the start of the buffer and that `into_inner` gives back the buffer
/// itself, unchanged.
fn nested<B: IoBuf + std::fmt::Debug>(
    buf: B,
    data: &[u8],
    outer: impl RangeBounds<usize> + Clone,
    inner: impl RangeBounds<usize> + Clone,
) -> B {
    let (ptr, init, total) = (buf.stable_ptr(), buf.bytes_init(), buf.bytes_total());
    let (ob, oe) = bounds_of(&outer, total);
    let s: Slice<B> = buf.slice(outer);
    assert_eq!((s.begin(), s.end()), (ob, oe));
    assert_eq!(&s[..], &data[ob..oe]);

    let (ib, ie) = bounds_of(&inner, oe - ob);
    let sub: Slice<B> = s.slice(inner);
    assert_eq!((sub.begin(), sub.end()), (ob + ib, ob + ie));
    assert_eq!(&sub[..], &data[ob + ib..ob + ie]);
    assert_eq!(sub.get_ref().stable_ptr(), ptr);

    let buf = sub.into_inner();
    assert_eq!(
        (buf.stable_ptr(), buf.bytes_init(), buf.bytes_total()),
        (ptr, init, total)
    );
    buf
}

fn every_window<B: IoBuf + std::fmt::Debug>(mut buf: B) -> B {
    let d = ALPHABET;
    buf = nested(buf, d, .., ..);
    buf = nested(buf, d, .., 10..);
    buf = nested(buf, d, .., 5..15);
    buf = nested(buf, d, .., ..15);
    buf = nested(buf, d, 5.., ..);
    buf = nested(buf, d, 5.., 5..);
    buf = nested(buf, d, 5.., 5..=15);
    buf = nested(buf, d, 5..25, ..10);
    buf = nested(buf, d, 5..25, 5..15);
    buf = nested(buf, d, ..25, 5..);
    buf = nested(buf, d, ..=25, ..=10);
    nested(buf, d, 20..20, ..)
}

#[test]
fn subslices_of_a_vec_count_from_the_vec() {
    let v = ALPHABET.to_vec();
    let v = every_window(v);
    assert_eq!(v, ALPHABET);
}

#[test]
fn subslices_of_a_static_slice_count_from_the_slice() {
    every_window(ALPHABET);
}

#[test]
fn subslices_of_boxed_slices_and_bytes() {
    every_window(ALPHABET.to_vec().into_boxed_slice());
    every_window(bytes::Bytes::from_static(ALPHABET));
    every_window(bytes::BytesMut::from(ALPHABET));
}

#[test]
fn slice_ranges_past_init_reach_capacity() {
    let mut v = Vec::with_capacity(40);
    v.extend_from_slice(&ALPHABET[..10]);
    let s = v.slice(5..);
    assert_eq!((s.begin(), s.end()), (5, 40));
    assert_eq!((s.bytes_init(), s.bytes_total()), (5, 35));
    assert_eq!(&s[..], &ALPHABET[5..10]);
    let sub = s.slice(2..30);
    assert_eq!((sub.begin(), sub.end()), (7, 35));
    assert_eq!(&sub[..], &ALPHABET[7..10]);
}

#[test]
fn uninit_slice_derefs_to_empty_and_init_slice_is_writable() {
    let s = Vec::<u8>::with_capacity(10).slice(..);
    assert_eq!((s.bytes_init(), s.bytes_total()), (0, 10));
    assert!(s[..].is_empty());

    let mut v = Vec::with_capacity(10);
    v.push(42u8);
    let mut s = v.slice(..);
    assert_eq!((s.bytes_init(), s.bytes_total()), (1, 10));
    assert_eq!(std::mem::replace(&mut s[0], 7), 42);
    s.copy_from_slice(&[9]);
    assert_eq!(&s[..], &[9]);
    assert_eq!(s.into_inner(), vec![9]);
}

#[test]
fn set_init_through_a_subslice_reaches_the_buffer() {
    let mut v = Vec::with_capacity(16);
    v.extend_from_slice(b"0123");
    let mut sub = v.slice(2..).slice(2..8);
    // SAFETY: 3 bytes within the sub-slice's bytes_total are written first.
    unsafe {
        std::ptr::copy_nonoverlapping(b"xyz".as_ptr(), sub.stable_mut_ptr(), 3);
        sub.set_init(3);
    }
    assert_eq!(&sub[..], b"xyz");
    assert_eq!(sub.into_inner(), b"0123xyz");
}

#[test]
fn io_ops_accept_subslices_and_return_the_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, ALPHABET).unwrap();
    uring_rt::start(async {
        let file = uring_rt::fs::File::open(&path).await.unwrap();
        let mut v = Vec::with_capacity(32);
        v.extend_from_slice(b"....");
        // Read 6 bytes at offset 10 into v[4..10] through a slice of a slice.
        let (res, sub) = file.read_at(v.slice(2..).slice(2..8), 10).await;
        assert_eq!(res.unwrap(), 6);
        assert_eq!(&sub[..], &ALPHABET[10..16]);
        let v = sub.into_inner();
        assert_eq!(&v[..4], b"....");
        assert_eq!(&v[4..], &ALPHABET[10..16]);
    });
}
