//! tokio's TCP tests (`tokio/tests/tcp_accept.rs`, `tcp_connect.rs`, `tcp_into_split.rs`,
//! `tcp_split.rs`, `tcp_into_std.rs`, `tcp_peek.rs`, `tcp_shutdown.rs`, `tcp_stream.rs`,
//! `net_bind_resource.rs`) restated for `uring_rt::net`: what each checks, in our
//! owned-buffer API (`AsyncWriteExt::shutdown` is `AsyncWriteOwned::shutdown`, `io::copy` is
//! `uring_rt::io::copy`, a task's channel is tokio's `sync` channels, which work anywhere).
//!
//! Not translated:
//! - Readiness calls (`readable`, `writable`, `ready`, `try_read*`, `try_write*`,
//!   `poll_read_ready`, `poll_write_ready`, `Ready::is_read_closed`) in `tcp_stream.rs`:
//!   a completion-based API has no readiness to observe; their data checks (what was
//!   written is read back, EOF after the peer closed) are covered by `net_tcp.rs`.
//! - Borrowed `split()` in `tcp_split.rs`/`tcp_echo.rs`: ours reads and writes through
//!   `&self`, so a stream is shared by reference; `tcp_split`'s peek-twice-then-read check
//!   is made on the owned read half below. `tcp_echo.rs` is the echo of
//!   `suite_monoio_tcp.rs`, not repeated.
//! - `TcpSocket` (`tcp_socket.rs`): in `suite_tokio_tcp_socket.rs`.
//! - `connect_v6`/`[::1]`: run only where the machine has an IPv6 loopback (else skipped
//!   with a printed reason).
//! - `net_bind_resource.rs` expects `TcpListener::try_from(std)` to panic outside a
//!   runtime; ours deliberately accepts it and fails the I/O call with an error instead
//!   (no panics on bad input), which is what the test below checks.

use std::future::{poll_fn, Future};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use uring_rt::net::{ReuniteError, TcpListener, TcpStream, UnixStream};
use uring_rt::prelude::*;
use uring_rt::time::timeout;

/// A connected (client, server) pair.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let (c, a) = futures::join!(TcpStream::connect(l.local_addr().unwrap()), l.accept());
    (c.unwrap(), a.unwrap().0)
}

/// tcp_connect.rs `connect_v4`/`connect_v6`: the accepted stream, handed over from a
/// spawned task, sees the client's addresses mirrored, and accept's address is its peer.
#[test]
fn connect_v4_and_v6_see_each_others_addresses() {
    uring_rt::start(async {
        for bind in ["127.0.0.1:0", "[::1]:0"] {
            let srv = match TcpListener::bind(bind) {
                Ok(l) => l,
                Err(e) => {
                    println!("skipped {bind}: no such loopback here ({e})");
                    continue;
                }
            };
            let addr = srv.local_addr().unwrap();
            assert_eq!(addr.is_ipv6(), bind.starts_with('['));
            let (tx, rx) = oneshot::channel();
            uring_rt::spawn(async move {
                let (socket, peer) = srv.accept().await.unwrap();
                assert_eq!(peer, socket.peer_addr().unwrap());
                tx.send(socket).unwrap();
            });
            let mine = TcpStream::connect(&addr).await.unwrap();
            let theirs = rx.await.unwrap();
            assert_eq!(mine.local_addr().unwrap(), theirs.peer_addr().unwrap());
            assert_eq!(theirs.local_addr().unwrap(), mine.peer_addr().unwrap());
        }
    });
}

/// tcp_accept.rs `no_extra_poll`: a stream of accepts is polled once while nothing comes,
/// then once to yield the connection and once more to find nothing: no spurious wake-ups.
#[test]
fn incoming_is_not_polled_without_a_connection() {
    uring_rt::start(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let npolls = Arc::new(AtomicUsize::new(0));
        let (accepted_tx, mut accepted_rx) = mpsc::unbounded_channel();
        let counter = npolls.clone();
        let task = uring_rt::spawn(async move {
            let mut incoming = listener.incoming();
            loop {
                let s = poll_fn(|cx| {
                    counter.fetch_add(1, SeqCst);
                    incoming.poll_next(cx)
                })
                .await
                .unwrap();
                accepted_tx.send(s).unwrap();
            }
        });
        uring_rt::yield_now().await;
        assert_eq!(npolls.load(SeqCst), 1, "polled once: the first poll");

        let _c = TcpStream::connect(addr).await.unwrap();
        let _s = accepted_rx.recv().await.unwrap();
        // Let the task reach its next pending poll.
        for _ in 0..10 {
            uring_rt::yield_now().await;
        }
        assert_eq!(
            npolls.load(SeqCst),
            1 + 2,
            "once to yield it, once more to wait"
        );
        task.abort();
    });
}

