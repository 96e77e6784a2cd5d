//! 10,000 concurrent connections on one runtime. Its own test binary: it raises
//! RLIMIT_NOFILE, which is process-wide. The clients run in a child process (this binary,
//! re-run in client mode) with a runtime of their own, so each side needs 10,000 fds, which
//! fits the usual hard limit of 20,000 without privileges.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::rc::Rc;

use uring_rt::net::{TcpListener, TcpStream};

const CONNS: usize = 10_000;
const TEST: &str = "ten_thousand_concurrent_connections_on_one_runtime";
const CLIENT_ENV: &str = "URING_RT_NET_MANY_CLIENT";

fn raise_nofile(want: u64) -> bool {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit to write into.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur >= want {
        return true;
    }
    let new = libc::rlimit {
        rlim_cur: want.min(lim.rlim_max),
        rlim_max: lim.rlim_max,
    };
    // SAFETY: `new` is a valid rlimit within the hard limit.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) == 0 && lim.rlim_max >= want }
}

/// The child: 10,000 connections at once, each sends its number and checks the echo; all
/// stay open until every one is checked.
fn client(addr: SocketAddr) {
    uring_rt::start(async move {
        let clients: Vec<_> = (0..CONNS)
            .map(|i| {
                uring_rt::spawn(async move {
                    let s = TcpStream::connect(addr).await.unwrap();
                    let msg = (i as u64).to_le_bytes().to_vec();
                    s.write_all(msg.clone()).await.0.unwrap();
                    let (res, buf) = s.read(Vec::with_capacity(16)).await;
                    assert_eq!(res.unwrap(), 8);
                    assert_eq!(buf, msg);
                    s
                })
            })
            .collect();
        let mut streams = Vec::with_capacity(CONNS);
        for c in clients {
            streams.push(c.await.unwrap());
        }
        assert_eq!(streams.len(), CONNS);
    });
}

#[test]
fn ten_thousand_concurrent_connections_on_one_runtime() {
    let want = CONNS as u64 + 500;
    if !raise_nofile(want) {
        eprintln!("skipped: cannot raise RLIMIT_NOFILE to {want}");
        return;
    }
    if let Ok(addr) = std::env::var(CLIENT_ENV) {
        client(addr.parse().unwrap());
        return;
    }
    let started = std::time::Instant::now();
    uring_rt::start(async {
        let listener = TcpListener::builder()
            .backlog(8192)
            .bind("127.0.0.1:0")
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
            .env(CLIENT_ENV, addr.to_string())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut incoming = listener.incoming();
        let mut open = Vec::with_capacity(CONNS);
        let mut echoes = Vec::with_capacity(CONNS);
        for _ in 0..CONNS {
            let stream = Rc::new(incoming.next().await.unwrap());
            let s = stream.clone();
            echoes.push(uring_rt::spawn(async move {
                let (res, buf) = s.read(Vec::with_capacity(16)).await;
                assert_eq!(res.unwrap(), 8);
                s.write_all(buf).await.0.unwrap();
            }));
            open.push(stream);
        }
        for e in echoes {
            e.await.unwrap();
        }
        // All 10,000 server ends are open at once on this runtime.
        assert_eq!(open.len(), CONNS);
        let status = uring_rt::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "client process failed: {status}");
    });
    eprintln!("10,000 connections in {:?}", started.elapsed());
}
