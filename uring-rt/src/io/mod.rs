//! Generic I/O: the owned-buffer traits every stream and a file cursor implement, the
//! helpers built on them ([`copy`], [`BufReader`], [`BufWriter`]), and [`nop`]. As with
//! tokio, `&[u8]` is a reader and `Vec<u8>` a writer, for tests and in-memory plumbing.
//!
//! [`AsyncReadOwned`] and [`AsyncWriteOwned`] are the completion-based counterparts of
//! tokio's `AsyncRead`/`AsyncWrite`: buffers go in by value and come back with the result.
//! For code written against the poll-based traits, wrap a stream in
//! [`Compat`](crate::compat::Compat).
//!
//! # Examples
//!
//! ```
//! use uring_rt::io::{AsyncReadOwnedExt, AsyncWriteOwnedExt};
//! use uring_rt::net::UnixStream;
//!
//! uring_rt::start(async {
//!     let (mut a, mut b) = UnixStream::pair().unwrap();
//!     AsyncWriteOwnedExt::write_all(&mut a, b"ping".to_vec()).await.0.unwrap();
//!     let (res, buf) = b.read_exact(vec![0u8; 4]).await;
//!     res.unwrap();
//!     assert_eq!(buf, b"ping");
//! });
//! ```

#![deny(unsafe_code)]

mod buf_reader;
mod buf_writer;
mod copy;
mod ext;
mod file_cursor;
mod impls;
mod memory;
mod traits;

pub use buf_reader::BufReader;
pub use buf_writer::BufWriter;
pub use copy::copy;
pub use ext::{AsyncReadOwnedExt, AsyncWriteOwnedExt};
pub use file_cursor::FileCursor;
pub use traits::{AsyncReadOwned, AsyncWriteOwned};

use std::io;

use crate::op::{Nop, Op};

/// One `IORING_OP_NOP` round trip through the ring: submitted, completed by the kernel,
/// reaped. Useful to measure the runtime's per-operation overhead.
///
/// # Errors
///
/// When called outside a runtime (`ErrorKind::Other`).
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     uring_rt::io::nop().await.unwrap();
/// });
/// ```
pub async fn nop() -> io::Result<()> {
    Op::new(Nop).await
}