/// tcp_accept.rs `accept_many`: many tasks each poll an accept once, then wait; one
/// connection must wake every one of them (none is left waiting forever).
#[test]
fn one_connection_wakes_every_pending_accept() {
    const N: usize = 50;
    uring_rt::start(async {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        let connected = Arc::new(AtomicBool::new(false));
        let (pending_tx, mut pending_rx) = mpsc::unbounded_channel();
        let (notified_tx, mut notified_rx) = mpsc::unbounded_channel();
        for _ in 0..N {
            let (listener, connected) = (listener.clone(), connected.clone());
            let (pending_tx, notified_tx) = (pending_tx.clone(), notified_tx.clone());
            uring_rt::spawn(async move {
                let mut accept = pin!(listener.accept());
                let mut polled = false;
                poll_fn(|cx| {
                    if !polled {
                        polled = true;
                        assert!(accept.as_mut().poll(cx).is_pending());
                        pending_tx.send(()).unwrap();
                        Poll::Pending
                    } else if connected.load(SeqCst) {
                        notified_tx.send(()).unwrap();
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
            });
        }
        for _ in 0..N {
            pending_rx.recv().await.unwrap();
        }
        connected.store(true, SeqCst);
        let _sock = TcpStream::connect(addr).await.unwrap();
        let all = async {
            for _ in 0..N {
                notified_rx.recv().await.unwrap();
            }
        };
        timeout(Duration::from_secs(10), all)
            .await
            .expect("every pending accept is woken by the connection");
    });
}

/// tcp_into_split.rs `split` and tcp_split.rs: the read half peeks twice (same bytes), then
/// reads them; the write half writes while the peer writes and reads.
#[test]
fn owned_halves_peek_read_and_write_at_once() {
    const MSG: &[u8] = b"split";
    uring_rt::start(async {
        let (stream1, stream2) = tcp_pair().await;
        let (read_half, write_half) = stream1.into_split();
        let peer = async {
            assert_eq!(stream2.write(MSG).await.0.unwrap(), MSG.len());
            let (n, buf) = stream2.read(vec![0u8; 32]).await;
            assert_eq!(&buf[..n.unwrap()], MSG);
        };
        let writer = async {
            assert_eq!(write_half.write(MSG).await.0.unwrap(), MSG.len());
        };
        let reader = async {
            let (n1, a) = read_half.peek(vec![0u8; 32]).await;
            let (n2, b) = read_half.peek(vec![0u8; 32]).await;
            let (n1, n2) = (n1.unwrap(), n2.unwrap());
            assert_eq!(n1, n2);
            assert_eq!(a[..n1], b[..n2]);
            let (n, buf) = read_half.read(vec![0u8; 32]).await;
            assert_eq!(n.unwrap(), n1);
            assert_eq!(&buf[..n1], MSG);
        };
        futures::join!(peer, writer, reader);
    });
}

/// tcp_into_split.rs `reunite`: halves of two streams do not reunite (both come back);
/// halves of one do, into a stream that still works both ways.
#[test]
fn reunite_only_halves_of_one_stream() {
    uring_rt::start(async {
        let (stream1, mut peer1) = tcp_pair().await;
        let (stream2, _peer2) = tcp_pair().await;
        let (read1, write1) = stream1.into_split();
        let (_read2, write2) = stream2.into_split();

        let err = read1.reunite::<TcpStream>(write2).unwrap_err();
        assert!(err.to_string().contains("not from the same socket"));
        let ReuniteError(read1, _write2) = err;
        // A TCP stream's halves are not a Unix stream's.
        let ReuniteError(read1, write1) = read1.reunite::<UnixStream>(write1).unwrap_err();

        let mut stream1: TcpStream = read1.reunite(write1).expect("halves of one stream");
        // Reuniting dropped no write half: nothing was shut down.
        stream1.write_all(b"still open").await.0.unwrap();
        let (res, buf) = peer1.read_exact(Vec::with_capacity(10)).await;
        res.unwrap();
        assert_eq!(buf, b"still open");
        peer1.write_all(b"back").await.0.unwrap();
        let (res, buf) = stream1.read_exact(Vec::with_capacity(4)).await;
        res.unwrap();
        assert_eq!(buf, b"back");
    });
}

/// tcp_into_split.rs `drop_write`: dropping the write half (here on another thread, while
/// a read waits) sends FIN to a std peer, which then closes; the read half reads EOF.
#[test]
fn dropping_the_write_half_elsewhere_ends_the_peers_stream() {
    const MSG: &[u8] = b"split";
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.write_all(MSG).unwrap();
        let mut buf = [0u8; 32];
        // EOF, not bytes: the write half wrote nothing and was dropped.
        stream.read(&mut buf).unwrap()
    });
    uring_rt::start(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (read_half, write_half) = stream.into_split();
        let (n, buf) = read_half.read(vec![0u8; 32]).await;
        assert_eq!(&buf[..n.unwrap()], MSG);
        let dropper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            drop(write_half);
        });
        let (n, _) = timeout(Duration::from_secs(10), read_half.read(vec![0u8; 32]))
            .await
            .expect("the peer closes once it read EOF");
        assert_eq!(n.unwrap(), 0);
        dropper.join().unwrap();
    });
    assert_eq!(peer.join().unwrap(), 0);
}

