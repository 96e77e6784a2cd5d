//! `MsgHdr`: the `msghdr`, address and `iovec`s of a `sendmsg`/`recvmsg`, boxed together.

use super::RawAddr;

/// A `msghdr` whose pointers lead into this same allocation (`addr`) and into `iov`'s heap
/// storage. Built by [`MsgHdr::new`] and kept in a `Box` by the op, so no pointer moves.
pub(crate) struct MsgHdr {
    pub(crate) hdr: libc::msghdr,
    pub(crate) addr: RawAddr,
    pub(crate) iov: Vec<libc::iovec>,
}

// SAFETY: the raw pointers in `hdr` and `iov` lead only into this value's own allocations
// (and into the buffers of the op that owns it, which are `Send` themselves); nothing is
// shared with another thread.
unsafe impl Send for MsgHdr {}
// SAFETY: as above; `&MsgHdr` gives no access to the pointed-to memory.
unsafe impl Sync for MsgHdr {}

impl std::fmt::Debug for MsgHdr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsgHdr")
            .field("iovs", &self.iov.len())
            .field("addr", &self.addr)
            .finish()
    }
}

impl MsgHdr {
    /// Boxes `iov` and `addr` (`None`: no address, as for a connected socket) and points the
    /// header at them.
    pub(crate) fn new(iov: Vec<libc::iovec>, addr: Option<RawAddr>) -> Box<MsgHdr> {
        let has_addr = addr.is_some();
        // SAFETY: `msghdr` is plain old data; all-zero is a valid empty header.
        let hdr: libc::msghdr = unsafe { std::mem::zeroed() };
        let mut msg = Box::new(MsgHdr {
            hdr,
            addr: addr.unwrap_or_else(RawAddr::empty),
            iov,
        });
        msg.hdr.msg_iov = msg.iov.as_mut_ptr();
        msg.hdr.msg_iovlen = msg.iov.len();
        if has_addr {
            msg.hdr.msg_name = (&mut msg.addr.storage as *mut libc::sockaddr_storage).cast();
            msg.hdr.msg_namelen = msg.addr.len;
        }
        msg
    }

    /// Lets the kernel write the sender's address (for `recvmsg`).
    pub(crate) fn want_addr(&mut self) {
        self.hdr.msg_name = (&mut self.addr.storage as *mut libc::sockaddr_storage).cast();
        self.hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    }

    /// The address the kernel wrote (after `recvmsg`).
    pub(crate) fn received_addr(&self) -> RawAddr {
        RawAddr {
            storage: self.addr.storage,
            len: self.hdr.msg_namelen,
        }
    }
}
