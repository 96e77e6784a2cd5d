//! [`RecvStream`]: the chunks a multishot receive puts into a [`BufRing`]'s buffers.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{ready, Context, Poll};

use super::gate::StreamFd;
use super::{BufRing, RecvBuf};
use crate::op::{MultiOp, RecvMulti};

/// The bytes arriving on a stream, as buffers of a [`BufRing`], from one multishot receive
/// (`IORING_OP_RECV` with `IORING_RECV_MULTISHOT`, kernel 6.0+).
///
/// One SQE keeps receiving until the peer closes; each chunk is a [`RecvBuf`] that goes back
/// to the ring when dropped. When the ring runs dry (`ENOBUFS`) or the kernel ends the
/// receive for another reason, the stream waits for a buffer to come back and re-arms it
/// transparently. While it exists it is the stream's only reader: `read` calls wait for it
/// to be dropped. Dropping it loses nothing: chunks that arrive before the kernel saw the
/// cancellation are kept for the next read.
///
/// # Examples
///
/// ```
/// use uring_rt::net::{BufRing, TcpListener, TcpStream};
/// uring_rt::start(async {
///     let ring = BufRing::new(8, 4096).unwrap();
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let (server, _) = listener.accept().await.unwrap();
///     client.write_all(b"hello".to_vec()).await.0.unwrap();
///     drop(client);
///     let mut chunks = server.recv_stream(&ring).unwrap();
///     let mut got = Vec::new();
///     while let Some(buf) = chunks.next().await {
///         got.extend_from_slice(&buf.unwrap());
///     }
///     assert_eq!(got, b"hello");
/// });
/// ```
pub struct RecvStream {
    fd: StreamFd,
    ring: BufRing,
    op: Option<MultiOp<RecvMulti>>,
    /// Pieces of taken completions, queued in the op, not yet handed out (a bundle gives
    /// several per completion).
    ready: usize,
    /// Waiting for the ring to have a free buffer before re-arming.
    wait_buf: bool,
    done: bool,
}

impl fmt::Debug for RecvStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvStream")
            .field("fd", &self.fd)
            .field("done", &self.done)
            .finish()
    }
}

impl RecvStream {
    pub(crate) fn new(fd: StreamFd, ring: BufRing) -> RecvStream {
        RecvStream {
            fd,
            ring,
            op: None,
            ready: 0,
            wait_buf: false,
            done: false,
        }
    }

    /// The next chunk; `None` once the peer closed its side.
    ///
    /// # Errors
    ///
    /// The receive's error (`ConnectionReset`, ...). The stream can be polled again after
    /// an error: it re-arms. `InvalidInput` when polled under another runtime than its
    /// [`BufRing`]'s (nothing is armed then).
    ///
    /// # Examples
    ///
    /// See [`RecvStream`].
    pub async fn next(&mut self) -> Option<io::Result<RecvBuf>> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// Polls for the next chunk, as [`next`](RecvStream::next) (the shape of
    /// `futures::Stream::poll_next`).
    ///
    /// # Errors
    ///
    /// As [`next`](RecvStream::next).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use uring_rt::net::{BufRing, UnixStream};
    /// uring_rt::start(async {
    ///     let ring = BufRing::new(8, 4096).unwrap();
    ///     let (a, b) = UnixStream::pair().unwrap();
    ///     a.write_all(b"x".to_vec()).await.0.unwrap();
    ///     let mut chunks = b.recv_stream(&ring).unwrap();
    ///     let buf = poll_fn(|cx| chunks.poll_next(cx)).await.unwrap().unwrap();
    ///     assert_eq!(&buf[..], b"x");
    /// });
    /// ```
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<RecvBuf>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.op.is_none() {
            // Under another runtime the ring's buffer-group id names nothing, or another
            // ring: refuse before arming (re-arming on its ENOBUFS would spin).
            if let Err(e) = self.ring.check_current() {
                return Poll::Ready(Some(Err(e)));
            }
            let permit = ready!(self.fd.poll_input(cx));
            let recv = RecvMulti::new(permit, self.ring.provided().clone());
            self.op = Some(MultiOp::new(recv));
        }
        let op = self.op.as_mut().expect("armed above");
        // The op holds the input permit: the stash is ours to take from.
        if let Some(bytes) = self.fd.take_all_bytes() {
            return Poll::Ready(Some(Ok(RecvBuf::owned(bytes))));
        }
        if let Some(e) = self.fd.take_error() {
            return Poll::Ready(Some(Err(e)));
        }
        loop {
            if self.ready > 0 {
                self.ready -= 1;
                let piece = op.data_mut().and_then(|d| d.take_piece());
                match piece {
                    Some(buf) => return Poll::Ready(Some(Ok(RecvBuf::lent(buf)))),
                    None => continue, // an empty piece: its buffer went back
                }
            }
            if self.wait_buf {
                ready!(self.ring.poll_available(cx));
                self.wait_buf = false;
            }
            let c = match ready!(op.poll_next(cx)) {
                Some(Ok(c)) => c,
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                // The previous completion ended the receive: the next poll re-arms it.
                None => continue,
            };
            if let Some(d) = op.data_mut() {
                self.ready = d.pieces_of(c);
                if c.result <= 0 {
                    // No data: the pieces are empty; their buffers go back now.
                    for _ in 0..std::mem::take(&mut self.ready) {
                        let _ = d.take_piece();
                    }
                }
            }
            match c.result {
                0 => {
                    self.done = true;
                    return Poll::Ready(None);
                }
                // Out of buffers: wait for one to come back, then re-arm (if the kernel ended
                // the receive; with F_MORE it goes on by itself).
                r if r == -libc::ENOBUFS && !c.has_more() => self.wait_buf = true,
                r if r == -libc::ENOBUFS => {}
                r if r < 0 => {
                    return Poll::Ready(Some(Err(io::Error::from_raw_os_error(-r))));
                }
                _ => {}
            }
        }
    }
}

impl Drop for RecvStream {
    fn drop(&mut self) {
        // Pieces received but not handed out go to the stash, ahead of what the op's
        // orphan keeps after this (the op is dropped next, with the fields).
        if self.ready > 0 {
            if let Some(d) = self.op.as_mut().and_then(|op| op.data_mut()) {
                d.stash_pieces(self.ready);
            }
        }
    }
}
