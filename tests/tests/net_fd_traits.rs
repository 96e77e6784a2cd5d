//! `AsRawFd`, `AsFd`, `IntoRawFd`, `FromRawFd` on every socket type and `File`: socket2 sets
//! options through them, fds round-trip through std without leaking.

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd};

use socket2::SockRef;
use uring_rt::fs::File;
use uring_rt::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

// One test function: counting this process's fds is only exact with nothing else running.
#[test]
fn fd_traits_on_every_type() {
    socket2_sets_options_through_as_fd();
    into_raw_fd_and_back_keeps_the_connection_and_leaks_nothing();
}

fn socket2_sets_options_through_as_fd() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let sock = SockRef::from(&c);
        sock.set_keepalive(true).unwrap();
        assert!(sock.keepalive().unwrap());
        assert_eq!(c.as_raw_fd(), c.as_fd().as_raw_fd());
        // Every type has the traits.
        let u = UdpSocket::bind("127.0.0.1:0").unwrap();
        SockRef::from(&u).set_broadcast(true).unwrap();
        assert!(u.broadcast().unwrap());
        let (a, _b) = UnixStream::pair().unwrap();
        let (d, _e) = UnixDatagram::pair().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ul = UnixListener::bind(dir.path().join("s")).unwrap();
        let f = File::open("/proc/self/stat").await.unwrap();
        let raws = [
            l.as_raw_fd(),
            u.as_raw_fd(),
            a.as_raw_fd(),
            d.as_raw_fd(),
            ul.as_raw_fd(),
            f.as_fd().as_raw_fd(),
        ];
        assert!(raws.iter().all(|&fd| fd > 2));
    });
}

fn into_raw_fd_and_back_keeps_the_connection_and_leaks_nothing() {
    uring_rt::start(async {
        let before = open_fds();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        // To std and back: the same connection, and the same fd (no operation holds it, so
        // it is handed over rather than duplicated).
        let fd_before = c.as_raw_fd();
        let raw = c.into_raw_fd();
        assert_eq!(raw, fd_before);
        // SAFETY: `raw` came from into_raw_fd: open and ours.
        let mut std_c = unsafe { std::net::TcpStream::from_raw_fd(raw) };
        std_c.write_all(b"via std").unwrap();
        let (res, buf) = s.read(Vec::with_capacity(16)).await;
        assert_eq!(&buf[..res.unwrap()], b"via std");
        // SAFETY: as above.
        let c = unsafe { TcpStream::from_raw_fd(std_c.into_raw_fd()) };
        c.write_all(b"back".to_vec()).await.0.unwrap();
        let (res, buf) = s.read(Vec::with_capacity(16)).await;
        assert_eq!(&buf[..res.unwrap()], b"back");

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"file bytes").unwrap();
        let f = File::open(dir.path().join("f")).await.unwrap();
        // SAFETY: as above.
        let mut std_f = unsafe { std::fs::File::from_raw_fd(f.into_raw_fd()) };
        let mut text = String::new();
        std_f.read_to_string(&mut text).unwrap();
        assert_eq!(text, "file bytes");
        drop((l, c, s, std_f));
        // Closes through the ring are asynchronous: give them a few ticks.
        for _ in 0..100 {
            if open_fds() <= before {
                break;
            }
            uring_rt::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        assert_eq!(open_fds(), before);
    });
}
