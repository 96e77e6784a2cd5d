//! [`BufRingBuilder`]: a [`BufRing`](super::BufRing) with kernel features switched on.

use std::io;
use std::rc::Rc;

use super::BufRing;
use crate::op::ProvidedBufs;

/// Makes a [`BufRing`] with bundles and incremental consumption switched on or off (both off
/// by default, as with [`BufRing::new`]). Each is used only where the kernel and the driver
/// have it, and otherwise the ring works as a plain one (the same data, in the same order):
/// [`BufRing::is_bundle`] and [`BufRing::is_incremental`] say what is in effect.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let ring = uring_rt::net::BufRing::builder(64, 4096)
///         .bundle(true)
///         .incremental(true)
///         .build()
///         .unwrap();
///     assert_eq!(ring.entries(), 64);
///     println!("bundles: {}, incremental: {}", ring.is_bundle(), ring.is_incremental());
/// });
/// ```
#[derive(Debug, Clone)]
pub struct BufRingBuilder {
    entries: u16,
    buf_size: usize,
    bundle: bool,
    incremental: bool,
}

impl BufRingBuilder {
    pub(crate) fn new(entries: u16, buf_size: usize) -> BufRingBuilder {
        BufRingBuilder {
            entries,
            buf_size,
            bundle: false,
            incremental: false,
        }
    }

    /// Receive bundles (`IORING_RECVSEND_BUNDLE`, Linux 6.10+): one completion of a
    /// [`RecvStream`](super::RecvStream) may fill several buffers when more bytes are
    /// waiting than one buffer holds; the stream still yields them one buffer at a time, in
    /// order. Saves completions (and wake-ups) for transfers larger than a buffer; changes
    /// nothing for messages that fit one. Costs nothing when unused. Without the kernel
    /// feature (`IORING_FEAT_RECVSEND_BUNDLE`) and on the epoll driver: plain multishot
    /// receives.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let ring = uring_rt::net::BufRing::builder(8, 1024).bundle(true).build().unwrap();
    ///     let _ = ring.is_bundle(); // false before Linux 6.10 and on the epoll driver
    /// });
    /// ```
    pub fn bundle(mut self, on: bool) -> BufRingBuilder {
        self.bundle = on;
        self
    }

    /// Incremental consumption (`IOU_PBUF_RING_INC`, Linux 6.12+): the kernel fills each
    /// buffer piece by piece, one receive after the other (of any stream on the ring), so a
    /// large buffer serves many small messages instead of one. Each [`RecvBuf`] is then a
    /// piece of a buffer; the buffer goes back to the kernel when the kernel is done with it
    /// and every piece of it was dropped, so one piece held for long keeps its whole buffer
    /// out. Costs a little bookkeeping per completion. Not used (plain buffers) before Linux
    /// 6.12, on the epoll driver, and on SQPOLL rings (where the kernel thread may post
    /// completions in another order than it consumed the buffers, and pieces are placed by
    /// completion order).
    ///
    /// [`RecvBuf`]: super::RecvBuf
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let ring = uring_rt::net::BufRing::builder(8, 65536).incremental(true).build().unwrap();
    ///     let _ = ring.is_incremental(); // false before Linux 6.12 and on the epoll driver
    /// });
    /// ```
    pub fn incremental(mut self, on: bool) -> BufRingBuilder {
        self.incremental = on;
        self
    }

    /// Allocates the buffers and registers them with this thread's ring.
    ///
    /// # Errors
    ///
    /// As [`BufRing::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(uring_rt::net::BufRing::builder(3, 64).build().is_err()); // not a power of two
    /// });
    /// ```
    pub fn build(self) -> io::Result<BufRing> {
        let inner =
            ProvidedBufs::register(self.entries, self.buf_size, self.incremental, self.bundle)?;
        Ok(BufRing::from_inner(Rc::new(inner)))
    }
}
