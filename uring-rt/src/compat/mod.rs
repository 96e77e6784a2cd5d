//! Poll-based I/O for the ecosystem: [`Compat`] makes a uring-rt stream a
//! `tokio::io::AsyncRead + AsyncWrite` (feature `tokio-io`), a
//! `futures_io::AsyncRead + AsyncWrite` (feature `futures-io`) or a
//! `hyper::rt::Read + Write` (feature `hyper`), so hyper, h2, tonic, tokio-rustls,
//! tokio-util codecs and `futures::io` run on it unchanged. With `hyper`,
//! `HyperExecutor` and `HyperTimer` give hyper its executor (local tasks) and timer.
//!
//! # How it works
//!
//! A poll-based reader lends a `&mut [u8]` for one call only, but io_uring needs a buffer
//! that outlives the call. So `Compat` owns one read buffer (16 KiB by default): a
//! `poll_read` with nothing buffered starts one `recv` into it, and once that completes hands
//! out the bytes in as many `poll_read`s as the caller needs: one copy, from the owned buffer
//! to the caller's. On the write side, `poll_write` copies the caller's bytes (up to 64 KiB,
//! gathered from every slice of a vectored write) into the one in-flight write buffer,
//! starts the `send` and returns at once; the next `poll_write`, `poll_flush` or
//! `poll_shutdown` waits for it (and reports its error, if any). So one read and one write
//! can be in flight at once, as hyper, h2 and `copy_bidirectional` need.
//!
//! # Examples
//!
//! ```
//! use uring_rt::compat::Compat;
//! use uring_rt::net::UnixStream;
//!
//! uring_rt::start(async {
//!     let (a, b) = UnixStream::pair().unwrap();
//!     let a = Compat::new(a); // now tokio::io::AsyncRead + AsyncWrite with feature `tokio-io`
//!     b.write_all(b"hi".to_vec()).await.0.unwrap();
//!     let (_a, unread) = a.into_parts();
//!     assert!(unread.is_empty());
//! });
//! ```

#![deny(unsafe_code)]

mod stream;

#[cfg(feature = "futures-io")]
mod futures_io;
#[cfg(feature = "hyper")]
mod hyper_io;
#[cfg(feature = "hyper")]
mod hyper_rt;
#[cfg(feature = "tokio-io")]
mod tokio_io;

#[cfg(feature = "hyper")]
pub use hyper_rt::{HyperExecutor, HyperTimer};
pub use stream::{Compat, CompatRead, CompatWrite};
