//! tokio's datagram and Unix-socket tests (`tokio/tests/udp.rs`, `uds_datagram.rs`,
//! `uds_stream.rs`, `uds_split.rs`, `uds_cred.rs`, `uds_socket.rs`) restated for `uring_rt::net`: tokio's
//! `recv_buf(&mut vec)` is our `recv(Vec::with_capacity(n))` (the received length becomes
//! the vector's length), `AsyncWriteExt::shutdown` is `AsyncWriteOwned::shutdown`.
//!
//! Not translated:
//! - Readiness calls (`readable`, `writable`, `poll_*_ready`, `try_send*`, `try_recv*`,
//!   `try_peek*`, `poll_send`/`poll_recv`/`poll_peek*`) and the fill-the-queue
//!   `try_send_recv_never_block`: a completion-based API has no readiness or `WouldBlock`
//!   to observe; each test's data check is made below with the awaited calls.
//! - Borrowed `split()` in `uds_split.rs`: owned halves are used (ours are not tied to a
//!   borrow).

use std::io::ErrorKind;
use std::os::linux::net::SocketAddrExt;
use std::sync::Arc;
use std::time::Duration;

use uring_rt::net::{UdpSocket, UnixDatagram, UnixListener, UnixSocket, UnixStream};
use uring_rt::prelude::*;
use uring_rt::time::timeout;

const MSG: &[u8] = b"hello";

async fn udp_pair() -> (UdpSocket, UdpSocket) {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    (a, b)
}

/// udp.rs `send_recv` and `recv_buf`: connected sockets; the datagram lands in a vector's
/// spare room, whose length becomes the datagram's.
#[test]
fn udp_connected_send_recv_into_spare_capacity() {
    uring_rt::start(async {
        let (sender, receiver) = udp_pair().await;
        sender
            .connect(receiver.local_addr().unwrap())
            .await
            .unwrap();
        receiver
            .connect(sender.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(sender.send(MSG).await.0.unwrap(), MSG.len());
        let (n, buf) = receiver.recv(Vec::with_capacity(32)).await;
        assert_eq!(n.unwrap(), MSG.len());
        assert_eq!(buf, MSG);
        assert_eq!(sender.peer_addr().unwrap(), receiver.local_addr().unwrap());
    });
}

/// udp.rs `send_to_recv_closed_returns_err`: after a datagram to a closed port, a
/// connected socket's receive fails with `ConnectionRefused` (the ICMP answer), promptly.
#[test]
fn udp_recv_after_sending_to_a_closed_port_is_refused() {
    uring_rt::start(async {
        let (sender, receiver) = udp_pair().await;
        let closed = receiver.local_addr().unwrap();
        drop(receiver);
        sender.connect(closed).await.unwrap();
        sender.send(MSG).await.0.unwrap();
        let (res, _) = timeout(Duration::from_secs(5), sender.recv(vec![0u8; 32]))
            .await
            .expect("an error, not a wait");
        assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionRefused);
    });
}

/// udp.rs `send_to_recv_from` and `recv_buf_from`: the receiver learns the sender's address.
#[test]
fn udp_send_to_recv_from_reports_the_sender() {
    uring_rt::start(async {
        let (sender, receiver) = udp_pair().await;
        let to = receiver.local_addr().unwrap();
        sender.send_to(MSG, &to).await.0.unwrap();
        let (res, buf) = receiver.recv_from(Vec::with_capacity(32)).await;
        assert_eq!(res.unwrap(), (MSG.len(), sender.local_addr().unwrap()));
        assert_eq!(buf, MSG);
        // A connected sender, an unconnected receiver.
        sender.connect(to).await.unwrap();
        sender.send(b"again").await.0.unwrap();
        let (res, buf) = receiver.recv_from(Vec::with_capacity(32)).await;
        assert_eq!(res.unwrap(), (5, sender.local_addr().unwrap()));
        assert_eq!(buf, b"again");
    });
}

