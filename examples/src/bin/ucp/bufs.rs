//! The pool of `--qd` buffers of `--bs` bytes that every read and write takes one from, so
//! at most `--qd` are in flight. Registered with the ring (`FixedBufPool`) when the
//! locked-memory limit allows, plain 4096-aligned buffers otherwise.

use uring_rt::buf::AlignedBuf;
use uring_rt::fs::{FixedBuf, FixedBufPool};

/// Total buffer memory at most; `--qd` is lowered for huge `--bs` rather than allocating
/// gigabytes.
const MAX_POOL_BYTES: usize = 1 << 30;

/// One buffer of the pool.
#[derive(Debug)]
pub(crate) enum Buf {
    /// Registered with the ring: full-size reads and writes use `read_fixed_at` and
    /// `write_fixed_at`.
    Fixed(FixedBuf),
    /// Not registered.
    Plain(AlignedBuf),
}

/// The pool: a channel holding the free buffers.
#[derive(Debug)]
pub(crate) struct BufPool {
    tx: async_channel::Sender<Buf>,
    rx: async_channel::Receiver<Buf>,
    /// Keeps the registration alive (the buffers are checked out into the channel).
    _registered: Option<FixedBufPool>,
}

impl BufPool {
    /// `count` buffers of `size` bytes (fewer when they would exceed 1 GiB in all).
    pub(crate) fn new(count: usize, size: usize) -> BufPool {
        let count = count.min(MAX_POOL_BYTES / size).max(1);
        let (tx, rx) = async_channel::bounded(count);
        let registered = FixedBufPool::new(count, size).ok();
        for _ in 0..count {
            let buf = match registered.as_ref().and_then(FixedBufPool::try_get) {
                Some(fixed) => Buf::Fixed(fixed),
                None => Buf::Plain(AlignedBuf::with_alignment(size, 4096)),
            };
            tx.try_send(buf).expect("the channel holds `count` buffers");
        }
        BufPool {
            tx,
            rx,
            _registered: registered,
        }
    }

    /// Waits for a free buffer.
    pub(crate) async fn get(&self) -> Buf {
        // Both ends live in `self`: the channel is never closed, so `recv` only waits.
        self.rx
            .recv()
            .await
            .expect("the pool's channel is never closed")
    }

    /// Returns a buffer to the pool.
    pub(crate) fn put(&self, buf: Buf) {
        // At most `count` buffers exist, so there is always room.
        let _ = self.tx.try_send(buf);
    }
}
