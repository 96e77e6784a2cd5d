//! Which bytes of which provided buffers a receive completion covers, and when each buffer
//! may go back to the kernel: the bookkeeping of a provided-buffer ring, pure logic (no
//! memory, no kernel), so every rule below is unit-tested with made-up completions.
//!
//! Three ways a completion can use the ring's buffers:
//!
//! - plain: one buffer, from offset 0, which the kernel is then done with;
//! - bundle (`IORING_RECVSEND_BUNDLE`, Linux 6.10+): several buffers, in the order they sit in
//!   the ring from the one the completion names; all are full but the last;
//! - incremental (`IOU_PBUF_RING_INC`, Linux 6.12+): the kernel fills a buffer piece by piece,
//!   each completion continuing where the previous one on that buffer stopped; a completion
//!   with `IORING_CQE_F_BUF_MORE` leaves the rest of its (last) buffer with the kernel.
//!
//! # Invariants
//!
//! - `at[p & mask]` is the buffer published at ring position `p` most recently; `succ[b]` is
//!   the buffer published right after `b` (the next ring position). A buffer's `succ` is set
//!   when its successor is published, before the kernel can consume past it, and is not
//!   overwritten while the buffer is out of the ring (only re-publishing it moves it). So a
//!   bundle's buffers are found from its first one however late its completion is read.
//! - `refs[b]` counts the pieces of buffer `b` handed out ([`Seg`]s not yet released).
//!   `done[b]`: the kernel will not write `b` again until it is published. A buffer is
//!   published again exactly when both hold: `done` and no piece left. So the kernel never
//!   writes bytes a piece shows, and each buffer goes back exactly once.
//! - With incremental consumption, `off[b]` is where the kernel writes next in `b`; pieces
//!   must be resolved in the order the kernel consumed them (completion-queue order), which
//!   the caller guarantees by resolving at dispatch (see `RecvMulti`).
//! - `out` is the number of buffers the kernel is done with and that are not published again.

use io_uring::cqueue;

/// A piece of a buffer a completion filled: `len` bytes at `off` in buffer `bid`. `last`:
/// the completion's final piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seg {
    pub(crate) bid: u16,
    pub(crate) off: u32,
    pub(crate) len: u32,
    pub(crate) last: bool,
}

/// Counters of how completions used the ring (test-visible through `BufRing::stats`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LendStats {
    /// Completions that named a buffer.
    pub(crate) completions: u64,
    /// Of those, completions that filled more than one buffer (bundles).
    pub(crate) multi_buffer: u64,
    /// Completions that left the rest of their buffer to the kernel (`BUF_MORE`).
    pub(crate) partial: u64,
}

/// The bookkeeping of one ring of `entries` buffers of `buf_size` bytes.
#[derive(Debug)]
pub(crate) struct Lending {
    buf_size: u32,
    mask: u16,
    incremental: bool,
    refs: Vec<u32>,
    done: Vec<bool>,
    off: Vec<u32>,
    succ: Vec<u16>,
    at: Vec<u16>,
    /// Positions published so far (the ring's tail).
    published: u32,
    out: u16,
    stats: LendStats,
}

impl Lending {
    /// Bookkeeping for `entries` (a power of two) buffers, each counted out until
    /// [`Lending::publish`] is called for it.
    pub(crate) fn new(entries: u16, buf_size: u32, incremental: bool) -> Lending {
        let n = usize::from(entries);
        Lending {
            buf_size,
            mask: entries.wrapping_sub(1),
            incremental,
            refs: vec![0; n],
            done: vec![false; n],
            off: vec![0; n],
            succ: vec![0; n],
            at: vec![0; n],
            published: 0,
            out: entries,
            stats: LendStats::default(),
        }
    }

    /// Buffers the kernel cannot use now (lent out, or waiting for their last piece).
    pub(crate) fn out(&self) -> u16 {
        self.out
    }

    pub(crate) fn stats(&self) -> LendStats {
        self.stats
    }

    /// Records that `bid` is being published at the next ring position.
    pub(crate) fn publish(&mut self, bid: u16) {
        let Some(i) = self.index(bid) else {
            return;
        };
        if self.published > 0 {
            let prev = self.at[usize::from(self.pos(self.published - 1))];
            self.succ[usize::from(prev)] = bid;
        }
        let p = self.pos(self.published);
        self.at[usize::from(p)] = bid;
        self.published = self.published.wrapping_add(1);
        self.done[i] = false;
        self.off[i] = 0;
        self.out = self.out.saturating_sub(1);
    }

    /// The pieces completion `(result, flags)` filled, in order, each counted as handed out
    /// (give each back with [`Lending::release`]); nothing when it names no buffer. A
    /// completion without data (an error, end of stream) that names a buffer gives one empty
    /// piece, so its buffer still goes back through `release`.
    pub(crate) fn resolve(&mut self, result: i32, flags: u32, mut push: impl FnMut(Seg)) {
        let Some(first) = cqueue::buffer_select(flags) else {
            return;
        };
        self.stats.completions += 1;
        let more = self.incremental && cqueue::buffer_more(flags);
        let mut left = u32::try_from(result.max(0)).unwrap_or(0);
        let mut bid = first;
        let mut count = 0u32;
        loop {
            let Some(i) = self.index(bid) else {
                return; // not a buffer of this ring: the kernel never names one
            };
            let off = if self.incremental { self.off[i] } else { 0 };
            let room = self.buf_size.saturating_sub(off);
            let take = room.min(left);
            left -= take;
            // A buffer the completion filled, or its last one unless the kernel keeps it.
            let kernel_done = left > 0 || take == room || !more;
            if kernel_done {
                if !self.done[i] {
                    self.done[i] = true;
                    self.out = self.out.saturating_add(1);
                }
                self.off[i] = 0;
            } else {
                self.off[i] = off + take;
            }
            self.refs[i] += 1;
            count += 1;
            push(Seg {
                bid,
                off,
                len: take,
                last: left == 0,
            });
            // A bundle never spans more buffers than the ring has; stop on nonsense.
            if left == 0 || count > u32::from(self.mask) {
                break;
            }
            bid = self.succ[i];
        }
        if count > 1 {
            self.stats.multi_buffer += 1;
        }
        if more {
            self.stats.partial += 1;
        }
    }

