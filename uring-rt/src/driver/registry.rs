//! The process-wide table of drivers, so that data released away from its ring (on another
//! thread, or after its runtime stopped) finds out what became of that ring.
//!
//! # Invariants
//!
//! - A driver is listed from `Driver::new` until its drop. A driver that shut down with every
//!   completion received is removed: an id that is not listed belongs to a quiesced ring (ids
//!   are never reused), and the kernel holds no pointer into data of its ops.
//! - A driver that had to give up on in-flight ops stays listed as `Leaked` forever: data of
//!   its ops must never be freed.
//! - The lock is taken only when a driver is made or dropped and when data is released away
//!   from its ring; never on the hot path.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::mailbox::Mailbox;

/// What became of a listed ring.
pub(crate) enum Ring {
    /// Running: releases go through its mailbox.
    Live(Arc<Mailbox>),
    /// Gone while the kernel may still have held pointers into its ops' data.
    Leaked,
}

static RINGS: Mutex<BTreeMap<u64, Ring>> = Mutex::new(BTreeMap::new());

fn rings() -> MutexGuard<'static, BTreeMap<u64, Ring>> {
    RINGS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Lists a new driver.
pub(crate) fn add(id: u64, mailbox: Arc<Mailbox>) {
    rings().insert(id, Ring::Live(mailbox));
}

/// A driver dropped: forgotten when it quiesced, else remembered as leaked.
pub(crate) fn remove(id: u64, quiesced: bool) {
    let mut rings = rings();
    if quiesced {
        rings.remove(&id);
    } else {
        rings.insert(id, Ring::Leaked);
    }
}

/// What became of ring `id`: `None` when it shut down cleanly (quiesced).
pub(crate) fn lookup(id: u64) -> Option<Ring> {
    rings().get(&id).map(|r| match r {
        Ring::Live(m) => Ring::Live(m.clone()),
        Ring::Leaked => Ring::Leaked,
    })
}

/// Whether driver `id` shut down with every completion received: the kernel holds no pointer
/// into the data of its ops.
pub(crate) fn is_quiesced(id: u64) -> bool {
    !rings().contains_key(&id)
}
