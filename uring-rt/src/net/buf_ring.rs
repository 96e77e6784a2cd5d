//! [`BufRing`]: a ring of provided buffers for multishot receives, owned by one runtime.

use std::fmt;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::RecvBuf;
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
        Ok(BufRing {
            inner: Rc::new(ProvidedBufs::register(entries, buf_size)?),
        })
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

    /// Takes buffer `bid`, which a completion says holds `len` bytes.
    pub(crate) fn take(&self, bid: u16, len: usize) -> RecvBuf {
        RecvBuf::lent(self.inner.lend(bid, len))
    }

    /// Gives buffer `bid`, which a completion named without data, back to the kernel.
    pub(crate) fn recycle(&self, bid: u16) {
        self.inner.recycle_with(bid, 0, |_| {});
    }

    /// Ready when some buffer is not lent out (after `ENOBUFS`, re-arming makes sense).
    pub(crate) fn poll_available(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.inner.poll_available(cx)
    }
}
