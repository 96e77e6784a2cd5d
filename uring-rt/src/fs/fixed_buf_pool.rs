//! [`FixedBufPool`]: buffers registered with the ring (`IORING_REGISTER_BUFFERS`).

use std::fmt;
use std::io;
use std::rc::Rc;

use crate::buf::{AlignedBuf, FixedBuf, FixedBufs};
use crate::op;

/// A pool of equally sized buffers registered with this thread's ring, for
/// [`File::read_fixed_at`](super::File::read_fixed_at) and
/// [`File::write_fixed_at`](super::File::write_fixed_at): the kernel maps their pages once,
/// at registration, instead of on every operation.
///
/// Check a [`FixedBuf`] out with [`try_get`](FixedBufPool::try_get); it returns to the pool
/// when dropped. The buffers are 4096-aligned, so they also suit `O_DIRECT`. A ring holds one
/// registered set at a time; the pool unregisters it once the pool and every checked-out
/// buffer are gone. The pool belongs to the thread that made it (not `Send`).
///
/// Registration needs Linux 5.1+ and counts against the locked-memory limit
/// (`RLIMIT_MEMLOCK`) on kernels before 5.12 and for unprivileged users; running out gives a
/// clear error, never a startup failure.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let pool = uring_rt::fs::FixedBufPool::new(4, 4096).unwrap();
///     assert_eq!((pool.count(), pool.buf_size()), (4, 4096));
///     let a = pool.try_get().unwrap();
///     assert_eq!(pool.available(), 3);
///     drop(a);
///     assert_eq!(pool.available(), 4);
/// });
/// ```
pub struct FixedBufPool {
    shared: Rc<FixedBufs>,
}

impl fmt::Debug for FixedBufPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedBufPool")
            .field("count", &self.count())
            .field("buf_size", &self.buf_size())
            .field("available", &self.available())
            .finish()
    }
}

impl FixedBufPool {
    /// Allocates `count` zeroed buffers of `buf_size` bytes and registers them with the ring.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for 0 or more than 16384 buffers, or a size of 0 or over 1 GiB;
    /// `OutOfMemory` when the kernel cannot pin them (the message names `ulimit -l`);
    /// `ResourceBusy` when the ring already has registered buffers (another live pool);
    /// `Other` outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// uring_rt::start(async {
    ///     let first = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    ///     let second = uring_rt::fs::FixedBufPool::new(1, 4096);
    ///     assert_eq!(second.unwrap_err().kind(), ErrorKind::ResourceBusy);
    ///     drop(first);
    ///     uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    /// });
    /// ```
    pub fn new(count: usize, buf_size: usize) -> io::Result<FixedBufPool> {
        if count == 0 || count > 16384 || buf_size == 0 || buf_size > 1 << 30 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "FixedBufPool::new({count}, {buf_size}): need 1..=16384 buffers of \
                     1 byte..=1 GiB"
                ),
            ));
        }
        op::in_runtime()?;
        let bufs = (0..count)
            .map(|_| AlignedBuf::with_alignment(buf_size, 4096))
            .collect();
        Ok(FixedBufPool {
            shared: op::register_pool(bufs)?,
        })
    }

    /// A free buffer (empty), or `None` when all are checked out.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let pool = uring_rt::fs::FixedBufPool::new(1, 4096).unwrap();
    ///     let buf = pool.try_get().unwrap();
    ///     assert!(pool.try_get().is_none());
    ///     drop(buf);
    ///     assert!(pool.try_get().is_some());
    /// });
    /// ```
    pub fn try_get(&self) -> Option<FixedBuf> {
        self.shared.try_get()
    }

    /// The number of buffers.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert_eq!(uring_rt::fs::FixedBufPool::new(3, 4096).unwrap().count(), 3);
    /// });
    /// ```
    pub fn count(&self) -> usize {
        self.shared.count()
    }

    /// The number of buffers not checked out.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert_eq!(uring_rt::fs::FixedBufPool::new(3, 4096).unwrap().available(), 3);
    /// });
    /// ```
    pub fn available(&self) -> usize {
        self.shared.available()
    }

    /// The size of each buffer in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     assert_eq!(uring_rt::fs::FixedBufPool::new(1, 512).unwrap().buf_size(), 512);
    /// });
    /// ```
    pub fn buf_size(&self) -> usize {
        self.shared.buf_size()
    }
}