    /// A piece of `bid` was given back; true when the buffer must be published now.
    pub(crate) fn release(&mut self, bid: u16) -> bool {
        let Some(i) = self.index(bid) else {
            return false;
        };
        self.refs[i] = self.refs[i].saturating_sub(1);
        self.refs[i] == 0 && self.done[i]
    }

    fn index(&self, bid: u16) -> Option<usize> {
        (bid <= self.mask).then_some(usize::from(bid))
    }

    fn pos(&self, p: u32) -> u16 {
        (p as u16) & self.mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F_BUFFER: u32 = 1;
    const F_BUF_MORE: u32 = 1 << 4;

    fn flags(bid: u16, more: bool) -> u32 {
        F_BUFFER | (u32::from(bid) << 16) | if more { F_BUF_MORE } else { 0 }
    }

    fn ring(entries: u16, size: u32, inc: bool) -> Lending {
        let mut l = Lending::new(entries, size, inc);
        for b in 0..entries {
            l.publish(b);
        }
        l
    }

    fn segs(l: &mut Lending, result: i32, flags: u32) -> Vec<Seg> {
        let mut v = Vec::new();
        l.resolve(result, flags, |s| v.push(s));
        v
    }

    #[test]
    fn plain_completion_is_one_piece_back_on_release() {
        let mut l = ring(4, 100, false);
        assert_eq!(l.out(), 0);
        let s = segs(&mut l, 60, flags(2, false));
        assert_eq!(
            s,
            [Seg {
                bid: 2,
                off: 0,
                len: 60,
                last: true
            }]
        );
        assert_eq!(l.out(), 1);
        assert!(l.release(2));
        l.publish(2);
        assert_eq!(l.out(), 0);
        assert!(segs(&mut l, 1, 0).is_empty(), "no buffer named");
    }

    #[test]
    fn bundle_follows_publication_order_not_ids() {
        let mut l = ring(4, 10, false);
        // Consume 0..4 one by one, give them back in the order 3, 1, 0, 2.
        for b in 0..4 {
            segs(&mut l, 10, flags(b, false));
        }
        for b in [3, 1, 0, 2] {
            assert!(l.release(b));
            l.publish(b);
        }
        // A bundle of 25 bytes from buffer 1 covers 1, 0, 2 (the ring's order after 1).
        let s = segs(&mut l, 25, flags(1, false));
        let got: Vec<_> = s.iter().map(|s| (s.bid, s.off, s.len, s.last)).collect();
        assert_eq!(got, [(1, 0, 10, false), (0, 0, 10, false), (2, 0, 5, true)]);
        assert_eq!(l.stats().multi_buffer, 1);
        assert_eq!(l.out(), 3);
        // Released in any order, each exactly once.
        assert!(l.release(2) && l.release(0) && l.release(1));
    }

    #[test]
    fn incremental_pieces_continue_and_the_buffer_waits_for_its_last() {
        let mut l = ring(2, 100, true);
        let a = segs(&mut l, 30, flags(0, true));
        let b = segs(&mut l, 50, flags(0, true));
        assert_eq!((a[0].off, a[0].len), (0, 30));
        assert_eq!((b[0].off, b[0].len), (30, 50));
        assert_eq!(l.out(), 0, "the kernel still has the rest of buffer 0");
        assert!(
            !l.release(0) && !l.release(0),
            "not done: stays with the kernel"
        );
        // The last 20 bytes fill it, and 5 more spill into buffer 1 (a bundle).
        let c = segs(&mut l, 25, flags(0, true));
        let got: Vec<_> = c.iter().map(|s| (s.bid, s.off, s.len)).collect();
        assert_eq!(got, [(0, 80, 20), (1, 0, 5)]);
        assert_eq!(l.out(), 1);
        assert!(l.release(0), "filled and no piece left");
        assert!(!l.release(1), "buffer 1 goes on with the kernel");
        assert_eq!(l.stats().partial, 3);
    }

    #[test]
    fn a_piece_held_keeps_a_finished_buffer_out() {
        let mut l = ring(1, 100, true);
        let _first = segs(&mut l, 10, flags(0, true));
        // The kernel ends the buffer early (no BUF_MORE) while the first piece is held.
        let _second = segs(&mut l, 10, flags(0, false));
        assert!(!l.release(0), "the first piece is still held");
        assert!(l.release(0));
    }

    #[test]
    fn empty_completion_with_a_buffer_gives_one_empty_piece() {
        let mut l = ring(2, 100, false);
        let s = segs(&mut l, -104, flags(1, false));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].len, 0);
        assert!(l.release(1));
    }
}
