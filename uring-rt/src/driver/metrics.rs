//! Counters of the driver's work, for `Runtime::metrics`.
//!
//! Plain integers inside the driver's `RefCell`, updated only by the thread that owns the
//! ring: no atomic read-modify-write, a few additions per operation.

/// What one driver has done since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    /// Operations queued (single-shot, multishot and orphaned ones).
    pub(crate) ops_submitted: u64,
    /// Completions handed to operations (each CQE of a multishot operation counts).
    pub(crate) ops_completed: u64,
    /// Cancellations requested (`ASYNC_CANCEL` SQEs for dropped operations).
    pub(crate) ops_cancelled: u64,
    /// `io_uring_enter` calls.
    pub(crate) enters: u64,
    /// SQEs the kernel consumed, summed over the enters.
    pub(crate) sqes_submitted: u64,
    /// Times the driver blocked waiting for a completion or a wake-up.
    pub(crate) parks: u64,
    /// Ops whose opcode the kernel lacks, run on the blocking pool instead.
    pub(crate) ops_fallback: u64,
}

impl Counters {
    /// Counts one `io_uring_enter` and the SQEs it consumed.
    /// `consumed` is what the call returned, `None` if it failed.
    pub(crate) fn entered(&mut self, consumed: Option<usize>) {
        self.enters += 1;
        if let Some(n) = consumed {
            self.sqes_submitted += n as u64;
        }
    }
}
