//! [`RecvBuf`]: bytes a multishot receive got, lent by a [`BufRing`](super::BufRing), or
//! bytes a dropped read left behind.

use std::fmt;
use std::ops::Deref;

use crate::op::LentBuf;

/// Received bytes lent by a [`BufRing`](super::BufRing) (given back to the kernel on drop), or bytes a
/// dropped read left behind. Dereferences to the bytes.
///
/// # Examples
///
/// ```
/// use uring_rt::net::{TcpListener, TcpStream, BufRing};
/// uring_rt::start(async {
///     let ring = BufRing::new(16, 1024).unwrap();
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let (server, _) = listener.accept().await.unwrap();
///     client.write_all(b"ping".to_vec()).await.0.unwrap();
///     let mut incoming = server.recv_stream(&ring).unwrap();
///     let buf = incoming.next().await.unwrap().unwrap();
///     assert_eq!(&buf[..], b"ping");
/// });
/// ```
pub struct RecvBuf {
    kind: Kind,
}

enum Kind {
    /// A ring buffer, back to the kernel when dropped.
    Ring(LentBuf),
    Owned(Vec<u8>),
}

impl RecvBuf {
    /// A buffer lent by the ring.
    pub(crate) fn lent(buf: LentBuf) -> RecvBuf {
        RecvBuf {
            kind: Kind::Ring(buf),
        }
    }

    /// Bytes that did not come from the ring (a dropped read's leftovers).
    pub(crate) fn owned(bytes: Vec<u8>) -> RecvBuf {
        RecvBuf {
            kind: Kind::Owned(bytes),
        }
    }
}

impl fmt::Debug for RecvBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvBuf").field("len", &self.len()).finish()
    }
}

impl Deref for RecvBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.kind {
            Kind::Ring(buf) => buf,
            Kind::Owned(v) => v,
        }
    }
}

impl AsRef<[u8]> for RecvBuf {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

// The one unsafe item of `net`: a pure delegation, adding no state and no pointer of its own.
#[allow(unsafe_code)]
// SAFETY: each method returns what the wrapped buffer's own `IoBuf` impl returns (`LentBuf`
// in `op::buf_ring`, `Vec<u8>` in `buf`), and the wrapped buffer lives, unmoved in its heap
// storage, as long as the `RecvBuf`; so their guarantees carry over unchanged.
unsafe impl crate::buf::IoBuf for RecvBuf {
    fn stable_ptr(&self) -> *const u8 {
        match &self.kind {
            Kind::Ring(buf) => buf.stable_ptr(),
            Kind::Owned(v) => v.stable_ptr(),
        }
    }

    fn bytes_init(&self) -> usize {
        match &self.kind {
            Kind::Ring(buf) => buf.bytes_init(),
            Kind::Owned(v) => v.bytes_init(),
        }
    }

    fn bytes_total(&self) -> usize {
        // Only the received bytes: a `RecvBuf` is a write source, never a read target.
        self.bytes_init()
    }
}
