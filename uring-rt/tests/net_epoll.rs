//! The epoll driver's socket paths: ops run as they are submitted (and complete in the poll
//! that submitted them when they do not block), keep their order on one descriptor, lose no
//! bytes when cancelled before their syscall, and a read after a short read (which the driver
//! takes as "drained" and does not retry until the next readiness event) still gets every
//! byte that arrives later.

use std::future::Future;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

use futures::future::join_all;
use uring_rt::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use uring_rt::runtime::DriverKind;
use uring_rt::time::timeout;
use uring_rt::Runtime;

const LIMIT: Duration = Duration::from_secs(10);

fn epoll() -> Runtime {
    Runtime::builder()
        .driver(DriverKind::Epoll)
        .build()
        .unwrap()
}

/// A connected pair: a uring-rt stream and a blocking std peer.
async fn tcp_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::net::TcpStream::connect(addr).unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    peer.set_read_timeout(Some(LIMIT)).unwrap();
    (stream, peer)
}

/// Byte `j` of chunk `i`: chunks are told apart wherever they are cut.
fn pattern(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j / 251) as u8).collect()
}

#[test]
fn an_op_that_does_not_block_completes_in_the_poll_that_submitted_it() {
    let rt = epoll();
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let before = rt.metrics();
        // A future polled exactly once: a write to an empty socket and a read of the bytes it
        // queued are both ready at their first poll.
        let mut w = Box::pin(a.write(b"ping".to_vec()));
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let std::task::Poll::Ready((res, _)) = w.as_mut().poll(&mut cx) else {
            panic!("a write that cannot block was not ready at its first poll");
        };
        assert_eq!(res.unwrap(), 4);
        let mut r = Box::pin(b.read(vec![0u8; 16]));
        let std::task::Poll::Ready((res, buf)) = r.as_mut().poll(&mut cx) else {
            panic!("a read of queued bytes was not ready at its first poll");
        };
        assert_eq!(&buf[..res.unwrap()], b"ping");
        let m = rt.metrics().since(&before);
        assert_eq!((m.ops_submitted, m.ops_completed), (2, 2), "{m:?}");
        assert_eq!(m.parks, 0, "{m:?}");
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn writes_on_one_socket_keep_their_order_when_some_block() {
    const CHUNKS: usize = 24;
    const LEN: usize = 48 * 1024;
    let rt = epoll();
    let (sent, received) = rt.block_on(async {
        let (stream, mut peer) = tcp_pair().await;
        // A small send buffer: most writes wait for room, queued behind the first that did.
        let small: libc::c_int = 4096;
        // SAFETY: setsockopt on a live socket with a pointer to a live c_int of the size given.
        let r = unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&small as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0);
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            peer.read_to_end(&mut all).unwrap();
            all
        });
        // join_all polls its futures in order (fewer than 30: no FuturesOrdered), so the
        // writes are submitted in index order.
        let writes = (0..CHUNKS).map(|i| stream.write(pattern(i, LEN)));
        let results = timeout(LIMIT, join_all(writes))
            .await
            .expect("writes stuck");
        let mut sent = Vec::new();
        for (i, (res, buf)) in results.into_iter().enumerate() {
            let n = res.unwrap();
            assert!(n > 0, "write {i} sent nothing");
            assert_eq!(buf, pattern(i, LEN), "buffer {i} came back changed");
            sent.extend_from_slice(&buf[..n]);
        }
        drop(stream);
        (sent, reader.join().unwrap())
    });
    assert_eq!(received.len(), sent.len());
    assert!(received == sent, "the peer got the chunks out of order");
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn receives_waiting_on_one_socket_complete_in_submission_order() {
    const N: usize = 16;
    let rt = epoll();
    rt.block_on(async {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx.local_addr().unwrap();
        let recvs = join_all((0..N).map(|_| rx.recv_from(vec![0u8; 32])));
        let send = async {
            // The receives are all queued (the first found nothing) before any datagram.
            uring_rt::time::sleep(Duration::from_millis(5)).await;
            for i in 0..N {
                let (res, _) = tx.send_to(vec![i as u8; 8], to).await;
                assert_eq!(res.unwrap(), 8);
            }
        };
        let (got, ()) = timeout(LIMIT, futures::future::join(recvs, send))
            .await
            .expect("receives stuck");
        for (i, (res, buf)) in got.into_iter().enumerate() {
            let (n, _) = res.unwrap();
            assert_eq!(&buf[..n], &[i as u8; 8], "receive {i} got another datagram");
        }
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn a_read_cancelled_while_waiting_loses_no_bytes() {
    let rt = epoll();
    rt.block_on(async {
        let (stream, mut peer) = tcp_pair().await;
        let (ua, mut ub) = {
            let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
            (UnixStream::from_std(a).unwrap(), b)
        };
        for round in 0..20u8 {
            let before = rt.metrics();
            // Nothing to read: the read waits for readiness, then its future is dropped.
            let t = timeout(Duration::from_millis(2), stream.read(vec![0u8; 64])).await;
            assert!(t.is_err(), "a read with nothing sent completed");
            let t = timeout(Duration::from_millis(2), ua.read(vec![0u8; 64])).await;
            assert!(t.is_err(), "a read with nothing sent completed");
            assert_eq!(rt.metrics().since(&before).ops_cancelled, 2);
            // Bytes sent after the cancel all reach the next read (which the driver queues
            // without a syscall: the cancelled read left the socket marked drained).
            let msg = vec![round; 1 + usize::from(round)];
            peer.write_all(&msg).unwrap();
            ub.write_all(&msg).unwrap();
            for s in [&stream as &dyn ReadOnce, &ua] {
                let (res, buf) = timeout(LIMIT, s.read_once(vec![0u8; 64]))
                    .await
                    .expect("bytes sent after a cancelled read never arrived");
                assert_eq!(&buf[..res.unwrap()], &msg[..]);
            }
        }
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

/// The future of one read.
type ReadFut<'a> = std::pin::Pin<Box<dyn Future<Output = (std::io::Result<usize>, Vec<u8>)> + 'a>>;

/// One read of a TCP or a Unix stream (to run the same steps on both).
trait ReadOnce {
    fn read_once(&self, buf: Vec<u8>) -> ReadFut<'_>;
}

impl ReadOnce for TcpStream {
    fn read_once(&self, buf: Vec<u8>) -> ReadFut<'_> {
        Box::pin(self.read(buf))
    }
}

impl ReadOnce for UnixStream {
    fn read_once(&self, buf: Vec<u8>) -> ReadFut<'_> {
        Box::pin(self.read(buf))
    }
}

#[test]
fn a_read_after_a_short_read_gets_bytes_sent_before_and_after_it_is_submitted() {
    let rt = epoll();
    rt.block_on(async {
        let (stream, mut peer) = tcp_pair().await;
        let mut expected = Vec::new();
        let mut got = Vec::new();
        for round in 0..300usize {
            let msg = pattern(round, 1 + round % 97);
            expected.extend_from_slice(&msg);
            match round % 3 {
                // Sent before the read is submitted: the previous (short) read marked the
                // socket drained, so only the readiness event of these bytes brings them.
                0 => peer.write_all(&msg).unwrap(),
                // Sent in two pieces before the read.
                1 => {
                    let (x, y) = msg.split_at(msg.len() / 2);
                    peer.write_all(x).unwrap();
                    peer.write_all(y).unwrap();
                }
                // Sent by another thread while the read waits.
                _ => {
                    let mut p = peer.try_clone().unwrap();
                    let m = msg.clone();
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(1));
                        p.write_all(&m).unwrap();
                    });
                }
            }
            // Read until this round's bytes are in (a short read each time: 128 > len).
            while got.len() < expected.len() {
                let (res, buf) = timeout(LIMIT, stream.read(Vec::with_capacity(128)))
                    .await
                    .unwrap_or_else(|_| panic!("round {round}: a read after a short read hung"));
                let n = res.unwrap();
                assert!(n > 0, "round {round}: EOF");
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got.len(), expected.len(), "round {round}");
        }
        assert!(got == expected, "bytes out of order or changed");
        // The last bytes and the FIN arrive together, and their readiness event is collected
        // (by the park of the sleep) before the read: the read that returns the bytes is
        // short, and the one after it must still see the EOF (no event will come for it).
        peer.write_all(b"tail").unwrap();
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        uring_rt::time::sleep(Duration::from_millis(20)).await;
        let (res, buf) = timeout(LIMIT, stream.read(vec![0u8; 16]))
            .await
            .expect("the bytes before a FIN never arrived");
        assert_eq!(&buf[..res.unwrap()], b"tail");
        let (res, _) = timeout(LIMIT, stream.read(vec![0u8; 16]))
            .await
            .expect("a read after the short read of the bytes before a FIN hung");
        assert_eq!(res.unwrap(), 0);
        // EOF again (a read after EOF returns at once).
        drop(peer);
        let (res, _) = timeout(LIMIT, stream.read(vec![0u8; 16]))
            .await
            .expect("EOF after a short read never seen");
        assert_eq!(res.unwrap(), 0);
    });
    assert_eq!(rt.in_flight_ops(), 0);
}
