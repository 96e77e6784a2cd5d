//! [`BufRingStats`]: how receive completions used a [`BufRing`](super::BufRing)'s buffers.

/// Counters of a [`BufRing`](super::BufRing) since it was made (see [`BufRing::stats`]):
/// how often the kernel used bundles and incremental consumption, so a test or a benchmark
/// can tell whether they were in play.
///
/// [`BufRing::stats`]: super::BufRing::stats
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let ring = uring_rt::net::BufRing::new(8, 1024).unwrap();
///     let stats = ring.stats();
///     assert_eq!(stats.completions, 0);
///     assert_eq!(stats.multi_buffer, 0);
/// });
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BufRingStats {
    /// Receive completions that named one of the ring's buffers.
    pub completions: u64,
    /// Of those, completions that filled more than one buffer (bundles).
    pub multi_buffer: u64,
    /// Of those, completions after which the kernel kept the rest of their last buffer
    /// (`IORING_CQE_F_BUF_MORE`, incremental consumption).
    pub partial: u64,
}