/// tcp_into_std.rs: an accepted stream becomes a std one (nonblocking, as tokio gives it;
/// made blocking for std's `read_exact`), then, nonblocking again, one of ours.
#[test]
fn into_std_and_back_from_std() {
    uring_rt::start(async {
        let (mut client, server) = tcp_pair().await;
        let mut std_stream = server.into_std().unwrap();
        // As tokio's into_std: nonblocking until told otherwise.
        let mut probe = [0u8; 1];
        let e = std_stream.read(&mut probe).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
        std_stream.set_nonblocking(false).unwrap();
        client.write_all(b"Hello world!").await.0.unwrap();
        let mut data = [0u8; 12];
        std_stream.read_exact(&mut data).unwrap();
        assert_eq!(&data, b"Hello world!");

        std_stream.set_nonblocking(true).unwrap();
        let mut server = TcpStream::from_std(std_stream).unwrap();
        client.write_all(b"Hello uring!").await.0.unwrap();
        let (res, buf) = server.read_exact(Vec::with_capacity(12)).await;
        res.unwrap();
        assert_eq!(buf, b"Hello uring!");
        // And the other way on the nonblocking socket, more than the socket buffers hold,
        // so that sends meet a full buffer (EAGAIN inside) and must wait, not fail.
        const BIG: usize = 4 << 20;
        let ((res, _), (got, buf)) = futures::join!(
            server.write_all(vec![7u8; BIG]),
            client.read_exact(Vec::with_capacity(BIG))
        );
        res.unwrap();
        got.unwrap();
        assert!(buf.len() == BIG && buf.iter().all(|&b| b == 7));
    });
}

/// tcp_peek.rs: std sockets made nonblocking, adopted with `from_std`: peek shows the
/// bytes, read then takes the same bytes.
#[test]
fn peek_then_read_on_an_adopted_nonblocking_socket() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = std::thread::spawn(move || listener.accept().unwrap().0);
    let left = std::net::TcpStream::connect(addr).unwrap();
    left.set_nonblocking(true).unwrap();
    let mut right = t.join().unwrap();
    right.set_nonblocking(true).unwrap();
    assert_eq!(right.write(&[1, 2, 3, 4]).unwrap(), 4);
    uring_rt::start(async move {
        let left = TcpStream::from_std(left).unwrap();
        let (n, buf) = left.peek(vec![0u8; 16]).await;
        assert_eq!(buf[..n.unwrap()], [1, 2, 3, 4]);
        let (n, buf) = left.read(vec![0u8; 16]).await;
        assert_eq!(buf[..n.unwrap()], [1, 2, 3, 4]);
    });
}

/// tcp_shutdown.rs `shutdown`: the client shuts down its write side and reads EOF after the
/// server, copying its input back, copied nothing and shut down too.
#[test]
fn shutdown_both_ways_through_copy() {
    uring_rt::start(async {
        let srv = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = srv.local_addr().unwrap();
        let client = uring_rt::spawn(async move {
            let mut stream = TcpStream::connect(&addr).await.unwrap();
            AsyncWriteOwned::shutdown(&mut stream).await.unwrap();
            let (n, _) = stream.read(vec![0u8; 1]).await;
            assert_eq!(n.unwrap(), 0);
        });
        let (stream, _) = srv.accept().await.unwrap();
        let (mut rd, mut wr) = stream.into_split();
        assert_eq!(uring_rt::io::copy(&mut rd, &mut wr).await.unwrap(), 0);
        AsyncWriteOwned::shutdown(&mut wr).await.unwrap();
        client.await.unwrap();
    });
}

/// tcp_shutdown.rs `shutdown_after_tcp_reset`: after the peer reset the connection (zero
/// linger), shutting down the write side is `Ok` (nothing is left to shut down), as tokio's
/// `AsyncWriteExt::shutdown`; std's `shutdown(how)` keeps reporting `NotConnected`.
#[test]
fn shutdown_after_a_reset_is_ok() {
    uring_rt::start(async {
        let (mut client, server) = tcp_pair().await;
        server.set_zero_linger().unwrap();
        drop(server);
        // Wait until the reset arrived: a read reports it (once).
        let (res, _) = timeout(Duration::from_secs(10), client.read(vec![0u8; 8]))
            .await
            .expect("the reset arrives");
        assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionReset);
        let e = client.shutdown(Shutdown::Write).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::NotConnected,
            "std's shutdown is unchanged"
        );
        AsyncWriteOwned::shutdown(&mut client).await.unwrap();
        let (rd, mut wr) = client.into_split();
        wr.shutdown().unwrap();
        AsyncWriteOwned::shutdown(&mut wr).await.unwrap();
        drop((rd, wr));
    });
}

