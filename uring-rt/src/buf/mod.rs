//! Buffers that can be handed to the kernel for the whole length of an I/O operation.
//!
//! With io_uring the kernel reads from or writes into a buffer *after* the call that
//! submitted the operation has returned, until the completion arrives. A borrowed `&[u8]`
//! cannot promise that: the future could be dropped (or leaked) and the borrow released while
//! the kernel still holds the raw pointer. So uring-rt takes buffers by value: an operation
//! owns its buffer while the kernel may touch it and gives it back when it completes, as the
//! second half of a [`BufResult`].
//!
//! - [`IoBuf`]: a buffer the kernel may read from (the source of a write or a send).
//! - [`IoBufMut`]: a buffer the kernel may write into (the target of a read or a receive).
//! - [`Slice`]: a window into an owned buffer, so one can read into or write from part of it
//!   without giving up ownership of the whole.
//! - [`AlignedBuf`]: a heap buffer aligned for `O_DIRECT`.
//! - [`FixedBuf`]: a buffer registered with the ring, from `uring_rt::fs::FixedBufPool`.
//! - [`BufResult`]: the `(io::Result<T>, B)` pair that ownership-passing calls return.
//!
//! Both traits are implemented for the usual owned byte containers (`Vec<u8>`, `Box<[u8]>`,
//! [`bytes::BytesMut`], ...). They are `unsafe` to implement: see [`IoBuf#safety`] for the
//! contract a custom buffer type (an aligned buffer for `O_DIRECT`, say) must keep.
//!
//! This module depends on nothing else in the crate.
//!
//! # Examples
//!
//! ```
//! use uring_rt::buf::IoBuf;
//!
//! let mut buf = Vec::with_capacity(16);
//! buf.extend_from_slice(b"hello");
//! assert_eq!(buf.bytes_init(), 5);
//! assert!(buf.bytes_total() >= 16);
//!
//! // Read into the unused tail only; the first five bytes are kept.
//! let tail = buf.slice(5..);
//! assert_eq!(tail.begin(), 5);
//! let buf = tail.into_inner();
//! assert_eq!(&buf[..], b"hello");
//! ```

mod aligned_buf;
mod buf_result;
mod fill;
mod fixed_buf;
mod io_buf;
mod io_buf_mut;
mod slice;

pub use aligned_buf::AlignedBuf;
pub use buf_result::BufResult;
pub(crate) use fill::fill_from;
pub(crate) use fixed_buf::FixedBufs;
pub use fixed_buf::{FixedBuf, FixedIoBuf};
pub use io_buf::IoBuf;
pub(crate) use io_buf_mut::fill;
pub use io_buf_mut::IoBufMut;
pub use slice::Slice;
