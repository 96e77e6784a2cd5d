//! TCP against peers we did not write (std sockets in threads): echo, bulk transfer with a
//! checksum, refused connects, resets, zero-copy sends, name resolution, split halves.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::thread;
use std::time::Duration;

use uring_rt::buf::IoBuf;
use uring_rt::net::{TcpListener, TcpStream};

fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= b as u64;
        *hash = hash.wrapping_mul(0x100000001b3);
    }
}

const FNV0: u64 = 0xcbf29ce484222325;

/// Pseudo-random bytes that depend on `seed` and the position.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e3779b97f4a7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Echoes every byte back until the peer closes.
async fn echo(stream: TcpStream) {
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        buf.clear();
        let (res, b) = stream.read(buf).await;
        match res {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let (res, b) = stream.write_all(b).await;
        if res.is_err() {
            return;
        }
        buf = b;
    }
}

#[test]
fn echo_64_std_clients_1_byte_to_64_kib() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        uring_rt::start(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            let mut tasks = Vec::new();
            for _ in 0..64 {
                let (stream, peer) = listener.accept().await.unwrap();
                assert!(peer.ip().is_loopback());
                tasks.push(uring_rt::spawn(echo(stream)));
            }
            for t in tasks {
                t.await.unwrap();
            }
        })
    });
    let clients: Vec<_> = (0..64u64)
        .map(|id| {
            thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                let mut len = 1;
                while len <= 64 * 1024 {
                    let msg = pattern(id * 1000 + len as u64, len);
                    s.write_all(&msg).unwrap();
                    let mut back = vec![0u8; len];
                    s.read_exact(&mut back).unwrap();
                    assert_eq!(back, msg, "client {id}, {len} bytes");
                    len = len * 2 + (id as usize % 3);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.join().unwrap();
}

#[test]
fn sixteen_mib_each_way_with_checksum() {
    const LEN: usize = 16 << 20;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The std peer sends 16 MiB and receives 16 MiB at the same time.
    let peer = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut w = s.try_clone().unwrap();
        let writer = thread::spawn(move || {
            let mut hash = FNV0;
            for i in 0..(LEN / 65536) {
                let chunk = pattern(i as u64, 65536);
                fnv(&mut hash, &chunk);
                w.write_all(&chunk).unwrap();
            }
            w.shutdown(Shutdown::Write).unwrap();
            hash
        });
        let mut r = s;
        let mut hash = FNV0;
        let mut total = 0;
        let mut buf = vec![0u8; 100_000];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            fnv(&mut hash, &buf[..n]);
            total += n;
        }
        (writer.join().unwrap(), hash, total)
    });
    let (sent_by_us, received_by_us) = uring_rt::start(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (rd, wr) = stream.into_split();
        let sender = uring_rt::spawn(async move {
            let mut hash = FNV0;
            for i in 0..(LEN / 65536) {
                let chunk = pattern(i as u64 + 7777, 65536);
                fnv(&mut hash, &chunk);
                wr.write_all(chunk).await.0.unwrap();
            }
            wr.shutdown().unwrap();
            hash
        });
        let mut hash = FNV0;
        let mut total = 0;
        let mut buf = Vec::with_capacity(256 * 1024);
        loop {
            buf.clear();
            let (res, b) = rd.read(buf).await;
            let n = res.unwrap();
            if n == 0 {
                break;
            }
            fnv(&mut hash, &b[..n]);
            total += n;
            buf = b;
        }
        assert_eq!(total, LEN);
        (sender.await.unwrap(), hash)
    });
    let (peer_sent, peer_received, peer_total) = peer.join().unwrap();
    assert_eq!(peer_total, LEN);
    assert_eq!(peer_received, sent_by_us, "bytes we sent arrived intact");
    assert_eq!(
        received_by_us, peer_sent,
        "bytes the peer sent arrived intact"
    );
}

#[test]
fn connect_refused_is_connection_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    uring_rt::start(async move {
        let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn peer_reset_is_connection_reset_then_write_fails_without_sigpipe() {
    uring_rt::start(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::net::TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // SO_LINGER 0: close sends RST.
        socket2::SockRef::from(&client)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(client);
        let (res, _) = server.read(Vec::with_capacity(16)).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionReset);
        let mut last = Ok(0);
        for _ in 0..3 {
            let (res, _) = server.write(vec![1u8; 1024]).await;
            last = res;
            if last.is_err() {
                break;
            }
        }
        let kind = last.unwrap_err().kind();
        assert!(
            kind == ErrorKind::BrokenPipe || kind == ErrorKind::ConnectionReset,
            "{kind:?}"
        );
    });
}

#[test]
fn send_zc_buffer_is_reused_only_after_notification() {
    const LEN: usize = 1 << 20;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        all
    });
    let supported = uring_rt::start(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut buf = vec![0u8; LEN];
        for round in 0..4u8 {
            buf.iter_mut().for_each(|b| *b = round);
            let mut sent = 0;
            while sent < LEN {
                let (res, b) = stream.send_zc(buf.slice(sent..)).await;
                buf = b.into_inner();
                match res {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == ErrorKind::Unsupported => return false,
                    Err(e) => panic!("send_zc: {e}"),
                }
            }
            // The buffer is ours again: overwriting it now must not change what was sent.
        }
        stream.shutdown(Shutdown::Write).unwrap();
        true
    });
    let all = peer.join().unwrap();
    if !supported {
        eprintln!("skipped: the kernel lacks IORING_OP_SEND_ZC");
        return;
    }
    assert_eq!(all.len(), 4 * LEN);
    for (round, chunk) in all.chunks(LEN).enumerate() {
        assert!(chunk.iter().all(|&b| b == round as u8), "round {round}");
    }
}