/// tcp_shutdown.rs `shutdown_multiple_calls`: shutting down three times is `Ok` each time,
/// on both ends.
#[test]
fn shutdown_many_times() {
    uring_rt::start(async {
        let (mut client, mut server) = tcp_pair().await;
        for _ in 0..3 {
            AsyncWriteOwned::shutdown(&mut client).await.unwrap();
        }
        AsyncWriteOwned::shutdown(&mut server).await.unwrap();
        assert_eq!(server.read(vec![0u8; 4]).await.0.unwrap(), 0);
        assert_eq!(client.read(vec![0u8; 4]).await.0.unwrap(), 0);
        AsyncWriteOwned::shutdown(&mut server).await.unwrap();
    });
}

/// tcp_stream.rs `set_linger` (with `ttl` and `take_error`, which tokio's stream also has):
/// each option reads back what was set.
#[test]
fn linger_ttl_and_take_error_on_a_stream() {
    uring_rt::start(async {
        let (stream, _server) = tcp_pair().await;
        assert_eq!(stream.linger().unwrap(), None);
        stream.set_linger(Some(Duration::from_secs(1))).unwrap();
        assert_eq!(stream.linger().unwrap(), Some(Duration::from_secs(1)));
        stream.set_zero_linger().unwrap();
        assert_eq!(stream.linger().unwrap(), Some(Duration::ZERO));
        stream.set_linger(None).unwrap();
        assert_eq!(stream.linger().unwrap(), None);

        let initial = stream.ttl().unwrap();
        assert_ne!(initial, 40);
        stream.set_ttl(40).unwrap();
        assert_eq!(stream.ttl().unwrap(), 40);
        assert_eq!(
            stream.set_ttl(256).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert!(stream.take_error().unwrap().is_none());
    });
}

/// tcp_stream.rs `buffer_not_included_in_future`: a read loop's future does not carry the
/// read buffer (it is owned by the heap, handed to the kernel and back).
#[test]
fn a_read_loops_future_is_small() {
    const N: usize = 4096;
    let fut = async {
        let stream = TcpStream::connect("127.0.0.1:8080").await.unwrap();
        let mut buf = vec![0u8; N];
        loop {
            let (n, b) = stream.read(buf).await;
            buf = b;
            if n.unwrap() == 0 {
                break;
            }
        }
    };
    let n = std::mem::size_of_val(&fut);
    assert!(n < 1000, "the future is {n} bytes");
}

/// net_bind_resource.rs, as ours behaves: a std listener is adopted outside a runtime
/// without a panic; I/O outside a runtime is an error, and the listener works in one.
#[test]
fn a_listener_adopted_outside_a_runtime_works_inside_one() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = std_listener.local_addr().unwrap();
    let listener = TcpListener::from_std(std_listener).unwrap();
    let e = futures::executor::block_on(listener.accept()).unwrap_err();
    assert!(e.to_string().contains("no uring-rt runtime"), "{e}");
    uring_rt::start(async move {
        let (c, a) = futures::join!(TcpStream::connect(addr), listener.accept());
        let (c, (s, peer)) = (c.unwrap(), a.unwrap());
        assert_eq!(peer, c.local_addr().unwrap());
        assert_eq!(s.peer_addr().unwrap(), peer);
    });
}

/// What tokio's tests rely on throughout (a listener dropped, its port bound again): a
/// dropped listener's address is free before the next statement, with an open connection
/// still about; so is a dropped UDP socket's.
#[test]
fn a_dropped_listeners_port_is_free_at_once() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let (c, a) = futures::join!(TcpStream::connect(addr), l.accept());
        let (c, (s, _)) = (c.unwrap(), a.unwrap());
        drop(l);
        let l = TcpListener::bind(addr).expect("the port is free");
        let (c2, a2) = futures::join!(TcpStream::connect(addr), l.accept());
        assert_eq!(a2.unwrap().1, c2.unwrap().local_addr().unwrap());
        // The first connection is unaffected.
        c.write_all(b"ok").await.0.unwrap();
        assert_eq!(s.read(Vec::with_capacity(4)).await.1, b"ok");

        let u = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let uaddr = u.local_addr().unwrap();
        drop(u);
        uring_rt::net::UdpSocket::bind(uaddr).expect("the UDP port is free");
    });
}