/// udp.rs `send_to_peek_from` and `peek_sender`: peeking twice shows the same datagram
/// and sender; the receive then takes it; the next peek waits for the next datagram.
#[test]
fn udp_peek_from_and_peek_sender_leave_the_datagram_queued() {
    uring_rt::start(async {
        let (sender, receiver) = udp_pair().await;
        let from = sender.local_addr().unwrap();
        sender
            .send_to(MSG, receiver.local_addr().unwrap())
            .await
            .0
            .unwrap();
        for _ in 0..2 {
            let (res, buf) = receiver.peek_from(Vec::with_capacity(32)).await;
            assert_eq!(res.unwrap(), (MSG.len(), from));
            assert_eq!(buf, MSG);
        }
        assert_eq!(receiver.peek_sender().await.unwrap(), from);
        let (res, buf) = receiver.recv_from(Vec::with_capacity(32)).await;
        assert_eq!(res.unwrap(), (MSG.len(), from));
        assert_eq!(buf, MSG);

        // Queue empty: a peek waits (dropped by the timeout, it takes nothing).
        let waited = timeout(Duration::from_millis(50), receiver.peek_sender()).await;
        assert!(waited.is_err(), "nothing to peek at");
        sender
            .send_to(b"Hello, world!", receiver.local_addr().unwrap())
            .await
            .0
            .unwrap();
        assert_eq!(receiver.peek_sender().await.unwrap(), from);
        let (res, buf) = receiver.recv_from(Vec::with_capacity(32)).await;
        assert_eq!(res.unwrap(), (13, from));
        assert_eq!(buf, b"Hello, world!");
    });
}

/// udp.rs `split` and `split_chan`: one socket shared by two tasks (an `Arc`), one
/// receiving and one sending; an echo built from them answers a third socket.
#[test]
fn udp_socket_shared_by_a_sending_and_a_receiving_task() {
    uring_rt::start(async {
        let s = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let addr = s.local_addr().unwrap();
        let r = s.clone();
        let send = uring_rt::spawn(async move { s.send_to(MSG, addr).await.0.unwrap() });
        let (res, buf) = r.recv_from(Vec::with_capacity(32)).await;
        assert_eq!(res.unwrap(), (MSG.len(), addr));
        assert_eq!(buf, MSG);
        assert_eq!(send.await.unwrap(), MSG.len());

        // The echo: a receiving task hands datagrams to a sending task through a channel.
        let (tx, rx) = async_channel::bounded::<(Vec<u8>, std::net::SocketAddr)>(1000);
        let s = r.clone();
        let echo_send = uring_rt::spawn(async move {
            while let Ok((bytes, to)) = rx.recv().await {
                s.send_to(bytes, to).await.0.unwrap();
            }
        });
        let echo_recv = uring_rt::spawn(async move {
            loop {
                let (res, buf) = r.recv_from(Vec::with_capacity(32)).await;
                let (_, from) = res.unwrap();
                tx.send((buf, from)).await.unwrap();
            }
        });
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..5u8 {
            client.send_to(vec![i; 3], addr).await.0.unwrap();
            let (res, buf) = client.recv_from(Vec::with_capacity(32)).await;
            assert_eq!(res.unwrap(), (3, addr));
            assert_eq!(buf, [i; 3]);
        }
        echo_recv.abort();
        assert!(echo_recv.await.unwrap_err().is_cancelled());
        echo_send.await.unwrap(); // the channel closed with the receiving task
    });
}

/// udp.rs `try_send_spawn`: sends from this thread, unconnected then connected, and from
/// another thread (its own runtime) with the socket moved there; all arrive.
#[test]
fn udp_sends_from_this_thread_and_another() {
    const MSG2: &[u8] = b"world!";
    uring_rt::start(async {
        let (sender, receiver) = udp_pair().await;
        receiver
            .connect(sender.local_addr().unwrap())
            .await
            .unwrap();
        let to = receiver.local_addr().unwrap();
        assert_eq!(sender.send_to(MSG, to).await.0.unwrap(), MSG.len());
        let mut received = receiver.recv(vec![0u8; 32]).await.0.unwrap();
        sender.connect(to).await.unwrap();
        assert_eq!(sender.send(MSG2).await.0.unwrap(), MSG2.len());
        received += receiver.recv(vec![0u8; 32]).await.0.unwrap();
        std::thread::spawn(move || {
            uring_rt::start(async move {
                assert_eq!(sender.send(MSG).await.0.unwrap(), MSG.len());
            })
        })
        .join()
        .unwrap();
        received += receiver.recv(vec![0u8; 32]).await.0.unwrap();
        assert_eq!(received, MSG.len() * 2 + MSG2.len());
    });
}

