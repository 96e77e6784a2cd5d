//! `futures_core::Stream` for the net types that yield a sequence: [`Incoming`],
//! [`UnixIncoming`] and [`RecvStream`], so `StreamExt` combinators work on them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{Incoming, RecvBuf, RecvStream, TcpStream, UnixIncoming, UnixStream};

/// Never ends: each item is the next accepted connection or an accept error (after which
/// the listener keeps working).
impl Stream for Incoming {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Incoming::poll_next(self.get_mut(), cx).map(Some)
    }
}

/// Never ends, as [`Incoming`]'s.
impl Stream for UnixIncoming {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        UnixIncoming::poll_next(self.get_mut(), cx).map(Some)
    }
}

/// Ends when the peer closes its side (or after an error).
impl Stream for RecvStream {
    type Item = io::Result<RecvBuf>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        RecvStream::poll_next(self.get_mut(), cx)
    }
}
