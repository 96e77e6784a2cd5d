//! monoio's datagram and Unix-socket tests (`monoio/tests/udp.rs`, `uds_stream.rs`,
//! `uds_split.rs`, `unix_datagram.rs`) restated for `uring_rt::net`.
//!
//! Not translated (no equivalent here):
//! - `readable`/`writable` probes and `cancelable_recv_from`: a dropped recv is tested instead.
//! - `uds_cred.rs` (peer credentials) and `unix_seqpacket.rs`: not in DESIGN.md.
//! - `UnixDatagram::connect` as an async constructor: ours connects an existing socket.

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{FromRawFd, IntoRawFd};
use std::time::Duration;

use uring_rt::net::{UdpSocket, UnixDatagram, UnixListener, UnixStream};
use uring_rt::prelude::*;
use uring_rt::time::timeout;

const MSG: &[u8] = b"foo bar baz";

#[test]
fn udp_connect_send_recv() {
    uring_rt::start(async {
        let passive = UdpSocket::bind("127.0.0.1:0").unwrap();
        let passive_addr = passive.local_addr().unwrap();
        let active = UdpSocket::bind("127.0.0.1:0").unwrap();
        let active_addr = active.local_addr().unwrap();
        let e = active.peer_addr().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotConnected);
        let (res, _) = active.send(MSG).await;
        assert_eq!(
            res.unwrap_err().raw_os_error(),
            Some(libc::EDESTADDRREQ),
            "send on an unconnected socket"
        );

        active.connect(passive_addr).await.unwrap();
        assert_eq!(active.send(MSG).await.0.unwrap(), MSG.len());
        let (res, buf) = passive.recv(Vec::with_capacity(20)).await;
        assert_eq!(res.unwrap(), MSG.len());
        assert_eq!(buf, MSG);
        assert_eq!(active.local_addr().unwrap(), active_addr);
        assert_eq!(active.peer_addr().unwrap(), passive_addr);
    });
}

#[test]
fn udp_send_to_many_and_recv_from() {
    uring_rt::start(async {
        let std_peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let peers: Vec<UdpSocket> = (0..3)
            .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
            .collect();
        let active = UdpSocket::bind("127.0.0.1:0").unwrap();
        let active_addr = active.local_addr().unwrap();
        active
            .send_to(MSG, std_peer.local_addr().unwrap())
            .await
            .0
            .unwrap();
        for p in &peers {
            let to = p.local_addr().unwrap();
            assert_eq!(active.send_to(MSG, to).await.0.unwrap(), MSG.len());
        }
        for p in &peers {
            let (res, buf) = p.recv_from(vec![0u8; 20]).await;
            let (n, from) = res.unwrap();
            assert_eq!(from, active_addr);
            assert_eq!(&buf[..n], MSG);
        }
        let mut b = [0u8; 20];
        let (n, from) = std_peer.recv_from(&mut b).unwrap();
        assert_eq!((&b[..n], from), (MSG, active_addr));
    });
}

#[test]
fn udp_truncation_empty_datagrams_and_bad_addresses() {
    uring_rt::start(async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b_addr = b.local_addr().unwrap();
        // A datagram longer than the buffer is cut to the buffer, the rest discarded.
        a.send_to(MSG, b_addr).await.0.unwrap();
        let (res, buf) = b.recv_from(Vec::with_capacity(3)).await;
        assert_eq!(res.unwrap().0, buf.capacity().min(MSG.len()));
        assert_eq!(buf, &MSG[..buf.len()]);
        // An empty datagram is delivered as 0 bytes.
        assert_eq!(a.send_to(Vec::new(), b_addr).await.0.unwrap(), 0);
        let (res, _) = b.recv_from(vec![0u8; 8]).await;
        assert_eq!(res.unwrap(), (0, a.local_addr().unwrap()));
        // Bad destinations fail cleanly.
        let (res, _) = a.send_to(MSG, "no such host name at all:1").await;
        assert!(res.is_err());
        let empty: &[SocketAddr] = &[];
        let (res, _) = a.send_to(MSG, empty).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
        let e = UdpSocket::bind(b_addr).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AddrInUse);
    });
}

#[test]
fn udp_recv_dropped_by_timeout_loses_nothing() {
    uring_rt::start(async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let r = timeout(Duration::from_millis(30), b.recv_from(vec![0u8; 20])).await;
        assert!(r.is_err());
        a.send_to(MSG, b.local_addr().unwrap()).await.0.unwrap();
        let (res, buf) = b.recv_from(vec![0u8; 20]).await;
        let (n, _) = res.unwrap();
        assert_eq!(&buf[..n], MSG);
    });
}

fn sock_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("uring-rt-uds")
        .tempdir()
        .unwrap()
}

