//! Networking: TCP, UDP and Unix-domain sockets over io_uring.
//!
//! Every call that moves bytes takes its buffer by value and returns it with the result
//! ([`BufResult`](crate::buf::BufResult)); each is one SQE (`RECV`, `SEND`, `SENDMSG`,
//! `RECVMSG`, `SEND_ZC`, `ACCEPT`, `CONNECT`, `SOCKET`). Socket types are `Send + Sync`:
//! the fd is shared with the operations in flight on it and closed only after the last one
//! completed: a stream by an `IORING_OP_CLOSE` queued with the ring's next submission, a
//! listener or a datagram socket by `close(2)` on the spot, so that, as with std and tokio,
//! its address is free once the drop returned (bind the port again, or get
//! `ConnectionRefused` for the next datagram sent to it) — unless an operation on it is
//! still in flight (say an `accept` dropped by a `timeout` whose cancellation the kernel has
//! not yet completed): then the socket closes when that operation ends.
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
//! # Direct descriptors
//!
//! A runtime built with
//! [`Builder::direct_descriptors(n)`](crate::runtime::Builder::direct_descriptors) puts each
//! stream it makes (accepted, connected, adopted with `from_std`/`from_raw_fd`, `pair`) in a
//! slot of its ring's registered-file table, up to `n` streams, and its reads and writes on
//! that ring name the socket by slot (`IOSQE_FIXED_FILE`), so the kernel skips the fd lookup
//! and the file reference count of each operation.
//!
//! Why not accept straight into the table (`IORING_FILE_INDEX_ALLOC`, no process fd)?
//! Because every stream keeps working as a normal socket: `set_nodelay`, `peer_addr`,
//! `shutdown`, `AsRawFd`/`IntoRawFd` and `into_split` need an fd, and a stream moved to
//! another thread's runtime cannot use a slot of the first ring. So a stream has both: its
//! fd, and a slot registered right after it is made (one synchronous
//! `IORING_REGISTER_FILES_UPDATE`, cheaper to get right than an async `FILES_UPDATE` SQE
//! or an accept to a slot plus `IORING_OP_FIXED_FD_INSTALL` (Linux 6.8+), which both need
//! the slot's fate tracked through completions). Ops on the ring that owns the slot use it,
//! ops on any other ring use the fd. The slot is emptied when the stream's last handle is
//! dropped (after every op that named it), or when the fd is taken out with
//! `into_raw_fd`, so the table never keeps a socket open behind its fd's back. A full
//! quota, a kernel without sparse file tables (before 5.19) or the epoll driver: streams
//! use their plain fds, silently.
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
mod buf_ring_builder;
mod buf_ring_stats;
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
mod tcp_socket;
mod tcp_stream;
mod ucred;
mod udp;
mod udp_options;
mod unix_datagram;
mod unix_listener;
mod unix_socket;
mod unix_stream;

pub use addr::ToSocketAddrs;
pub use buf_ring::BufRing;
pub use buf_ring_builder::BufRingBuilder;
pub use buf_ring_stats::BufRingStats;
pub use incoming::{Incoming, UnixIncoming};
pub use recv_buf::RecvBuf;
pub use recv_stream::RecvStream;
pub use split::{OwnedReadHalf, OwnedWriteHalf, Reunite, ReuniteError};
pub use tcp_listener::{TcpListener, TcpListenerBuilder};
pub use tcp_socket::TcpSocket;
pub use tcp_stream::TcpStream;
pub use ucred::UCred;
pub use udp::UdpSocket;
pub use unix_datagram::UnixDatagram;
pub use unix_listener::UnixListener;
pub use unix_socket::UnixSocket;
pub use unix_stream::UnixStream;