/// udp.rs socket-option tests (`broadcast`, `multicast_loop_v4`, `multicast_ttl_v4`,
/// `multicast_loop_v6`, `tclass_v6`, `ttl`, `tos_v4`): each reads back what was set, and the
/// value set differs from the default.
#[test]
fn udp_socket_options_read_back() {
    macro_rules! check {
        ($s:expr, $get:ident, $set:ident($arg:expr)) => {{
            let initial = $s.$get().expect(stringify!($get));
            assert_ne!(initial, $arg, "{} already {:?}", stringify!($get), $arg);
            $s.$set($arg).expect(stringify!($set));
            assert_eq!($s.$get().unwrap(), $arg, stringify!($get));
        }};
    }
    let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    check!(v4, broadcast, set_broadcast(true));
    check!(v4, multicast_loop_v4, set_multicast_loop_v4(false));
    check!(v4, multicast_ttl_v4, set_multicast_ttl_v4(40));
    check!(v4, ttl, set_ttl(40));
    check!(v4, tos_v4, set_tos_v4(96));
    match UdpSocket::bind("[::1]:0") {
        Ok(v6) => {
            check!(v6, broadcast, set_broadcast(true));
            check!(v6, multicast_loop_v6, set_multicast_loop_v6(false));
            check!(v6, tclass_v6, set_tclass_v6(96));
        }
        Err(e) => println!("skipped the IPv6 options: no [::1] here ({e})"),
    }
    assert!(v4.take_error().unwrap().is_none());
}

fn sock_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("uring-rt-tokio-uds")
        .tempdir()
        .unwrap()
}

/// The echo server of uds_datagram.rs: answers each datagram from a named peer.
async fn echo_server(socket: UnixDatagram) {
    loop {
        let (res, buf) = socket.recv_from(Vec::with_capacity(1024)).await;
        let (_, peer) = res.unwrap();
        if let Some(path) = peer.as_pathname() {
            socket.send_to(buf, path).await.0.unwrap();
        }
    }
}

/// uds_datagram.rs `echo` and `echo_from`: a bound, connected client gets its datagram
/// back, from the server's path.
#[test]
fn unix_datagram_echo_from_the_servers_path() {
    let dir = sock_dir();
    let server_path = dir.path().join("server.sock");
    let client_path = dir.path().join("client.sock");
    uring_rt::start(async {
        let server = UnixDatagram::bind(&server_path).unwrap();
        let echo = uring_rt::spawn(echo_server(server));
        let socket = UnixDatagram::bind(&client_path).unwrap();
        socket.connect(&server_path).unwrap();
        socket.send(b"ECHO").await.0.unwrap();
        let (n, buf) = socket.recv(Vec::with_capacity(16)).await;
        assert_eq!(n.unwrap(), 4);
        assert_eq!(buf, b"ECHO");
        socket.send(b"ECHO2").await.0.unwrap();
        let (res, buf) = socket.recv_from(Vec::with_capacity(16)).await;
        let (n, addr) = res.unwrap();
        assert_eq!(&buf[..n], b"ECHO2");
        assert_eq!(addr.as_pathname(), Some(server_path.as_path()));
        echo.abort();
    });
}

