//! The buffer-group ids of one ring. Each provided-buffer ring registered with the ring holds
//! one id, taken here and given back when it is unregistered, so ids are unique among the
//! ring's live buffer rings and never wrap onto one of them.
//!
//! Invariant: an id is in `free` or at or past `next` exactly when no buffer ring holds it.

use std::cell::RefCell;

/// How many ids a ring has (`u16`).
const IDS: u32 = 1 << 16;

/// The allocator of one driver's buffer-group ids.
#[derive(Debug, Default)]
pub(crate) struct Bgids {
    state: RefCell<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Ids given back, reused first (last freed, first reused).
    free: Vec<u16>,
    /// Ids below it were handed out at least once.
    next: u32,
}

impl Bgids {
    /// A free id, or `None` when all 65,536 are held.
    pub(crate) fn alloc(&self) -> Option<u16> {
        let mut s = self.state.borrow_mut();
        if let Some(id) = s.free.pop() {
            return Some(id);
        }
        if s.next >= IDS {
            return None;
        }
        s.next += 1;
        u16::try_from(s.next - 1).ok()
    }

    /// Gives `id` back (its buffer ring was unregistered).
    pub(crate) fn free(&self, id: u16) {
        self.state.borrow_mut().free.push(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_reused_and_never_wrap() {
        let ids = Bgids::default();
        assert_eq!(ids.alloc(), Some(0));
        assert_eq!(ids.alloc(), Some(1));
        ids.free(0);
        assert_eq!(ids.alloc(), Some(0));
        for want in 2..IDS {
            assert_eq!(ids.alloc(), Some(want as u16));
        }
        assert_eq!(ids.alloc(), None, "all ids held: no wrap onto a live one");
        ids.free(7);
        assert_eq!(ids.alloc(), Some(7));
        assert_eq!(ids.alloc(), None);
    }
}
