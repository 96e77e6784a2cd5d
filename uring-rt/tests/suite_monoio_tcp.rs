//! monoio's TCP tests (`monoio/tests/tcp_accept.rs`, `tcp_connect.rs`, `tcp_echo.rs`,
//! `tcp_into_split.rs`, `buf_writter.rs`, `fd_leak.rs`) restated for `uring_rt::net`, with
//! its `select!`-against-a-timer cancellations written with `uring_rt::time::timeout`.
//!
//! Not translated (no equivalent here):
//! - `readable(false)` / `writable(false)` readiness probes: completion-based API.
//! - `Canceller` / `cancelable_read`: cancellation is by dropping the future (tested below).
//! - TCP fast open options (`ListenerOpts::tcp_fast_open`).
//! - `connect("1.1.1.1:1")` timeouts: tests use 127.0.0.1 only.
//! - `[::1]` listeners: IPv6 loopback may be absent in CI containers.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr};
use std::time::Duration;

use uring_rt::io::{BufReader, BufWriter};
use uring_rt::net::{TcpListener, TcpStream};
use uring_rt::prelude::*;
use uring_rt::time::timeout;

/// Accepts one connection while connecting to it; returns (client, server, server's view of
/// the client's address).
async fn pair(listener: &TcpListener) -> (TcpStream, TcpStream, SocketAddr) {
    let addr = listener.local_addr().unwrap();
    let (accepted, client) = futures::join!(listener.accept(), TcpStream::connect(addr));
    let (server, peer) = accepted.unwrap();
    (client.unwrap(), server, peer)
}

#[test]
fn accept_reports_the_peer_for_every_address_form() {
    uring_rt::start(async {
        let listeners = [
            TcpListener::bind("127.0.0.1:0").unwrap(),
            TcpListener::bind("localhost:0").unwrap(),
            TcpListener::bind("127.0.0.1:0".parse::<SocketAddr>().unwrap()).unwrap(),
            TcpListener::bind(("127.0.0.1", 0)).unwrap(),
            TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).unwrap(),
            TcpListener::bind(String::from("127.0.0.1:0")).unwrap(),
        ];
        for l in &listeners {
            let (client, server, peer) = pair(l).await;
            assert_eq!(client.local_addr().unwrap(), server.peer_addr().unwrap());
            assert_eq!(server.local_addr().unwrap(), client.peer_addr().unwrap());
            assert_eq!(peer, client.local_addr().unwrap());
        }
    });
}

#[test]
fn connect_accepts_every_address_form() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let port = addr.port();
        let host_port = format!("127.0.0.1:{port}");
        let tuple = (addr.ip(), port);
        let forms = [
            TcpStream::connect(host_port.clone()).await,
            TcpStream::connect(host_port.as_str()).await,
            TcpStream::connect(tuple).await,
            TcpStream::connect(&tuple).await,
            TcpStream::connect(("127.0.0.1", port)).await,
            TcpStream::connect(("localhost", port)).await,
            TcpStream::connect(addr).await,
        ];
        for (i, c) in forms.into_iter().enumerate() {
            let c = c.unwrap_or_else(|e| panic!("form {i}: {e}"));
            let (s, _) = l.accept().await.unwrap();
            assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
        }
    });
}

#[test]
fn bad_addresses_are_clear_errors() {
    uring_rt::start(async {
        // Nothing listens on port 1 of the loopback.
        let e = TcpStream::connect("127.0.0.1:1").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
        assert!(TcpStream::connect("not an address").await.is_err());
        assert!(TcpListener::bind("127.0.0.1:99999").is_err());
        assert!(TcpStream::connect("127.0.0.1").await.is_err());
        let empty: &[SocketAddr] = &[];
        let e = TcpStream::connect(empty).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = TcpListener::bind(empty).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        // Port in use.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let e = TcpListener::bind(l.local_addr().unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AddrInUse);
    });
}

#[test]
fn echo_with_split_halves_and_copy() {
    const ITER: usize = 256;
    const MSG: &[u8] = b"foo bar baz";
    const IOV: &[u8] = b"iovec_is_so_good";
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let client = uring_rt::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let mut iov = vec![IOV[..9].to_vec(), IOV[9..].to_vec()];
            for _ in 0..ITER {
                s.write_all(MSG).await.0.unwrap();
                let (res, buf) = s.read_exact(Box::new([0u8; 11])).await;
                res.unwrap();
                assert_eq!(&buf[..], MSG);

                let (res, back) = s.writev(iov).await;
                assert_eq!(res.unwrap(), IOV.len());
                iov = back;

                let (res, buf) = s.read_exact(Vec::with_capacity(IOV.len())).await;
                res.unwrap();
                assert_eq!(buf, IOV);
            }
            s.shutdown(Shutdown::Write).unwrap();
            let (res, _) = s.read(vec![0u8; 8]).await;
            assert_eq!(res.unwrap(), 0, "server closes after echoing");
        });
        let (server, _) = l.accept().await.unwrap();
        let (mut rd, mut wr) = server.into_split();
        let n = uring_rt::io::copy(&mut rd, &mut wr).await.unwrap();
        assert_eq!(n, (ITER * (MSG.len() + IOV.len())) as u64);
        drop(wr);
        client.await.unwrap();
    });
}