/// uds_datagram.rs `split`, `send_to_recv_from_poll`, `recv_buf_from`, `recv_buf`: a
/// shared socket sends to its own path; a receiver learns the sender's path; a pair needs
/// no addresses.
#[test]
fn unix_datagram_shared_named_and_paired() {
    let dir = sock_dir();
    let path = dir.path().join("split.sock");
    let tx_path = dir.path().join("tx");
    let rx_path = dir.path().join("rx");
    uring_rt::start(async {
        let s = Arc::new(UnixDatagram::bind(&path).unwrap());
        let r = s.clone();
        let (sent, (res, buf)) = futures::join!(
            async { s.send_to(MSG, &path).await.0.unwrap() },
            r.recv_from(Vec::with_capacity(32)),
        );
        assert_eq!(sent, MSG.len());
        let (n, from) = res.unwrap();
        assert_eq!(&buf[..n], MSG);
        assert_eq!(from.as_pathname(), Some(path.as_path()));

        let tx = UnixDatagram::bind(&tx_path).unwrap();
        let rx = UnixDatagram::bind(&rx_path).unwrap();
        tx.send_to(b"hello world", &rx_path).await.0.unwrap();
        let (res, buf) = rx.recv_from(Vec::with_capacity(24)).await;
        let (n, from) = res.unwrap();
        assert_eq!((n, &buf[..]), (11, &b"hello world"[..]));
        assert_eq!(from.as_pathname(), Some(tx_path.as_path()));

        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(b"hello world").await.0.unwrap();
        let (n, buf) = b.recv(Vec::with_capacity(24)).await;
        assert_eq!(n.unwrap(), 11);
        assert_eq!(buf, b"hello world");
    });
}

/// uds_stream.rs `accept_read_write` and `accept_read_write_socketaddr`: by path and by
/// `SocketAddr`; the server reads everything to EOF, then reads 0 again.
#[test]
fn unix_stream_read_to_end_by_path_and_by_address() {
    let dir = sock_dir();
    uring_rt::start(async {
        for by_addr in [false, true] {
            let path = dir.path().join(format!("connect-{by_addr}.sock"));
            let addr = std::os::unix::net::SocketAddr::from_pathname(&path).unwrap();
            let listener = if by_addr {
                UnixListener::bind_addr(&addr).unwrap()
            } else {
                UnixListener::bind(&path).unwrap()
            };
            let (accepted, client) = if by_addr {
                futures::join!(listener.accept(), UnixStream::connect_addr(&addr))
            } else {
                futures::join!(listener.accept(), UnixStream::connect(&path))
            };
            let (mut server, client) = (accepted.unwrap().0, client.unwrap());
            client.write_all(b"hello").await.0.unwrap();
            drop(client);
            let (res, buf) = server.read_to_end(Vec::new()).await;
            res.unwrap();
            assert_eq!(buf, b"hello");
            assert_eq!(server.read(vec![0u8; 8]).await.0.unwrap(), 0);
        }
    });
}

/// uds_stream.rs `shutdown`: the client's write shutdown is EOF for the server.
#[test]
fn unix_stream_shutdown_is_eof_for_the_peer() {
    let dir = sock_dir();
    let path = dir.path().join("connect.sock");
    uring_rt::start(async {
        let listener = UnixListener::bind(&path).unwrap();
        let (accepted, client) = futures::join!(listener.accept(), UnixStream::connect(&path));
        let (server, mut client) = (accepted.unwrap().0, client.unwrap());
        AsyncWriteOwned::shutdown(&mut client).await.unwrap();
        assert_eq!(server.read(vec![0u8; 1]).await.0.unwrap(), 0);
    });
}

/// uds_stream.rs `epollhup`: a connect polled once, then its listener closed: the connect
/// fails with `ConnectionRefused`/`ConnectionReset`, or, had it completed before the close,
/// the stream's first read reports the reset or EOF. It never hangs.
#[test]
fn unix_connect_to_a_listener_closed_meanwhile() {
    use std::future::Future;
    let dir = sock_dir();
    let path = dir.path().join("connect.sock");
    uring_rt::start(async {
        let listener = UnixListener::bind(&path).unwrap();
        let mut connect = Box::pin(UnixStream::connect(&path));
        let early = std::future::poll_fn(|cx| std::task::Poll::Ready(connect.as_mut().poll(cx)));
        let early = early.await;
        drop(listener);
        let res = match early {
            std::task::Poll::Ready(res) => res,
            std::task::Poll::Pending => timeout(Duration::from_secs(10), connect)
                .await
                .expect("the connect ends"),
        };
        match res {
            Err(e) => assert!(
                matches!(
                    e.kind(),
                    ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
                ),
                "{e:?}"
            ),
            Ok(stream) => {
                let (res, _) = timeout(Duration::from_secs(10), stream.read(vec![0u8; 8]))
                    .await
                    .expect("the read ends");
                match res {
                    Ok(n) => assert_eq!(n, 0),
                    Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
                }
            }
        }
    });
}

