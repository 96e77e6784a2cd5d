//! A driver's mailbox: where data released away from the ring's thread (an op future dropped
//! on another thread or after `block_on` returned, a registration dropped late) goes back to
//! its ring, which drains it on its next tick.
//!
//! # Invariants
//!
//! - Only the ring's thread drains; any thread posts. A post sets `pending` after the item is
//!   queued, then unparks the ring, so a ring about to park either sees the flag or is woken.
//! - Once the driver closed the mailbox (in its drop, under the registry lock), posts are
//!   refused and the poster decides: drop (ring quiesced) or leak.
//! - Data that is not `Send` is posted only from the ring's own thread (see `AssertSend`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::lifecycle::{Completion, Orphan};
use super::ring::Driver;
use super::unpark::Unparker;

/// Something handed back to a ring.
pub(crate) enum Mail {
    /// The data of a dropped op future whose slot is `key`.
    Op {
        key: usize,
        data: Box<dyn Orphan + Send>,
    },
    /// Work on the ring's thread with its driver (unregister a resource, drop a timer).
    Task(Box<dyn FnOnce(&Driver) + Send>),
    /// Ops the driver ran on its blocking pool finished (`driver::fallback`): reap them.
    Reap,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mail::Op { key, .. } => write!(f, "Mail::Op({key})"),
            Mail::Task(_) => f.write_str("Mail::Task"),
            Mail::Reap => f.write_str("Mail::Reap"),
        }
    }
}

/// The shared half of a driver reachable from other threads.
#[derive(Debug)]
pub(crate) struct Mailbox {
    /// Set when `queue` may hold mail; the ring checks it with one load per tick.
    pending: AtomicBool,
    /// `None` once the driver is gone.
    queue: Mutex<Option<Vec<Mail>>>,
    unparker: Unparker,
}

impl Mailbox {
    pub(crate) fn new(unparker: Unparker) -> Mailbox {
        Mailbox {
            pending: AtomicBool::new(false),
            queue: Mutex::new(Some(Vec::new())),
            unparker,
        }
    }

    /// Queues `mail` for the ring and wakes it; gives it back when the ring is gone.
    pub(crate) fn post(&self, mail: Mail) -> Result<(), Mail> {
        {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            match queue.as_mut() {
                Some(q) => q.push(mail),
                None => return Err(mail),
            }
            self.pending.store(true, Ordering::SeqCst);
        }
        self.unparker.unpark();
        Ok(())
    }

    /// Whether mail may be waiting (one load; the common answer is no).
    pub(crate) fn has_mail(&self) -> bool {
        self.pending.load(Ordering::SeqCst)
    }

    /// Takes the queued mail (the ring's thread only).
    pub(crate) fn take(&self) -> Vec<Mail> {
        if !self.pending.swap(false, Ordering::SeqCst) {
            return Vec::new();
        }
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Refuses further mail; returns what was queued.
    pub(crate) fn close(&self) -> Vec<Mail> {
        self.pending.store(false, Ordering::SeqCst);
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.take().unwrap_or_default()
    }
}

/// Lets data that is not `Send` travel in a mailbox.
pub(crate) struct AssertSend<T>(pub(crate) T);

// SAFETY: an `AssertSend` is built (by `op::release`) only in two cases: on the ring's own
// thread, where the mail is drained by that same thread (the driver is
// `!Send` and never leaves it); or on another thread, which the op future could only have
// reached by being `Send`, which it is only when its data is.
unsafe impl<T> Send for AssertSend<T> {}

impl<T: Orphan> Orphan for AssertSend<T> {
    fn orphan_completion(&mut self, completion: Completion) {
        self.0.orphan_completion(completion);
    }

    fn leak(self: Box<Self>) {
        Box::new(self.0).leak();
    }
}

impl Orphan for Box<dyn Orphan + Send> {
    fn orphan_completion(&mut self, completion: Completion) {
        (**self).orphan_completion(completion);
    }

    fn leak(self: Box<Self>) {
        (*self).leak();
    }
}
