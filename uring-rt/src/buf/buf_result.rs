//! [`BufResult`]: the result of an operation that took ownership of a buffer.

/// The result of an operation that took a buffer by value: the outcome and the buffer.
///
/// The buffer always comes back, on success *and* on failure, so the caller can reuse it (or
/// inspect what was read) whatever happened. The first element is the operation's outcome,
/// usually the number of bytes transferred; the second is the buffer that was passed in.
///
/// Tuples are not `#[must_use]`, so every function that returns a `BufResult` is marked
/// `#[must_use]` itself.
///
/// # Examples
///
/// ```
/// use uring_rt::buf::BufResult;
///
/// // A stand-in for an operation such as `file.read_at(buf, pos)`.
/// #[must_use]
/// fn fill(mut buf: Vec<u8>, fail: bool) -> BufResult<usize, Vec<u8>> {
///     if fail {
///         return (Err(std::io::ErrorKind::BrokenPipe.into()), buf);
///     }
///     buf.extend_from_slice(b"data");
///     (Ok(4), buf)
/// }
///
/// let (res, buf) = fill(Vec::with_capacity(8), false);
/// assert_eq!(res.unwrap(), 4);
/// assert_eq!(&buf[..], b"data");
///
/// // On failure the buffer comes back too.
/// let (res, buf) = fill(buf, true);
/// assert!(res.is_err());
/// assert_eq!(&buf[..], b"data");
/// ```
pub type BufResult<T, B> = (std::io::Result<T>, B);
