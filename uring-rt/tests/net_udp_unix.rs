//! UDP and Unix-domain round trips against std peers, abstract addresses included.

use std::io::{Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::SocketAddr as UnixAddr;
use std::thread;

use uring_rt::net::{UdpSocket, UnixDatagram, UnixListener, UnixStream};

#[test]
fn udp_round_trip_with_std_peer() {
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; 2048];
        for _ in 0..10 {
            let (n, from) = peer.recv_from(&mut buf).unwrap();
            peer.send_to(&buf[..n], from).unwrap();
        }
    });
    uring_rt::start(async move {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..5usize {
            let msg: Vec<u8> = (0..(i * 300 + 1)).map(|j| (j * 7 + i) as u8).collect();
            let (res, msg) = sock.send_to(msg, peer_addr).await;
            assert_eq!(res.unwrap(), msg.len());
            let (res, buf) = sock.recv_from(Vec::with_capacity(2048)).await;
            let (n, from) = res.unwrap();
            assert_eq!(from, peer_addr);
            assert_eq!(&buf[..n], &msg[..]);
        }
        // Connected: send/recv.
        sock.connect(peer_addr).await.unwrap();
        assert_eq!(sock.peer_addr().unwrap(), peer_addr);
        for i in 0..5u8 {
            sock.send(vec![i; 33]).await.0.unwrap();
            let (res, buf) = sock.recv(Vec::with_capacity(64)).await;
            assert_eq!(res.unwrap(), 33);
            assert_eq!(buf, vec![i; 33]);
        }
        sock.set_broadcast(true).unwrap();
        assert!(sock.broadcast().unwrap());
    });
    echo.join().unwrap();
}

#[test]
fn unix_stream_round_trip_with_std_peer_at_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let echo = thread::spawn(move || {
        let (mut s, _) = std_listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            s.write_all(&buf[..n]).unwrap();
        }
    });
    uring_rt::start(async move {
        let s = UnixStream::connect(&path).await.unwrap();
        assert_eq!(s.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
        for len in [1usize, 100, 4000] {
            let msg = vec![len as u8; len];
            s.write_all(msg.clone()).await.0.unwrap();
            let mut got = Vec::new();
            while got.len() < len {
                let (res, buf) = s.read(Vec::with_capacity(len)).await;
                assert!(res.unwrap() > 0);
                got.extend_from_slice(&buf);
            }
            assert_eq!(got, msg);
        }
        s.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(s.read(Vec::with_capacity(8)).await.0.unwrap(), 0);
    });
    echo.join().unwrap();
}

#[test]
fn unix_listener_abstract_name_with_std_client() {
    let name = format!("uring-rt-test-{}", std::process::id());
    let addr = UnixAddr::from_abstract_name(name.as_bytes()).unwrap();
    uring_rt::start(async move {
        let listener = UnixListener::bind_addr(&addr).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_abstract_name(),
            Some(name.as_bytes())
        );
        let a2 = addr.clone();
        let client = thread::spawn(move || {
            let mut c = std::os::unix::net::UnixStream::connect_addr(&a2).unwrap();
            c.write_all(b"abstract").unwrap();
            let mut back = [0u8; 8];
            c.read_exact(&mut back).unwrap();
            back
        });
        let (s, peer) = listener.accept().await.unwrap();
        assert!(peer.is_unnamed());
        let (res, buf) = s.read(Vec::with_capacity(8)).await;
        assert_eq!(res.unwrap(), 8);
        s.write_all(buf).await.0.unwrap();
        let back = uring_rt::spawn_blocking(move || client.join().unwrap())
            .await
            .unwrap();
        assert_eq!(&back, b"abstract");
    });
}

#[test]
fn unix_datagram_round_trip_with_std_peer() {
    let dir = tempfile::tempdir().unwrap();
    let peer_path = dir.path().join("peer");
    let ours = dir.path().join("ours");
    let peer = std::os::unix::net::UnixDatagram::bind(&peer_path).unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; 1024];
        for _ in 0..3 {
            let (n, from) = peer.recv_from(&mut buf).unwrap();
            peer.send_to(&buf[..n], from.as_pathname().unwrap())
                .unwrap();
        }
    });
    uring_rt::start(async move {
        let sock = UnixDatagram::bind(&ours).unwrap();
        for i in 0..3u8 {
            let (res, _) = sock.send_to(vec![i; 10 + i as usize], &peer_path).await;
            assert_eq!(res.unwrap(), 10 + i as usize);
            let (res, buf) = sock.recv_from(Vec::with_capacity(64)).await;
            let (n, from) = res.unwrap();
            assert_eq!(from.as_pathname(), Some(peer_path.as_path()));
            assert_eq!(&buf[..n], &vec![i; 10 + i as usize][..]);
        }
    });
    echo.join().unwrap();
}