#[test]
fn read_returns_zero_after_peer_shutdown_and_drop() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let (client, server, _) = pair(&l).await;
        client.write_all(b"last words").await.0.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let (res, buf) = server.read(Vec::with_capacity(64)).await;
        assert_eq!(res.unwrap(), 10);
        assert_eq!(buf, b"last words");
        for _ in 0..3 {
            let (res, buf) = server.read(Vec::with_capacity(64)).await;
            assert_eq!(res.unwrap(), 0);
            assert!(buf.is_empty());
        }
        // The write side still works after the peer's FIN.
        server.write_all(b"reply").await.0.unwrap();
        let (res, buf) = client.read(vec![0u8; 5]).await;
        assert_eq!(res.unwrap(), 5);
        assert_eq!(buf, b"reply");
        // Writing after our own write shutdown is EPIPE.
        let (res, _) = client.write(b"more").await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::BrokenPipe);
        drop(client);
        let (res, _) = server.read(vec![0u8; 4]).await;
        assert_eq!(res.unwrap(), 0);
    });
}

#[test]
fn empty_buffers_on_streams() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let (client, mut server, _) = pair(&l).await;
        let (res, _) = client.write(Vec::new()).await;
        assert_eq!(res.unwrap(), 0);
        client.write_all(Vec::new()).await.0.unwrap();
        let (res, _) = server.read(Vec::new()).await;
        assert_eq!(res.unwrap(), 0);
        // A Vec's len is what is sent, its spare capacity is where a read lands.
        let mut v = Vec::with_capacity(100);
        v.extend_from_slice(b"abc");
        client.write_all(v).await.0.unwrap();
        let mut got = Vec::with_capacity(8);
        got.extend_from_slice(b"__");
        let (res, got) = server.read_exact(got.slice(2..5)).await;
        res.unwrap();
        assert_eq!(got.into_inner(), b"__abc");
    });
}

#[test]
fn buf_writer_and_buf_reader_over_split_halves() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let writer = uring_rt::spawn(async move {
            let s = TcpStream::connect(addr).await.unwrap();
            let (_rd, wr) = s.into_split();
            let mut w = BufWriter::new(wr);
            for b in [b"1", b"2", b"3"] {
                assert_eq!(w.write(b).await.0.unwrap(), 1);
            }
            w.flush().await.unwrap();
            w.shutdown().await.unwrap();
        });
        let (s, _) = l.accept().await.unwrap();
        let (rd, _wr) = s.into_split();
        let mut r = BufReader::new(rd);
        let (res, all) = r.read_to_end(Vec::new()).await;
        assert_eq!(res.unwrap(), 3);
        assert_eq!(all, b"123");
        writer.await.unwrap();
    });
}

#[test]
fn dropped_accept_leaks_no_connection() {
    let peer = uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        // An accept that times out is dropped (and cancelled).
        assert!(timeout(Duration::from_millis(50), l.accept())
            .await
            .is_err());
        // A peer connecting now must reach the next accept, not a socket the cancelled one
        // took and forgot.
        let peer = std::thread::spawn(move || {
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            c.write_all(&[0u8]).unwrap();
            let mut b = [1u8; 1];
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let r = c.read(&mut b);
            assert!(
                matches!(r, Ok(0))
                    || matches!(&r, Err(e) if e.kind() == ErrorKind::ConnectionReset),
                "{r:?}"
            );
        });
        let (mut s, _) = timeout(Duration::from_secs(10), l.accept())
            .await
            .expect("the connection was swallowed by the cancelled accept")
            .unwrap();
        let (res, buf) = s.read_exact(vec![1u8; 1]).await;
        res.unwrap();
        assert_eq!(buf, [0]);
        drop(s);
        // The close is submitted on the ring: let it run before the thread blocks.
        uring_rt::io::nop().await.unwrap();
        peer
    });
    peer.join().unwrap();
}

#[test]
fn read_cancelled_by_timeout_leaves_the_stream_usable() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let (client, mut server, _) = pair(&l).await;
        let r = timeout(Duration::from_millis(30), server.read(vec![0u8; 20])).await;
        assert!(r.is_err(), "nothing was sent");
        client.write_all(b"after").await.0.unwrap();
        let (res, buf) = server.read_exact(vec![0u8; 5]).await;
        res.unwrap();
        assert_eq!(buf, b"after", "the cancelled read took no bytes");
    });
}

#[test]
fn timeouts_and_sleeps() {
    uring_rt::start(async {
        let start = std::time::Instant::now();
        uring_rt::time::sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));
        // A zero sleep completes.
        uring_rt::time::sleep(Duration::ZERO).await;
        // A ready future beats its timeout, even a zero one.
        assert_eq!(timeout(Duration::ZERO, async { 5 }).await.unwrap(), 5);
        assert_eq!(timeout(Duration::MAX, async { 6 }).await.unwrap(), 6);
        let e: std::io::Error = timeout(
            Duration::from_millis(5),
            uring_rt::time::sleep(Duration::from_secs(60)),
        )
        .await
        .unwrap_err()
        .into();
        assert_eq!(e.kind(), ErrorKind::TimedOut);
        // A huge sleep can be polled and dropped.
        assert!(timeout(
            Duration::from_millis(1),
            uring_rt::time::sleep(Duration::MAX)
        )
        .await
        .is_err());
        let mut iv = uring_rt::time::interval(Duration::from_millis(2));
        let a = iv.tick().await;
        let b = iv.tick().await;
        assert!(b >= a + Duration::from_millis(2));
    });
}

#[test]
fn nodelay_round_trips() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let (client, _server, _) = pair(&l).await;
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());
    });
}