#[test]
fn unix_stream_accept_read_write_and_eof() {
    let dir = sock_dir();
    let path = dir.path().join("connect.sock");
    uring_rt::start(async {
        let listener = UnixListener::bind(&path).unwrap();
        let (accepted, client) = futures::join!(listener.accept(), UnixStream::connect(&path));
        let (mut server, _) = accepted.unwrap();
        let client = client.unwrap();

        // Round-trip the client through a raw fd.
        let fd = client.into_raw_fd();
        // SAFETY: `fd` was just released by `into_raw_fd` and is owned by no one else.
        let client = unsafe { UnixStream::from_raw_fd(fd) };

        client.write_all(b"hello").await.0.unwrap();
        drop(client);
        let (res, buf) = server.read_exact(Box::new([0u8; 5])).await;
        res.unwrap();
        assert_eq!(&buf[..], b"hello");
        let (res, _) = server.read(buf).await;
        assert_eq!(res.unwrap(), 0);
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
    });
}

#[test]
fn unix_stream_shutdown_gives_eof() {
    let dir = sock_dir();
    let path = dir.path().join("s.sock");
    uring_rt::start(async {
        let listener = UnixListener::bind(&path).unwrap();
        let (accepted, client) = futures::join!(listener.accept(), UnixStream::connect(&path));
        let (server, _) = accepted.unwrap();
        let mut client = client.unwrap();
        AsyncWriteOwned::shutdown(&mut client).await.unwrap();
        let (res, _) = server.read(Box::new([0u8; 1])).await;
        assert_eq!(res.unwrap(), 0);
        // Shutdown of the read side makes our own reads see EOF.
        server.shutdown(Shutdown::Read).unwrap();
        let (res, _) = server.read(vec![0u8; 1]).await;
        assert_eq!(res.unwrap(), 0);
    });
}

#[test]
fn unix_stream_split_halves() {
    uring_rt::start(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (ar, aw) = a.into_split();
        let (br, bw) = b.into_split();
        aw.write_all(b"ping").await.0.unwrap();
        let (res, buf) = br.read(vec![0u8; 16]).await;
        assert_eq!(res.unwrap(), 4);
        assert_eq!(&buf[..4], b"ping");
        bw.write_all(b"pong").await.0.unwrap();
        drop(bw);
        let (res, buf) = ar.read(Vec::with_capacity(16)).await;
        assert_eq!(res.unwrap(), 4);
        assert_eq!(buf, b"pong");
        let (res, _) = ar.read(Vec::with_capacity(16)).await;
        assert_eq!(res.unwrap(), 0, "dropping the write half sends EOF");
    });
}

#[test]
fn unix_connect_errors() {
    let dir = sock_dir();
    uring_rt::start(async {
        let e = UnixStream::connect(dir.path().join("none.sock"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let long = dir.path().join("x".repeat(200));
        let e = UnixStream::connect(&long).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = UnixListener::bind(&long).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        // A NUL byte would cut the name the kernel sees: refused, nothing is created.
        let nul = dir.path().join("a\0b");
        let e = UnixListener::bind(&nul).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = UnixStream::connect(&nul).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = UnixDatagram::bind(&nul).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let d = UnixDatagram::unbound().unwrap();
        assert_eq!(d.connect(&nul).unwrap_err().kind(), ErrorKind::InvalidInput);
        let (res, _) = d.send_to(b"x", &nul).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
        assert!(!dir.path().join("a").exists());
        let p = dir.path().join("twice.sock");
        let _l = UnixListener::bind(&p).unwrap();
        let e = UnixListener::bind(&p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AddrInUse);
    });
}

#[test]
fn unix_datagram_send_recv_and_addresses() {
    let dir = sock_dir();
    let path = dir.path().join("dgram.sock");
    uring_rt::start(async {
        let d1 = UnixDatagram::bind(&path).unwrap();
        let d2 = UnixDatagram::unbound().unwrap();
        d2.connect(&path).unwrap();
        assert_eq!(d2.send(b"hello").await.0.unwrap(), 5);
        let (res, buf) = d1.recv_from(vec![0u8; 100]).await;
        let (n, from) = res.unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert!(from.is_unnamed());

        let d3 = UnixDatagram::unbound().unwrap();
        d3.send_to(b"hello2", &path).await.0.unwrap();
        let (res, buf) = d1.recv(vec![0u8; 100]).await;
        assert_eq!(res.unwrap(), 6);
        assert_eq!(&buf[..6], b"hello2");

        let p2 = dir.path().join("dgram2.sock");
        let d4 = UnixDatagram::bind(&p2).unwrap();
        d4.send_to(b"named", &path).await.0.unwrap();
        let (res, buf) = d1.recv_from(Vec::with_capacity(16)).await;
        let (n, from) = res.unwrap();
        assert_eq!(&buf[..n], b"named");
        assert_eq!(from.as_pathname(), Some(p2.as_path()));

        let (res, _) = d3.send_to(b"x", dir.path().join("none.sock")).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::NotFound);
        let (res, _) = d3.send(b"x").await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::NotConnected);
    });
}
