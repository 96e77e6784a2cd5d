//! `RuntimeMetrics`: a snapshot of what a runtime has done, from counters that are always on.

use crate::driver::Counters;
use crate::task::TaskCounters;

/// What a [`Runtime`](crate::Runtime) has done since it was created: a snapshot taken by
/// [`Runtime::metrics`](crate::Runtime::metrics).
///
/// The counters are always on and cheap: plain integers updated by the runtime's own thread
/// (no atomic read-modify-write, no lock), a few additions per operation. They only grow; the
/// difference of two snapshots ([`RuntimeMetrics::since`]) is the work done in between, for
/// example per request of a benchmark: `enters / requests` is how often the runtime entered
/// the kernel per request, `sqes_submitted / enters` how much each entry carried.
///
/// # Examples
///
/// ```
/// let rt = uring_rt::Runtime::new()?;
/// let before = rt.metrics();
/// rt.block_on(async {
///     uring_rt::spawn(async { uring_rt::io::nop().await }).await.unwrap()
/// })?;
/// let m = rt.metrics().since(&before);
/// assert_eq!(m.ops_submitted, 1);
/// assert_eq!(m.ops_completed, 1);
/// assert!(m.tasks_polled >= 1);
/// assert!(m.enters >= 1);
/// assert!(m.sqes_submitted >= 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// Polls of spawned tasks (the future given to `block_on` is not counted).
    pub tasks_polled: u64,
    /// Operations queued for the kernel: one per single-shot operation, one per multishot
    /// operation (however many completions it produces), and the runtime's own (closes of
    /// dropped resources), but not its internal cancel and wake-up requests.
    pub ops_submitted: u64,
    /// Completions handed to operations; each completion of a multishot operation counts.
    pub ops_completed: u64,
    /// Cancellations requested: one per operation dropped while the kernel still had it,
    /// and one per operation still in flight when the runtime shut down.
    pub ops_cancelled: u64,
    /// `io_uring_enter` system calls, whatever their purpose (submit, reap, wait). On the
    /// epoll driver: its looks for readiness (an `epoll_wait` when an operation waits for one).
    pub enters: u64,
    /// Submission queue entries the kernel consumed, summed over all `enters` (internal
    /// cancel and wake-up requests included). The epoll driver consumes each as it is queued.
    pub sqes_submitted: u64,
    /// Times the runtime blocked in the kernel waiting for a completion, a timer or a wake-up
    /// (each is also one of `enters`).
    pub parks: u64,
    /// Tasks that reached this runtime from other threads: woken by another thread, or
    /// spawned with [`Handle::spawn`](crate::runtime::Handle::spawn).
    pub remote_wakes: u64,
    /// Operations whose opcode the kernel lacks (`IORING_OP_FTRUNCATE` before Linux 6.9, ...),
    /// run as their system call on the runtime's I/O threads instead (io_uring driver only;
    /// the epoll driver runs all file operations there anyway).
    pub ops_fallback: u64,
}

impl RuntimeMetrics {
    pub(crate) fn new(driver: Counters, tasks: TaskCounters) -> RuntimeMetrics {
        RuntimeMetrics {
            tasks_polled: tasks.polled,
            ops_submitted: driver.ops_submitted,
            ops_completed: driver.ops_completed,
            ops_cancelled: driver.ops_cancelled,
            enters: driver.enters,
            sqes_submitted: driver.sqes_submitted,
            parks: driver.parks,
            remote_wakes: tasks.remote_wakes,
            ops_fallback: driver.ops_fallback,
        }
    }

    /// The work done between `earlier` and this snapshot, counter by counter (a counter
    /// smaller than in `earlier`, which happens only if the snapshots come from different
    /// runtimes, gives 0).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = uring_rt::Runtime::new()?;
    /// let start = rt.metrics();
    /// rt.block_on(async {
    ///     for _ in 0..3 {
    ///         uring_rt::io::nop().await?;
    ///     }
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// let done = rt.metrics().since(&start);
    /// assert_eq!(done.ops_completed, 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn since(&self, earlier: &RuntimeMetrics) -> RuntimeMetrics {
        RuntimeMetrics {
            tasks_polled: self.tasks_polled.saturating_sub(earlier.tasks_polled),
            ops_submitted: self.ops_submitted.saturating_sub(earlier.ops_submitted),
            ops_completed: self.ops_completed.saturating_sub(earlier.ops_completed),
            ops_cancelled: self.ops_cancelled.saturating_sub(earlier.ops_cancelled),
            enters: self.enters.saturating_sub(earlier.enters),
            sqes_submitted: self.sqes_submitted.saturating_sub(earlier.sqes_submitted),
            parks: self.parks.saturating_sub(earlier.parks),
            remote_wakes: self.remote_wakes.saturating_sub(earlier.remote_wakes),
            ops_fallback: self.ops_fallback.saturating_sub(earlier.ops_fallback),
        }
    }
}