/// uds_stream.rs `abstract_socket_name`: a path that starts with a NUL byte is an abstract
/// name (tokio's rule), for bind and connect; the name read back has no leading NUL.
#[test]
fn unix_leading_nul_path_is_an_abstract_name() {
    uring_rt::start(async {
        let name = format!("uring-rt-tokio-abstract-{}", std::process::id());
        let path = format!("\0{name}");
        let listener = UnixListener::bind(&path).unwrap();
        let (accepted, client) = futures::join!(listener.accept(), UnixStream::connect(&path));
        let (stream, _) = accepted.unwrap();
        let _client = client.unwrap();
        let local = stream.into_std().unwrap().local_addr().unwrap();
        assert_eq!(local.as_abstract_name(), Some(name.as_bytes()));
        assert_eq!(
            listener.local_addr().unwrap().as_abstract_name(),
            Some(name.as_bytes())
        );
        // Nothing was created in the file system, and a NUL elsewhere is still refused.
        assert!(!std::path::Path::new(&name).exists());
        let e = UnixListener::bind("a\0b").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    });
}

/// uds_split.rs: both ends of a pair, split, write one byte, shut down their write side
/// and read to the end at once: each gets the other's byte.
#[test]
fn unix_pair_halves_send_shutdown_and_read_to_end() {
    async fn send_recv_all(
        rd: &mut uring_rt::net::OwnedReadHalf,
        wr: &mut uring_rt::net::OwnedWriteHalf,
        input: &'static [u8],
    ) -> Vec<u8> {
        wr.write_all(input).await.0.unwrap();
        AsyncWriteOwned::shutdown(wr).await.unwrap();
        let (res, out) = rd.read_to_end(Vec::new()).await;
        res.unwrap();
        out
    }
    uring_rt::start(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut a_rd, mut a_wr) = a.into_split();
        let (mut b_rd, mut b_wr) = b.into_split();
        let (from_b, from_a) = futures::join!(
            send_recv_all(&mut a_rd, &mut a_wr, b"A"),
            send_recv_all(&mut b_rd, &mut b_wr, b"B"),
        );
        assert_eq!(from_b, b"B");
        assert_eq!(from_a, b"A");
        // Unix halves reunite into a Unix stream (not a TCP one).
        let a: UnixStream = a_rd.reunite(a_wr).unwrap();
        assert!(a.peer_addr().unwrap().is_unnamed());
    });
}

/// uds_cred.rs `test_socket_pair`: both ends of a pair see this process's credentials.
#[test]
fn unix_pair_peer_credentials_are_this_process() {
    let (a, b) = UnixStream::pair().unwrap();
    let cred_a = a.peer_cred().unwrap();
    let cred_b = b.peer_cred().unwrap();
    assert_eq!(cred_a, cred_b);
    // SAFETY: these calls only read the process's credentials.
    let (uid, gid, pid) = unsafe { (libc::geteuid(), libc::getegid(), libc::getpid()) };
    assert_eq!((cred_a.uid(), cred_a.gid()), (uid, gid));
    assert_eq!(cred_a.pid(), Some(pid));
    assert_eq!(cred_b.pid(), Some(pid));
    // A connected listener's peer is this process too.
    let dir = sock_dir();
    let path = dir.path().join("cred.sock");
    uring_rt::start(async {
        let listener = UnixListener::bind(&path).unwrap();
        let (accepted, client) = futures::join!(listener.accept(), UnixStream::connect(&path));
        let server = accepted.unwrap().0;
        assert_eq!(server.peer_cred().unwrap().pid(), Some(pid));
        assert_eq!(
            client.unwrap().peer_cred().unwrap(),
            server.peer_cred().unwrap()
        );
    });
}

