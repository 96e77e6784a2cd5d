//! Networking: TCP, UDP and Unix-domain sockets over io_uring.
//!
//! Every call that moves bytes takes its buffer by value and returns it with the result
//! ([`BufResult`](crate::buf::BufResult)); each is one SQE (`RECV`, `SEND`, `SENDMSG`,
//! `RECVMSG`, `SEND_ZC`, `ACCEPT`, `CONNECT`, `SOCKET`). Socket types are `Send + Sync`:
//! the fd is shared with the operations in flight on it and closed (by an async
//! `IORING_OP_CLOSE`) only after the last one completed.
//!
//! # Nothing is lost when a future is dropped
//!
//! With io_uring the kernel may finish an operation after its future was dropped (by a
//! `timeout`, a `select`, an aborted task). uring-rt keeps what the kernel produced:
//!
//! - **Reads on a stream** ([`TcpStream`], [`UnixStream`], their read halves, a
//!   [`RecvStream`]): bytes received for a dropped read are kept by the stream and returned
//!   first by the next read. Reads on one stream run one at a time, so bytes always come out
//!   in order. The dropped read's buffer is never written afterwards by anyone you can see:
//!   the runtime holds it until the kernel is done.
//! - **Accepts** ([`TcpListener`], [`UnixListener`], [`Incoming`]): a connection accepted
//!   for a dropped `accept` is kept by the listener and returned by the next `accept`.
//! - **Connects**: a socket made for a dropped `connect` is closed; no fd leaks.
//! - **Zero-copy sends**: the buffer stays with the runtime until the kernel's notification.
//!
//! Datagram receives ([`UdpSocket`], [`UnixDatagram`]) discard a datagram received for a
//! dropped `recv`.
//!
//! # Errors
//!
//! `ECONNRESET`, `EPIPE` (sends use `MSG_NOSIGNAL`, so never `SIGPIPE`), `ECONNREFUSED` and
//! `ETIMEDOUT` come back as `io::Error`s of kind `ConnectionReset`, `BrokenPipe`,
//! `ConnectionRefused` and `TimedOut`. `EMFILE`/`ENFILE` on accept leave the listener
//! working: free descriptors and accept again.
//!
//! # Examples
//!
//! ```
//! use uring_rt::net::{TcpListener, TcpStream};
//!
//! uring_rt::start(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = uring_rt::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         let (res, buf) = stream.read(Vec::with_capacity(1024)).await;
//!         res.unwrap();
//!         stream.write_all(buf).await.0.unwrap(); // echo
//!     });
//!     let client = TcpStream::connect(addr).await.unwrap();
//!     client.write_all(b"hello".to_vec()).await.0.unwrap();
//!     let (res, buf) = client.read(Vec::with_capacity(16)).await;
//!     assert_eq!(&buf[..res.unwrap()], b"hello");
//!     server.await.unwrap();
//! });
//! ```

#![deny(unsafe_code)]

mod addr;
mod buf_ring;
mod datagram;
pub(crate) mod fd_traits;
mod futures_stream;
mod gate;
mod incoming;
mod recv_buf;
mod recv_stream;
mod socket;
mod split;
mod stream;
mod tcp_listener;
mod tcp_stream;
mod udp;
mod unix_datagram;
mod unix_listener;
mod unix_stream;

pub use addr::ToSocketAddrs;
pub use buf_ring::BufRing;
pub use incoming::{Incoming, UnixIncoming};
pub use recv_buf::RecvBuf;
pub use recv_stream::RecvStream;
pub use split::{OwnedReadHalf, OwnedWriteHalf};
pub use tcp_listener::{TcpListener, TcpListenerBuilder};
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix_datagram::UnixDatagram;
pub use unix_listener::UnixListener;
pub use unix_stream::UnixStream;
