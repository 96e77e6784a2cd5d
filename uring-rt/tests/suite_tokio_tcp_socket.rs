//! tokio's `tokio/tests/tcp_socket.rs` restated for `uring_rt::net::TcpSocket`: a socket
//! bound and listening, one connecting (bound first or not), and each option reading back
//! what was set (Linux reports buffer sizes doubled). Added: the errors of a refused
//! connect and of a port in use, and listening without a bind.
//!
//! `[::1]` cases run only where the machine has an IPv6 loopback (else skipped with a
//! printed reason).

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use uring_rt::net::{TcpListener, TcpSocket};

/// A socket constructor: `TcpSocket::new_v4` or `new_v6`.
type New = fn() -> std::io::Result<TcpSocket>;

/// A bound, listening socket, or `None` (with the reason printed) without that loopback.
fn listener(addr: &str, new: New) -> Option<TcpListener> {
    let srv = new().unwrap();
    if let Err(e) = srv.bind(addr.parse().unwrap()) {
        println!("skipped {addr}: no such loopback here ({e})");
        return None;
    }
    Some(srv.listen(128).unwrap())
}

/// `basic_usage_v4`, `basic_usage_v6`: bind, listen, connect, accept; data flows.
#[test]
fn bind_listen_connect_accept_v4_and_v6() {
    uring_rt::start(async {
        let cases: [(&str, New); 2] = [
            ("127.0.0.1:0", TcpSocket::new_v4),
            ("[::1]:0", TcpSocket::new_v6),
        ];
        for (addr, new) in cases {
            let Some(srv) = listener(addr, new) else {
                continue;
            };
            let addr = srv.local_addr().unwrap();
            let (cli, acc) = futures::join!(new().unwrap().connect(addr), srv.accept());
            let (cli, (srv_side, peer)) = (cli.unwrap(), acc.unwrap());
            assert_eq!(peer, cli.local_addr().unwrap());
            cli.write_all(b"over").await.0.unwrap();
            let (res, buf) = srv_side.read(Vec::with_capacity(8)).await;
            assert_eq!(res.unwrap(), 4);
            assert_eq!(buf, b"over");
        }
    });
}

/// `bind_before_connect`: a client bound first connects from the address it was bound to.
#[test]
fn bind_before_connect_keeps_the_bound_address() {
    uring_rt::start(async {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let srv = listener("127.0.0.1:0", TcpSocket::new_v4).unwrap();
        let cli = TcpSocket::new_v4().unwrap();
        cli.bind(any).unwrap();
        let bound = cli.local_addr().unwrap();
        assert_ne!(bound.port(), 0);
        let (cli, acc) = futures::join!(cli.connect(srv.local_addr().unwrap()), srv.accept());
        let cli = cli.unwrap();
        assert_eq!(cli.local_addr().unwrap(), bound);
        assert_eq!(acc.unwrap().1, bound);
    });
}

/// `basic_linger` and the option tests: each getter starts elsewhere than the value set,
/// then reads back what was set (buffer sizes doubled, as Linux reports them).
#[test]
fn options_read_back_on_v4_and_v6_sockets() {
    macro_rules! check {
        ($s:expr, $get:ident, $set:ident($arg:expr), $want:expr) => {{
            let initial = $s.$get().expect(stringify!($get));
            assert_ne!(initial, $want, "{} starts at the value", stringify!($get));
            $s.$set($arg).expect(stringify!($set));
            assert_eq!($s.$get().unwrap(), $want, stringify!($get));
        }};
    }
    let v4 = TcpSocket::new_v4().unwrap();
    let v6 = TcpSocket::new_v6();
    if let Err(e) = &v6 {
        println!("skipped the IPv6 socket: {e}");
    }
    for s in std::iter::once(v4).chain(v6) {
        check!(s, keepalive, set_keepalive(true), true);
        check!(s, reuseaddr, set_reuseaddr(true), true);
        check!(s, reuseport, set_reuseport(true), true);
        check!(s, send_buffer_size, set_send_buffer_size(4096), 8192);
        check!(s, recv_buffer_size, set_recv_buffer_size(4096), 8192);
        let ten = Some(Duration::from_secs(10));
        check!(s, linger, set_linger(ten), ten);
        s.set_zero_linger().unwrap();
        assert_eq!(s.linger().unwrap(), Some(Duration::ZERO));
        check!(s, nodelay, set_nodelay(true), true);
        if s.local_addr().unwrap().is_ipv6() {
            check!(s, tclass_v6, set_tclass_v6(96), 96);
        } else {
            check!(s, tos_v4, set_tos_v4(96), 96);
        }
        assert!(s.take_error().unwrap().is_none());
    }
}

/// Errors as tokio's: a refused connect is `ConnectionRefused`; binding a port a listener
/// holds is `AddrInUse` (even with `SO_REUSEADDR`); an unbound socket listens on a port
/// the kernel picks.
#[test]
fn refused_connect_port_in_use_and_listen_without_bind() {
    uring_rt::start(async {
        let l = listener("127.0.0.1:0", TcpSocket::new_v4).unwrap();
        let taken = l.local_addr().unwrap();
        let s = TcpSocket::new_v4().unwrap();
        s.set_reuseaddr(true).unwrap();
        assert_eq!(s.bind(taken).unwrap_err().kind(), ErrorKind::AddrInUse);
        // A wrong-family address is refused, not bound.
        let e = s.bind("[::1]:0".parse().unwrap()).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EAFNOSUPPORT), "{e:?}");
        drop(l);
        let e = TcpSocket::new_v4()
            .unwrap()
            .connect(taken)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);

        // Listening unbound binds the wildcard address and a free port (not connected to: the
        // tests stay off every interface but loopback).
        let any = TcpSocket::new_v4().unwrap().listen(16).unwrap();
        let addr = any.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        assert!(addr.ip().is_unspecified());
    });
}
