//! uring-rt: a thread-per-core async runtime for Linux built on io_uring.
#![warn(missing_docs)]

pub mod buf;
