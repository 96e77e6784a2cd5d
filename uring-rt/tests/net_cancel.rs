//! Dropped futures lose nothing: bytes a dropped read received come out of the next read,
//! a connection a dropped accept got is returned by the next accept, reused buffers are
//! never written after their read was dropped.

use std::future::{poll_fn, Future};
use std::io::{Read, Write};
use std::pin::Pin;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use uring_rt::net::{BufRing, TcpListener, TcpStream, UnixStream};
use uring_rt::time::{sleep, timeout};

/// Polls `fut` once (so its SQE is queued); `Some` if it finished.
async fn poll_once<F: Future + ?Sized>(fut: &mut Pin<Box<F>>) -> Option<F::Output> {
    poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

#[test]
fn read_dropped_after_kernel_received_keeps_the_bytes() {
    uring_rt::start(async {
        let (a, b) = UnixStream::pair().unwrap();
        for round in 0..50u8 {
            // A read into a 64-byte buffer, submitted, then the data arrives and the kernel
            // completes it while nobody polls the future; then the future is dropped.
            let mut read = Box::pin(b.read(Vec::with_capacity(64)));
            assert!(poll_once(&mut read).await.is_none());
            a.write_all(vec![round; 10]).await.0.unwrap();
            sleep(Duration::from_millis(2)).await;
            drop(read);
            let (res, buf) = b.read(Vec::with_capacity(64)).await;
            assert_eq!(res.unwrap(), 10, "round {round}");
            assert_eq!(buf, vec![round; 10]);
        }
    });
}

#[test]
fn reads_cancelled_by_timeouts_lose_no_bytes_and_keep_order() {
    const TOTAL: usize = 200_000;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let data: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
        for (i, chunk) in data.chunks(997).enumerate() {
            s.write_all(chunk).unwrap();
            if i % 7 == 0 {
                thread::sleep(Duration::from_micros(300));
            }
        }
    });
    let got = uring_rt::start(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut got = Vec::with_capacity(TOTAL);
        let mut spare = Vec::with_capacity(4096);
        let mut cancelled = 0;
        loop {
            spare.clear();
            // Reuse one buffer: if a dropped read's buffer were written later, the bytes we
            // already copied out would not change, but the next read's would be corrupted.
            match timeout(Duration::from_micros(200), stream.read(spare)).await {
                Ok((res, buf)) => {
                    let n = res.unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    spare = buf;
                }
                Err(_) => {
                    cancelled += 1;
                    spare = Vec::with_capacity(4096);
                }
            }
        }
        assert!(cancelled > 0, "the test must actually cancel reads");
        got
    });
    writer.join().unwrap();
    assert_eq!(got.len(), TOTAL);
    let expected: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
    assert!(got == expected, "bytes lost or reordered");
}

#[test]
fn accept_dropped_while_a_client_connects_loses_no_connection() {
    uring_rt::start(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        for round in 0..20u8 {
            let mut accept = Box::pin(listener.accept());
            assert!(poll_once(&mut accept).await.is_none());
            let mut client = std::net::TcpStream::connect(addr).unwrap();
            client.write_all(&[round]).unwrap();
            sleep(Duration::from_millis(2)).await;
            drop(accept); // the kernel accepted it already
            let (stream, peer) = timeout(Duration::from_secs(5), listener.accept())
                .await
                .expect("the kept connection is returned")
                .unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
            let (res, buf) = stream.read(Vec::with_capacity(4)).await;
            assert_eq!(res.unwrap(), 1);
            assert_eq!(buf, [round]);
            stream.write_all(vec![round]).await.0.unwrap();
            let mut back = [0u8];
            client.read_exact(&mut back).unwrap();
            assert_eq!(back, [round]);
        }
    });
}

#[test]
fn incoming_dropped_keeps_connections_for_accept() {
    uring_rt::start(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut incoming = Box::pin(async {
            let mut inc = listener.incoming();
            inc.next().await
        });
        assert!(poll_once(&mut incoming).await.is_none());
        let clients: Vec<_> = (0..3)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        sleep(Duration::from_millis(5)).await;
        drop(incoming);
        let mut peers = Vec::new();
        for _ in 0..3 {
            let (_, peer) = timeout(Duration::from_secs(5), listener.accept())
                .await
                .expect("kept connection")
                .unwrap();
            peers.push(peer);
        }
        let mut want: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
        peers.sort();
        want.sort();
        assert_eq!(peers, want);
    });
}

#[test]
fn recv_stream_yields_all_bytes_and_rearms_after_enobufs() {
    uring_rt::start(async {
        // Two tiny buffers: the kernel runs out (ENOBUFS) while we hold them.
        let ring = BufRing::new(2, 64).unwrap();
        let (a, b) = UnixStream::pair().unwrap();
        let writer = uring_rt::spawn(async move {
            for i in 0..200u32 {
                a.write_all(vec![(i % 256) as u8; 100]).await.0.unwrap();
                if i % 20 == 0 {
                    uring_rt::yield_now().await;
                }
            }
        });
        let mut chunks = b.recv_stream(&ring).unwrap();
        let mut got = Vec::new();
        let mut held = Vec::new();
        while got.len() < 20_000 {
            let buf = chunks.next().await.unwrap().unwrap();
            got.extend_from_slice(&buf);
            held.push(buf);
            if held.len() == 2 {
                sleep(Duration::from_millis(1)).await; // hold both: ENOBUFS
                held.clear();
            }
        }
        writer.await.unwrap();
        let want: Vec<u8> = (0..200u32)
            .flat_map(|i| vec![(i % 256) as u8; 100])
            .collect();
        assert_eq!(got, want);
    });
}

#[test]
fn recv_stream_dropped_keeps_bytes_for_read() {
    uring_rt::start(async {
        let ring = BufRing::new(8, 256).unwrap();
        let (a, b) = UnixStream::pair().unwrap();
        let mut chunks = b.recv_stream(&ring).unwrap();
        let mut next = Box::pin(chunks.next());
        assert!(poll_once(&mut next).await.is_none());
        a.write_all(b"kept".to_vec()).await.0.unwrap();
        sleep(Duration::from_millis(2)).await;
        drop(next);
        drop(chunks);
        let (res, buf) = b.read(Vec::with_capacity(16)).await;
        assert_eq!(res.unwrap(), 4);
        assert_eq!(buf, b"kept");
    });
}

#[test]
fn read_dropped_after_a_reset_keeps_the_error_for_the_next_read() {
    uring_rt::start(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = thread::spawn(move || std::net::TcpStream::connect(addr).unwrap());
        let (stream, _) = listener.accept().await.unwrap();
        let peer = peer.join().unwrap();
        // A read is submitted, the peer resets the connection (RST, not FIN), the kernel
        // completes the read with ECONNRESET while nobody polls it, then it is dropped.
        let mut read = Box::pin(stream.read(Vec::with_capacity(64)));
        assert!(poll_once(&mut read).await.is_none());
        socket2::SockRef::from(&peer)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(peer);
        sleep(Duration::from_millis(20)).await;
        drop(read);
        // The socket reports the reset once; the dropped read took it, the next read gets it.
        let (res, _) = stream.read(Vec::with_capacity(64)).await;
        assert_eq!(
            res.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::ConnectionReset)
        );
        // After the error: end of stream, as the kernel reports it.
        let (res, _) = stream.read(Vec::with_capacity(64)).await;
        assert_eq!(res.unwrap(), 0);
    });
}
