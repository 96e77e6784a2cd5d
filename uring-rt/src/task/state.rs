//! The bits of a task's state word.
//!
//! One `AtomicUsize` per task holds these flags in its low bits and the reference count above
//! them. Only the owning thread sets `COMPLETE`; any thread may set `SCHEDULED` (a wake-up) or
//! `CANCELLED` (an abort) and change the reference count.

/// The task sits in a run queue (local or remote); a wake-up while set does nothing.
pub(super) const SCHEDULED: usize = 1 << 0;
/// The future is gone: its output (or a `JoinError`) is stored, or was dropped.
pub(super) const COMPLETE: usize = 1 << 1;
/// A `JoinHandle` is alive and will read the output.
pub(super) const JOIN_INTEREST: usize = 1 << 2;
/// `abort()` was called: the next poll drops the future instead of polling it.
pub(super) const CANCELLED: usize = 1 << 3;

/// Bits below this shift are flags; above it, the reference count.
pub(super) const REF_SHIFT: u32 = 6;
/// One reference.
pub(super) const REF_ONE: usize = 1 << REF_SHIFT;
/// Mask of the reference count.
pub(super) const REF_MASK: usize = !(REF_ONE - 1);

/// References a new task starts with: its `JoinHandle`, its run-queue entry and its entry in
/// the owner's list of live tasks.
pub(super) const INITIAL: usize = (3 * REF_ONE) | SCHEDULED | JOIN_INTEREST;

/// Number of references held, from a state word.
pub(super) fn ref_count(state: usize) -> usize {
    (state & REF_MASK) >> REF_SHIFT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_state_has_three_references_and_is_scheduled() {
        assert_eq!(ref_count(INITIAL), 3);
        assert_ne!(INITIAL & SCHEDULED, 0);
        assert_ne!(INITIAL & JOIN_INTEREST, 0);
        assert_eq!(INITIAL & (COMPLETE | CANCELLED), 0);
    }

    #[test]
    fn flags_do_not_overlap_the_count() {
        for flag in [SCHEDULED, COMPLETE, JOIN_INTEREST, CANCELLED] {
            assert_eq!(flag & REF_MASK, 0);
        }
        assert_eq!(ref_count(INITIAL - REF_ONE), 2);
    }
}