/// The errors tokio users meet without a peer, which are the kernel's in both runtimes:
/// `NotConnected` for the peer of an unconnected socket and for a send from an unconnected
/// Unix datagram socket, `EDESTADDRREQ` for a send from an unconnected UDP socket,
/// `ConnectionRefused` at a socket file whose listener is gone (closed by its drop).
#[test]
fn datagram_and_stream_errors_without_a_peer() {
    let dir = sock_dir();
    let path = dir.path().join("stale.sock");
    uring_rt::start(async {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(udp.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        let (res, _) = udp.send(MSG).await;
        assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EDESTADDRREQ));

        let d = UnixDatagram::unbound().unwrap();
        assert_eq!(d.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        let (res, _) = d.send(MSG).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::NotConnected);

        let listener = UnixListener::bind(&path).unwrap();
        drop(listener);
        assert!(path.exists(), "the socket file stays, as in tokio");
        let e = UnixStream::connect(&path).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
        let e = UnixListener::bind(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AddrInUse);
        let e = d.connect(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    });
}

/// uds_socket.rs `datagram_echo_server` and `listen_and_stream`: sockets set up with
/// `UnixSocket` (bound first, a stream client too) become a datagram socket, a listener and
/// a stream; the server sees the client's bound path.
#[test]
fn unix_socket_becomes_datagram_listener_and_stream() {
    let dir = sock_dir();
    uring_rt::start(async {
        let server = UnixSocket::new_datagram().unwrap();
        server.bind(dir.path().join("server.sock")).unwrap();
        let echo = uring_rt::spawn(echo_server(server.datagram().unwrap()));
        let client = UnixSocket::new_datagram().unwrap();
        client.bind(dir.path().join("client.sock")).unwrap();
        let client = client.datagram().unwrap();
        client.connect(dir.path().join("server.sock")).unwrap();
        client.send(b"ECHO").await.0.unwrap();
        assert_eq!(client.recv(Vec::with_capacity(16)).await.1, b"ECHO");
        echo.abort();

        let sock_path = dir.path().join("connect.sock");
        let peer_path = dir.path().join("peer.sock");
        let sock = UnixSocket::new_stream().unwrap();
        sock.bind(&sock_path).unwrap();
        let listener = sock.listen(1024).unwrap();
        let sock = UnixSocket::new_stream().unwrap();
        sock.bind(&peer_path).unwrap();
        let (accepted, client) = futures::join!(listener.accept(), sock.connect(&sock_path));
        let (mut server, client) = (accepted.unwrap().0, client.unwrap());
        assert_eq!(
            server.peer_addr().unwrap().as_pathname(),
            Some(peer_path.as_path())
        );
        client.write_all(b"hello").await.0.unwrap();
        drop(client);
        let (res, buf) = server.read_to_end(Vec::new()).await;
        res.unwrap();
        assert_eq!(buf, b"hello");
        assert_eq!(server.read(vec![0u8; 4]).await.0.unwrap(), 0);
    });
}

/// uds_socket.rs `assert_usage`: a datagram socket cannot connect as a stream or listen, a
/// stream socket cannot become a datagram one; each says so (tokio's words).
#[test]
fn unix_socket_refuses_the_other_kinds_calls() {
    uring_rt::start(async {
        let e = UnixSocket::new_datagram()
            .unwrap()
            .connect("invalid.sock")
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "connect cannot be called on a datagram socket"
        );
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = UnixSocket::new_datagram()
            .unwrap()
            .listen(1024)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "listen cannot be called on a datagram socket"
        );
        let e = UnixSocket::new_stream().unwrap().datagram().unwrap_err();
        assert_eq!(
            e.to_string(),
            "datagram cannot be called on a stream socket"
        );
    });
}
