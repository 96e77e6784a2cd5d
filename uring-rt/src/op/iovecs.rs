//! `IoVecs`: the heap `iovec` array a vectored op hands to the kernel.

/// An `iovec` array on the heap; its address stays put when the op moves.
#[derive(Debug)]
pub(crate) struct IoVecs(Vec<libc::iovec>);

// SAFETY: the `iovec`s point into buffers owned by the same op data, which moves between
// threads with them (buffers are `Send` whenever the op is); nothing else aliases them.
unsafe impl Send for IoVecs {}
// SAFETY: shared access only reads the pointers' values, never through them.
unsafe impl Sync for IoVecs {}

impl IoVecs {
    /// An array of `(ptr, len)` pairs.
    pub(crate) fn new(parts: impl Iterator<Item = (*mut u8, usize)>) -> IoVecs {
        IoVecs(
            parts
                .map(|(ptr, len)| libc::iovec {
                    iov_base: ptr.cast(),
                    iov_len: len,
                })
                .collect(),
        )
    }

    /// The array's address, for the SQE.
    pub(crate) fn as_ptr(&self) -> *const libc::iovec {
        self.0.as_ptr()
    }

    /// Number of entries (clamped to the kernel's `u32`).
    pub(crate) fn len(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }
}
