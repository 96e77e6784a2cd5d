//! [`BufRing`]: a ring of provided buffers for multishot receives, owned by one runtime.

use std::fmt;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::{BufRingBuilder, BufRingStats};
use crate::op::ProvidedBufs;

/// A registered ring of provided buffers (kernel 5.19+), for receives that pick their
/// buffer when data arrives ([`recv_stream`](crate::net::TcpStream::recv_stream)), so idle
/// connections hold no buffer.
///
/// It belongs to the runtime of the thread that made it (it is not `Send`); one ring can
/// serve many streams of that runtime. Cloning shares the ring.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let ring = uring_rt::net::BufRing::new(64, 4096).unwrap();
///     assert_eq!(ring.entries(), 64);
///     assert_eq!(ring.buf_size(), 4096);
/// });
/// ```
#[derive(Clone)]
pub struct BufRing {
    inner: Rc<ProvidedBufs>,
}

impl fmt::Debug for BufRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufRing")
            .field("bgid", &self.inner.bgid())
            .field("entries", &self.inner.entries())
            .field("buf_size", &self.inner.buf_size())
            .field("bundle", &self.inner.is_bundle())
            .field("incremental", &self.inner.is_incremental())
            .finish()
    }
}

impl BufRing {
    /// Allocates `entries` buffers of `buf_size` bytes and registers them with this thread's
    /// ring.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `entries` is not a power of two in `1..=32768` or `buf_size` is 0
    /// or above `u32::MAX`; `Other` outside a runtime; `ResourceBusy` when the runtime's ring
    /// has 65,536 buffer rings already; the registration's error (`Unsupported` on kernels
    /// older than 5.19).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(uring_rt::net::BufRing::new(3, 4096).is_err()); // not a power of two
    ///     let ring = uring_rt::net::BufRing::new(8, 1024).unwrap();
    ///     assert_eq!(ring.entries(), 8);
    /// });
    /// ```
    pub fn new(entries: u16, buf_size: usize) -> io::Result<BufRing> {
        BufRingBuilder::new(entries, buf_size).build()
    }

    /// A builder for a ring of `entries` buffers of `buf_size` bytes with kernel features
    /// switched on: [`bundle`](BufRingBuilder::bundle) (Linux 6.10+) and
    /// [`incremental`](BufRingBuilder::incremental) consumption (Linux 6.12+).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let ring = uring_rt::net::BufRing::builder(16, 4096).bundle(true).build().unwrap();
    ///     assert_eq!(ring.buf_size(), 4096);
    /// });
    /// ```
    pub fn builder(entries: u16, buf_size: usize) -> BufRingBuilder {
        BufRingBuilder::new(entries, buf_size)
    }

    pub(crate) fn from_inner(inner: Rc<ProvidedBufs>) -> BufRing {
        BufRing { inner }
    }

    /// Whether receives on this ring use bundles: asked for with
    /// [`BufRingBuilder::bundle`], and the kernel has them (Linux 6.10+, io_uring driver).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(!uring_rt::net::BufRing::new(4, 256).unwrap().is_bundle());
    /// });
    /// ```
    pub fn is_bundle(&self) -> bool {
        self.inner.is_bundle()
    }

    /// Whether the kernel consumes this ring's buffers incrementally: asked for with
    /// [`BufRingBuilder::incremental`], and the ring allows it (Linux 6.12+, io_uring
    /// driver, no SQPOLL).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert!(!uring_rt::net::BufRing::new(4, 256).unwrap().is_incremental());
    /// });
    /// ```
    pub fn is_incremental(&self) -> bool {
        self.inner.is_incremental()
    }

    /// Buffers the kernel cannot receive into now: lent out as [`RecvBuf`](super::RecvBuf)s
    /// (or their pieces), or filled and not yet handed out. 0 when every buffer is back.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let ring = uring_rt::net::BufRing::new(8, 256).unwrap();
    ///     assert_eq!(ring.in_use(), 0);
    /// });
    /// ```
    pub fn in_use(&self) -> usize {
        usize::from(self.inner.out())
    }

    /// How receive completions used the ring's buffers so far (bundles, partial buffers).
    ///
    /// # Examples
    ///
    /// See [`BufRingStats`].
    pub fn stats(&self) -> BufRingStats {
        let s = self.inner.stats();
        BufRingStats {
            completions: s.completions,
            multi_buffer: s.multi_buffer,
            partial: s.partial,
        }
    }

    /// Number of buffers.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let ring = uring_rt::net::BufRing::new(16, 512).unwrap();
    ///     assert_eq!(ring.entries(), 16);
    /// });
    /// ```
    pub fn entries(&self) -> u16 {
        self.inner.entries()
    }

    /// Size of each buffer in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let ring = uring_rt::net::BufRing::new(16, 512).unwrap();
    ///     assert_eq!(ring.buf_size(), 512);
    /// });
    /// ```
    pub fn buf_size(&self) -> usize {
        self.inner.buf_size()
    }

    /// The buffer-group id the kernel knows this ring by: allocated by the runtime's ring,
    /// unique among its live buffer rings, and reused once this `BufRing` is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let a = uring_rt::net::BufRing::new(4, 256).unwrap();
    ///     let b = uring_rt::net::BufRing::new(4, 256).unwrap();
    ///     assert_ne!(a.bgid(), b.bgid());
    ///     let freed = b.bgid();
    ///     drop(b);
    ///     assert_eq!(uring_rt::net::BufRing::new(4, 256).unwrap().bgid(), freed);
    /// });
    /// ```
    pub fn bgid(&self) -> u16 {
        self.inner.bgid()
    }

    /// The kernel side, for the multishot receive op.
    pub(crate) fn provided(&self) -> &Rc<ProvidedBufs> {
        &self.inner
    }

    /// Checks that this thread's runtime is the one the ring is registered with.
    ///
    /// # Errors
    ///
    /// `InvalidInput` under another runtime, `Other` outside any.
    pub(crate) fn check_current(&self) -> io::Result<()> {
        self.inner.check_current()
    }

    /// Ready when some buffer is not lent out (after `ENOBUFS`, re-arming makes sense).
    pub(crate) fn poll_available(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.inner.poll_available(cx)
    }
}