#[test]
fn localhost_resolves_on_the_blocking_pool_and_vectored_io_works() {
    uring_rt::start(async {
        let listener = TcpListener::bind(("localhost", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("localhost", port)).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(
            client.peer_addr().unwrap(),
            SocketAddr::from(([127, 0, 0, 1], port))
        );
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        let (res, _) = client
            .writev(vec![b"abc".to_vec(), b"".to_vec(), b"defgh".to_vec()])
            .await;
        assert_eq!(res.unwrap(), 8);
        let mut got = Vec::new();
        while got.len() < 8 {
            let (res, bufs) = server
                .readv(vec![Vec::with_capacity(3), Vec::with_capacity(16)])
                .await;
            res.unwrap();
            got.extend(bufs.into_iter().flatten());
        }
        assert_eq!(got, b"abcdefgh");
    });
}

#[test]
fn sockets_and_their_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TcpStream>();
    send_sync::<TcpListener>();
    send_sync::<uring_rt::net::UdpSocket>();
    send_sync::<uring_rt::net::UnixStream>();
    send_sync::<uring_rt::net::OwnedReadHalf>();
    send_sync::<uring_rt::net::OwnedWriteHalf>();
    uring_rt::start(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connect = TcpStream::connect(addr);
        send(&connect);
        let stream = connect.await.unwrap();
        let accept = listener.accept();
        send(&accept);
        let (server, _) = accept.await.unwrap();
        let read = server.read(Vec::with_capacity(8));
        send(&read);
        drop(read);
        let write = stream.write_all(vec![1u8]);
        send(&write);
        write.await.0.unwrap();
        let incoming = listener.incoming();
        send(&incoming);
    });
}

#[test]
fn multishot_chunks_are_written_back_without_copying() {
    use uring_rt::net::BufRing;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let data = pattern(7, 256 * 1024);
        let writer = {
            let mut s = s.try_clone().unwrap();
            let data = data.clone();
            thread::spawn(move || s.write_all(&data).unwrap())
        };
        let mut back = vec![0u8; data.len()];
        s.read_exact(&mut back).unwrap();
        writer.join().unwrap();
        assert!(back == data, "echoed bytes differ");
    });
    uring_rt::start(async move {
        let listener = TcpListener::from_std(listener).unwrap();
        let ring = BufRing::new(64, 4096).unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let mut chunks = stream.recv_stream(&ring).unwrap();
        let mut echoed = 0;
        while echoed < 256 * 1024 {
            let chunk = chunks.next().await.unwrap().unwrap();
            echoed += chunk.len();
            // A ring buffer is an IoBuf: it goes straight to the send and back to the ring.
            let (res, _chunk) = stream.write_all(chunk).await;
            res.unwrap();
        }
    });
    client.join().unwrap();
}

#[test]
fn byte_literals_can_be_written_directly() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = [0u8; 5];
        s.read_exact(&mut got).unwrap();
        got
    });
    uring_rt::start(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"hello").await.0.unwrap();
    });
    assert_eq!(&peer.join().unwrap(), b"hello");
}

#[test]
fn peek_leaves_the_bytes_for_the_next_read_and_sees_kept_bytes() {
    use std::future::{poll_fn, Future};
    use std::task::Poll;
    uring_rt::start(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let data: Vec<u8> = (0..100u8).collect();
        client.write_all(data.clone()).await.0.unwrap();
        // Two peeks see the same bytes; then a read consumes them.
        for _ in 0..2 {
            let (n, buf) = server.peek(Vec::with_capacity(4096)).await;
            let n = n.unwrap();
            assert!(n > 0 && n <= 100);
            assert_eq!(&buf[..n], &data[..n]);
        }
        let mut got = Vec::new();
        while got.len() < 100 {
            let (n, buf) = server.read(Vec::with_capacity(4096)).await;
            got.extend_from_slice(&buf[..n.unwrap()]);
        }
        assert_eq!(got, data);

        // A peek dropped after the kernel completed it keeps nothing: the bytes are still in
        // the socket, and the next read returns each of them exactly once.
        let mut peek = Box::pin(server.peek(Vec::with_capacity(64)));
        let first = poll_fn(|cx| Poll::Ready(peek.as_mut().poll(cx).is_ready())).await;
        assert!(!first);
        client.write_all(vec![7u8; 10]).await.0.unwrap();
        uring_rt::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(peek);
        let (n, buf) = server.read(Vec::with_capacity(64)).await;
        assert_eq!(&buf[..n.unwrap()], &[7u8; 10]);

        // Bytes kept from a dropped read are seen by a peek and still returned by the read.
        let mut read = Box::pin(server.read(Vec::with_capacity(64)));
        let first = poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx).is_ready())).await;
        assert!(!first);
        client.write_all(vec![9u8; 5]).await.0.unwrap();
        uring_rt::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(read);
        let (n, buf) = server.peek(Vec::with_capacity(64)).await;
        assert_eq!(&buf[..n.unwrap()], &[9u8; 5]);
        let (n, buf) = server.read(Vec::with_capacity(64)).await;
        assert_eq!(&buf[..n.unwrap()], &[9u8; 5]);
    });
}
