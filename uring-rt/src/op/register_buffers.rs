//! `IORING_REGISTER_BUFFERS`: registers a set of buffers with this thread's ring (5.1+).
//!
//! Not an operation but the ring-side half of `fs::FixedBufPool`; it lives here because
//! `op` is the layer that may talk to the driver.

use std::io;
use std::rc::Rc;

use crate::buf::{AlignedBuf, FixedBufs, IoBuf};
use crate::driver::Driver;
use crate::runtime::context;

/// Registers `bufs` with the current ring and returns the pool storage that owns them; the
/// buffers are unregistered before their memory is freed (see `FixedBufs`).
///
/// # Errors
///
/// As [`register_buffers`].
pub(crate) fn register_pool(bufs: Vec<AlignedBuf>) -> io::Result<Rc<FixedBufs>> {
    let iovecs: Vec<libc::iovec> = bufs
        .iter()
        .map(|b| libc::iovec {
            iov_base: b.stable_ptr().cast_mut().cast(),
            iov_len: b.bytes_total(),
        })
        .collect();
    // SAFETY: the memory belongs to `bufs`, which moves into the returned storage (heap bytes
    // do not move with it); `FixedBufs` drops the registration before the buffers.
    let registration = unsafe { register_buffers(&iovecs) }?;
    let ring = registration.ring();
    Ok(FixedBufs::new(bufs, ring, Box::new(registration)))
}

/// Unregisters the buffers when dropped: at once on the ring's thread with the ring entered,
/// else through the ring's mailbox at its next tick (a ring that is gone took the
/// registration with it).
#[derive(Debug)]
struct BufRegistration {
    ring: u64,
}

impl BufRegistration {
    /// The id of the ring the buffers are registered with.
    fn ring(&self) -> u64 {
        self.ring
    }
}

/// Registers `iovecs` with the current ring.
///
/// # Safety
///
/// The memory the `iovecs` describe must stay allocated until the returned guard is dropped
/// (or the ring is gone): the kernel pins it and fixed reads and writes use it.
///
/// # Errors
///
/// No runtime; `ENOMEM` (the locked-memory limit, `RLIMIT_MEMLOCK`, is too low), `EBUSY`
/// (the ring already has registered buffers), or another registration failure, each with a
/// message saying what to do.
unsafe fn register_buffers(iovecs: &[libc::iovec]) -> io::Result<BufRegistration> {
    let driver = context::driver()?;
    let total: usize = iovecs.iter().map(|v| v.iov_len).sum();
    // SAFETY: the caller keeps the memory allocated until the guard unregisters it.
    let result = unsafe { driver.register_buffers(iovecs) };
    match result {
        Ok(()) => Ok(BufRegistration { ring: driver.id() }),
        Err(e) => {
            let why = match e.raw_os_error() {
                Some(libc::ENOMEM) => format!(
                    "the kernel could not pin {total} bytes: the locked-memory limit is too \
                     low (raise `ulimit -l` / RLIMIT_MEMLOCK, or use fewer or smaller buffers)"
                ),
                Some(libc::EBUSY) => "this runtime's ring already has registered buffers \
                                      (one FixedBufPool per runtime at a time)"
                    .to_string(),
                Some(libc::EFAULT) | Some(libc::EINVAL) => format!(
                    "the kernel refused the buffers ({e}); each must be non-empty and at \
                     most 1 GiB, and at most 16384 of them"
                ),
                _ => e.to_string(),
            };
            Err(io::Error::new(
                e.kind(),
                format!(
                    "cannot register {} buffers with the ring: {why}",
                    iovecs.len()
                ),
            ))
        }
    }
}

impl Drop for BufRegistration {
    fn drop(&mut self) {
        // The memory may be freed before a deferred unregister runs: no op can use the table
        // meanwhile (every fixed op holds the pool's storage, which owns this guard, and the
        // ring accepts no other buffer set until this one is unregistered), and the kernel
        // keeps its own reference on the pinned pages.
        let driver = context::driver().ok();
        Driver::run_on(
            driver.as_deref(),
            self.ring,
            Box::new(|d| {
                // A failure leaves the buffers registered until the ring closes; the memory
                // owner leaks nothing by that (the kernel unpins at ring teardown).
                let _ = d.unregister_buffers();
            }),
        );
    }
}
