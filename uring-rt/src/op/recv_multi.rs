//! `IORING_OP_RECV` with `IORING_RECV_MULTISHOT` and a provided-buffer ring (with
//! `IORING_RECVSEND_BUNDLE` when the ring asks for bundles).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;

use io_uring::{cqueue, opcode, squeue};

use super::buf_lending::Seg;
use super::{socket_target, InputPermit, LentBuf, OpCode, ProvidedBufs};
use crate::driver::{Completion, Observer};

/// Receives into buffers the kernel picks from `ring`, one completion per chunk (a chunk may
/// span several buffers with bundles, or part of one with incremental consumption), until
/// an error, end of stream, `ENOBUFS` or cancellation (kernel 6.0+). Used with `MultiOp`.
/// Holds the stream's input permit; chunks that arrive after the stream of buffers was
/// dropped go to the fd kind (a stream stashes a copy) and their buffers go back to the ring.
#[derive(Debug)]
pub(crate) struct RecvMulti {
    permit: InputPermit,
    ring: Rc<ProvidedBufs>,
    pieces: Rc<Pieces>,
}

/// The pieces of buffers completions filled, in completion order, until taken. With
/// incremental consumption they are resolved when the driver reaps each completion (the
/// op's observer), because where a piece starts depends on every completion before it on
/// the ring, whichever op it belongs to; otherwise when the completion is taken.
#[derive(Debug)]
struct Pieces {
    ring: Rc<ProvidedBufs>,
    queue: RefCell<VecDeque<Seg>>,
}

impl Pieces {
    fn resolve(&self, c: Completion) {
        let mut queue = self.queue.borrow_mut();
        self.ring.resolve(c, |s| queue.push_back(s));
    }

    /// How many queued pieces the oldest completion made (up to its `last` piece).
    fn first_completion(&self) -> usize {
        let queue = self.queue.borrow();
        queue
            .iter()
            .position(|s| s.last)
            .map_or(queue.len(), |i| i + 1)
    }
}

impl Observer for Pieces {
    fn observe(&self, c: Completion) {
        self.resolve(c);
    }
}

impl RecvMulti {
    /// The caller checked that `ring` is registered with this thread's ring.
    pub(crate) fn new(permit: InputPermit, ring: Rc<ProvidedBufs>) -> RecvMulti {
        let pieces = Rc::new(Pieces {
            ring: ring.clone(),
            queue: RefCell::new(VecDeque::new()),
        });
        RecvMulti {
            permit,
            ring,
            pieces,
        }
    }

    /// Completion `c`, just taken from the op, named a buffer: queues its pieces (resolved
    /// now unless the observer did at reap time) and returns how many there are. They come
    /// first in the queue: the ones of earlier completions were taken before.
    pub(crate) fn pieces_of(&mut self, c: Completion) -> usize {
        if cqueue::buffer_select(c.flags).is_none() {
            return 0;
        }
        if !self.ring.is_incremental() {
            self.pieces.resolve(c);
        }
        self.pieces.first_completion()
    }

    /// The next piece [`RecvMulti::pieces_of`] queued: lent if it holds bytes, else given
    /// back at once (`None`).
    pub(crate) fn take_piece(&mut self) -> Option<LentBuf> {
        let seg = self.pieces.queue.borrow_mut().pop_front()?;
        if seg.len == 0 {
            self.ring.release(seg.bid);
            return None;
        }
        Some(self.ring.piece(seg))
    }

    /// Copies the next `n` queued pieces into the stream's stash (for the next reader) and
    /// gives their buffers back: the stream of buffers is dropped with chunks not yet
    /// handed out.
    pub(crate) fn stash_pieces(&mut self, n: usize) {
        for _ in 0..n {
            let Some(seg) = self.pieces.queue.borrow_mut().pop_front() else {
                return;
            };
            let permit = &self.permit;
            self.ring.consume(seg, |bytes| {
                if !bytes.is_empty() {
                    permit.keep_bytes(bytes);
                }
            });
        }
    }
}

// SAFETY: the SQE carries no pointer; the kernel writes into buffers of `ring`, which the op
// keeps alive (an `Rc`) and which stay allocated until unregistered.
unsafe impl OpCode for RecvMulti {
    fn leak(self) {
        // The buffer ring may still be written: it stays allocated; the stream's reads go on.
        let RecvMulti {
            permit,
            ring,
            pieces,
        } = self;
        std::mem::forget(ring);
        std::mem::forget(pieces);
        drop(permit);
    }

    type Output = ();

    fn fail(self, _err: io::Error) {}

    fn create_entry(&mut self) -> squeue::Entry {
        self.create_entry_on(0)
    }

    fn create_entry_on(&mut self, ring: u64) -> squeue::Entry {
        let bgid = self.ring.bgid();
        if self.ring.is_bundle() {
            socket_target!(self.permit.fd(), ring, |fd| opcode::RecvMultiBundle::new(
                fd, bgid
            )
            .build())
        } else {
            socket_target!(self.permit.fd(), ring, |fd| opcode::RecvMulti::new(
                fd, bgid
            )
            .build())
        }
    }

    fn complete(self, _c: Completion) {}

    /// The pieces, on an incrementally consumed ring: where a piece starts depends on every
    /// completion before it on the ring, so they are resolved as completions are reaped.
    fn observer(&self) -> Option<Rc<dyn Observer>> {
        if self.ring.is_incremental() {
            Some(self.pieces.clone())
        } else {
            None
        }
    }

    fn orphan_completion(&mut self, c: Completion) {
        if cqueue::buffer_select(c.flags).is_none() {
            // Out of provided buffers is the ring's state, not the socket's.
            if c.result < 0 && c.result != -libc::ENOBUFS {
                self.permit.keep_error(-c.result);
            }
            return;
        }
        // Queued pieces belong to completions the observer saw before the op was dropped,
        // which come here first and in order; later ones were not observed: resolve now
        // (still in reap order: orphans see completions as they are reaped).
        if self.pieces.queue.borrow().is_empty() {
            self.pieces.resolve(c);
        }
        let n = self.pieces.first_completion();
        self.stash_pieces(n);
    }
}
