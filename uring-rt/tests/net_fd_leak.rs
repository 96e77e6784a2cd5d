//! `/proc/self/fd` is unchanged after 10,000 cancelled accepts and connects. Its own test
//! binary: the fd count is process-wide.

use std::future::{poll_fn, Future};
use std::io::Write;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use uring_rt::net::{TcpListener, TcpStream};
use uring_rt::time::{sleep, timeout};

/// The tests of this binary count process-wide fds: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

async fn poll_once<F: Future + ?Sized>(fut: &mut Pin<Box<F>>) -> Option<F::Output> {
    poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

#[test]
fn ten_thousand_cancelled_accepts_and_connects_leak_no_fd() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before_runtime = open_fds();
    uring_rt::start(async {
        let listener = TcpListener::builder()
            .backlog(4096)
            .bind("127.0.0.1:0")
            .unwrap();
        let addr = listener.local_addr().unwrap();
        // Let the runtime settle (eventfd, ring) before counting.
        uring_rt::io::nop().await.unwrap();
        let before = open_fds();

        // 10,000 accepts, each submitted and dropped; every 10th has a client connecting
        // while it is in flight, so some are dropped after the kernel accepted.
        let mut clients = Vec::new();
        let mut accepted = 0;
        for i in 0..10_000 {
            let mut accept = Box::pin(listener.accept());
            if let Some(res) = poll_once(&mut accept).await {
                drop(res.unwrap()); // a kept connection came back at once
                accepted += 1;
                continue;
            }
            if i % 10 == 0 {
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                c.write_all(b"x").unwrap();
                clients.push(c);
                uring_rt::io::nop().await.unwrap(); // let the accept complete
            }
            drop(accept);
        }
        // Every connection a dropped accept took is kept for the next accepts.
        let mut kept = 0;
        while let Ok(res) = timeout(Duration::from_millis(50), listener.accept()).await {
            drop(res.unwrap());
            kept += 1;
        }
        assert_eq!(
            accepted + kept,
            clients.len(),
            "every connection is accepted once"
        );
        drop(clients);

        // 10,000 connects dropped at different points: before the socket exists, with the
        // socket made and the connect in flight.
        for i in 0..10_000 {
            let mut connect = Box::pin(TcpStream::connect(addr));
            if poll_once(&mut connect).await.is_none() && i % 2 == 0 {
                uring_rt::io::nop().await.unwrap();
                if let Some(res) = poll_once(&mut connect).await {
                    drop(res);
                }
            }
            drop(connect);
            if i % 1000 == 999 {
                // Drain the backlog so connects keep completing instead of queueing.
                while let Ok(res) = timeout(Duration::from_millis(5), listener.accept()).await {
                    drop(res.unwrap());
                }
            }
        }
        while let Ok(res) = timeout(Duration::from_millis(50), listener.accept()).await {
            drop(res.unwrap());
        }
        // Closes are asynchronous: give them a moment.
        for _ in 0..100 {
            if open_fds() == before {
                break;
            }
            sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(open_fds(), before, "fds leaked inside the runtime");
    });
    assert_eq!(open_fds(), before_runtime, "fds leaked after the runtime");
}

#[test]
fn runtime_dropped_with_socket_ops_in_flight_closes_every_fd() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = open_fds();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    {
        let rt = uring_rt::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let (a, b) = uring_rt::net::UnixStream::pair().unwrap();
            let ring = uring_rt::net::BufRing::new(4, 64).unwrap();
            let (c, d) = uring_rt::net::UnixStream::pair().unwrap();
            uring_rt::spawn(async move { listener.accept().await.map(drop) });
            uring_rt::spawn(async move { b.read(Vec::with_capacity(8)).await.0.map(drop) });
            uring_rt::spawn(async move {
                let mut chunks = d.recv_stream(&ring).unwrap();
                chunks.next().await.map(|r| r.map(drop))
            });
            uring_rt::spawn(async move {
                let udp = uring_rt::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                udp.recv_from(Vec::with_capacity(8)).await.0.map(drop)
            });
            // A connect that completes, whose stream then waits for data in a read.
            uring_rt::spawn(async move {
                let s = TcpStream::connect(addr).await.unwrap();
                s.read(Vec::with_capacity(8)).await.0.map(drop)
            });
            for _ in 0..10 {
                uring_rt::yield_now().await;
                uring_rt::io::nop().await.unwrap();
            }
            drop((a, c));
        });
        drop(rt);
    }
    drop(std_listener);
    assert_eq!(
        open_fds(),
        before,
        "fds leaked by a runtime dropped with I/O in flight"
    );
}
