//! Receive bundles and incremental buffer consumption on a `RecvStream`: the bytes arrive
//! complete and in order, the features really were in play (the ring's counters), every
//! buffer goes back to the ring exactly once, and dropping the stream mid-transfer loses
//! nothing. On the epoll driver (or an older kernel) the switches fall back to plain
//! buffers, which is checked too.

use std::time::Duration;

use uring_rt::net::{BufRing, TcpListener, TcpStream, UnixStream};
use uring_rt::runtime::DriverKind;
use uring_rt::time::timeout;
use uring_rt::Runtime;

/// Bound on anything that could hang.
const BOUND: Duration = Duration::from_secs(20);

/// A pseudo-random payload (xorshift), different for each seed.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn runtime(kind: DriverKind) -> Runtime {
    Runtime::builder().driver(kind).build().unwrap()
}

/// What the ring reports it uses, checked against what the driver and kernel can do.
fn features(ring: &BufRing, kind: DriverKind, bundle: bool, inc: bool) {
    if kind == DriverKind::Epoll {
        assert!(!ring.is_bundle() && !ring.is_incremental(), "{ring:?}");
        return;
    }
    if bundle && !ring.is_bundle() {
        eprintln!("note: this kernel has no receive bundles (Linux 6.10+): plain receives");
    }
    if inc && !ring.is_incremental() {
        eprintln!("note: this kernel has no incremental buffers (Linux 6.12+): plain buffers");
    }
    assert!(bundle || !ring.is_bundle());
    assert!(inc || !ring.is_incremental());
}

/// Waits (bounded) until every buffer of `ring` is back with the kernel.
async fn all_back(ring: &BufRing) {
    for _ in 0..2000 {
        if ring.in_use() == 0 {
            return;
        }
        uring_rt::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("buffers never came back: {} in use", ring.in_use());
}

/// Streams `len` pseudo-random bytes over TCP in writes of `write_size`, received through a
/// ring of `entries` x `buf_size` with the given switches; checks every byte, the counters
/// and the accounting.
fn stream_through(kind: DriverKind, bundle: bool, inc: bool, entries: u16, buf_size: usize) {
    stream_through_on(runtime(kind), kind, bundle, inc, entries, buf_size);
}

fn stream_through_on(
    rt: Runtime,
    kind: DriverKind,
    bundle: bool,
    inc: bool,
    entries: u16,
    buf_size: usize,
) {
    let len = 4 << 20;
    let write_size = 64 << 10;
    rt.block_on(async {
        let ring = BufRing::builder(entries, buf_size)
            .bundle(bundle)
            .incremental(inc)
            .build()
            .unwrap();
        features(&ring, kind, bundle, inc);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let data = payload(len, 7);
        let sent = data.clone();
        let writer = uring_rt::spawn(async move {
            for chunk in sent.chunks(write_size) {
                client.write_all(chunk.to_vec()).await.0.unwrap();
            }
            // Dropping the client closes it: the stream ends.
        });
        let mut got = Vec::with_capacity(len);
        let mut chunks = server.recv_stream(&ring).unwrap();
        timeout(BOUND, async {
            while let Some(buf) = chunks.next().await {
                let buf = buf.unwrap();
                assert!(!buf.is_empty());
                assert!(buf.len() <= buf_size, "a chunk is at most one buffer");
                got.extend_from_slice(&buf);
            }
        })
        .await
        .expect("the transfer hung");
        writer.await.unwrap();
        assert_eq!(got.len(), data.len());
        assert!(got == data, "bytes differ from what was sent");
        drop(chunks);
        all_back(&ring).await;
        let stats = ring.stats();
        eprintln!("{kind:?} bundle {bundle} inc {inc}: {ring:?} {stats:?}");
        assert!(stats.completions > 0);
        if ring.is_bundle() {
            assert!(
                stats.multi_buffer > 0,
                "bundles on, yet no completion filled two buffers: {stats:?}"
            );
        } else {
            assert_eq!(stats.multi_buffer, 0, "{stats:?}");
        }
        if !ring.is_incremental() {
            assert_eq!(stats.partial, 0, "{stats:?}");
        }
    });
}

#[test]
fn bundles_deliver_a_large_stream_in_order() {
    stream_through(DriverKind::IoUring, true, false, 256, 512);
}

#[test]
fn incremental_buffers_deliver_a_large_stream_in_order() {
    stream_through(DriverKind::IoUring, false, true, 64, 3000);
}

#[test]
fn bundles_and_incremental_buffers_together() {
    stream_through(DriverKind::IoUring, true, true, 128, 1000);
}

#[test]
fn bundles_and_incremental_buffers_on_direct_descriptors() {
    let rt = Runtime::builder()
        .driver(DriverKind::IoUring)
        .direct_descriptors(64)
        .build()
        .unwrap();
    stream_through_on(rt, DriverKind::IoUring, true, true, 128, 1000);
}

#[test]
fn on_the_epoll_driver_the_switches_fall_back_to_plain_buffers() {
    stream_through(DriverKind::Epoll, true, true, 64, 1024);
}

/// Small messages one at a time into large incremental buffers: each receive takes a piece,
/// pieces of one buffer continue one another, and pieces held by the application keep
/// their bytes while the kernel fills the rest of the buffer.
#[test]
fn incremental_pieces_share_a_buffer_and_stay_intact_while_held() {
    let rt = runtime(DriverKind::IoUring);
    rt.block_on(async {
        let ring = BufRing::builder(4, 4096).incremental(true).build().unwrap();
        features(&ring, DriverKind::IoUring, false, true);
        if !ring.is_incremental() {
            eprintln!("skipped: no incremental buffers here (Linux 6.12+)");
            return;
        }
        let (a, b) = UnixStream::pair().unwrap();
        let mut chunks = b.recv_stream(&ring).unwrap();
        let mut held = Vec::new();
        let mut sent = Vec::new();
        // 100 messages of 10..=109 bytes: about 6 KB, fewer than the ring's 16 KB, so all
        // pieces can be held at once.
        for i in 0..100u64 {
            let msg = payload(10 + i as usize, i + 1);
            a.write_all(msg.clone()).await.0.unwrap();
            sent.extend_from_slice(&msg);
            // Take what arrived, so the next message is a receive of its own.
            let mut have: usize = held.iter().map(|b: &uring_rt::net::RecvBuf| b.len()).sum();
            while have < sent.len() {
                let buf = timeout(BOUND, chunks.next())
                    .await
                    .unwrap()
                    .unwrap()
                    .unwrap();
                have += buf.len();
                held.push(buf);
            }
        }
        let got: Vec<u8> = held.iter().flat_map(|b| b.iter().copied()).collect();
        assert!(got == sent, "held pieces changed or arrived out of order");
        let stats = ring.stats();
        assert!(
            stats.partial >= 90,
            "incremental on, yet few completions left their buffer to the kernel: {stats:?}"
        );
        // About 6 KB in 4 KB buffers: the first is full, the second in progress.
        assert_eq!(ring.in_use(), 1, "{ring:?}");
        // The pieces point into one buffer, one after the other.
        let first = held[0].as_ptr() as usize;
        let second = held[1].as_ptr() as usize;
        assert_eq!(second, first + held[0].len());
        drop(held);
        drop(chunks);
        all_back(&ring).await;
    });
}

/// Drops the receive stream while bundles (and pieces) are queued: what was received and not
/// handed out is read back with plain reads, nothing is lost or duplicated, and every buffer
/// returns to the ring.
fn drop_mid_transfer(bundle: bool, inc: bool) {
    let rt = runtime(DriverKind::IoUring);
    rt.block_on(async {
        let ring = BufRing::builder(64, 256)
            .bundle(bundle)
            .incremental(inc)
            .build()
            .unwrap();
        features(&ring, DriverKind::IoUring, bundle, inc);
        let (a, b) = UnixStream::pair().unwrap();
        let data = payload(8000, 99);
        // All of it waits in the socket before the receive starts: the first completion is
        // a bundle of many buffers.
        a.write_all(data.clone()).await.0.unwrap();
        drop(a);
        let mut got = Vec::new();
        {
            let mut chunks = b.recv_stream(&ring).unwrap();
            for _ in 0..3 {
                let buf = timeout(BOUND, chunks.next())
                    .await
                    .unwrap()
                    .unwrap()
                    .unwrap();
                got.extend_from_slice(&buf);
            }
            // Let more completions queue up behind the ones taken.
            uring_rt::time::sleep(Duration::from_millis(20)).await;
        }
        loop {
            let (res, buf) = timeout(BOUND, b.read(Vec::with_capacity(1000)))
                .await
                .unwrap();
            if res.unwrap() == 0 {
                break;
            }
            got.extend_from_slice(&buf);
        }
        assert_eq!(got.len(), data.len());
        assert!(
            got == data,
            "bytes lost, duplicated or reordered by the drop"
        );
        if ring.is_bundle() {
            assert!(ring.stats().multi_buffer > 0, "{:?}", ring.stats());
        }
        all_back(&ring).await;
    });
}

#[test]
fn dropping_a_bundle_stream_mid_transfer_loses_nothing() {
    drop_mid_transfer(true, false);
}

#[test]
fn dropping_an_incremental_bundle_stream_mid_transfer_loses_nothing() {
    drop_mid_transfer(true, true);
}

/// One incremental ring shared by several streams: pieces of one buffer belong to
/// different streams, and each stream still gets exactly its own bytes, however the tasks
/// are scheduled.
#[test]
fn streams_sharing_an_incremental_ring_each_get_their_own_bytes() {
    let rt = runtime(DriverKind::IoUring);
    rt.block_on(async {
        let ring = BufRing::builder(8, 8192)
            .incremental(true)
            .bundle(true)
            .build()
            .unwrap();
        features(&ring, DriverKind::IoUring, true, true);
        let mut tasks = Vec::new();
        for s in 0..4u64 {
            let (a, b) = UnixStream::pair().unwrap();
            let ring = ring.clone();
            let data = payload(200_000, 1000 + s);
            let sent = data.clone();
            uring_rt::spawn(async move {
                let mut rest = &sent[..];
                let mut n = 1;
                while !rest.is_empty() {
                    let take = n.min(rest.len());
                    a.write_all(rest[..take].to_vec()).await.0.unwrap();
                    rest = &rest[take..];
                    n = n % 3000 + 97;
                    if n % 5 == 0 {
                        uring_rt::yield_now().await;
                    }
                }
            });
            tasks.push(uring_rt::spawn(async move {
                let mut chunks = b.recv_stream(&ring).unwrap();
                let mut got = Vec::new();
                while let Some(buf) = chunks.next().await {
                    let buf = buf.unwrap();
                    got.extend_from_slice(&buf);
                    if got.len() % 7 == 0 {
                        uring_rt::yield_now().await; // vary the order tasks take completions
                    }
                }
                assert!(got == data, "stream {s} got bytes that are not its own");
            }));
        }
        timeout(BOUND, async {
            for t in tasks {
                t.await.unwrap();
            }
        })
        .await
        .expect("a shared-ring stream hung");
        if ring.is_incremental() {
            assert!(ring.stats().partial > 0, "{:?}", ring.stats());
        }
        all_back(&ring).await;
    });
}

/// Two streams on one incremental ring take their completions in the opposite order to the
/// one the kernel filled the shared buffer in: each piece is still placed where the kernel
/// wrote it (pieces are resolved when completions are reaped, not when streams take them).
#[test]
fn pieces_are_placed_in_kernel_order_whatever_order_streams_take_them() {
    use std::future::poll_fn;
    use std::task::Poll;
    let rt = runtime(DriverKind::IoUring);
    rt.block_on(async {
        let ring = BufRing::builder(1, 4096).incremental(true).build().unwrap();
        features(&ring, DriverKind::IoUring, false, true);
        if !ring.is_incremental() {
            eprintln!("skipped: no incremental buffers here (Linux 6.12+)");
            return;
        }
        let (a_tx, a_rx) = UnixStream::pair().unwrap();
        let (b_tx, b_rx) = UnixStream::pair().unwrap();
        let mut sa = a_rx.recv_stream(&ring).unwrap();
        let mut sb = b_rx.recv_stream(&ring).unwrap();
        // Arm both receives without waiting for data.
        poll_fn(|cx| {
            assert!(sa.poll_next(cx).is_pending());
            assert!(sb.poll_next(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        let for_a = payload(100, 1);
        let for_b = payload(50, 2);
        a_tx.write_all(for_a.clone()).await.0.unwrap();
        uring_rt::time::sleep(Duration::from_millis(20)).await;
        b_tx.write_all(for_b.clone()).await.0.unwrap();
        uring_rt::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(ring.stats().completions, 2, "{:?}", ring.stats());
        // B first, although A's bytes came first in the buffer.
        let got_b = timeout(BOUND, sb.next()).await.unwrap().unwrap().unwrap();
        let got_a = timeout(BOUND, sa.next()).await.unwrap().unwrap().unwrap();
        assert!(got_b[..] == for_b[..], "stream B got A's bytes");
        assert!(got_a[..] == for_a[..]);
        assert_eq!(got_b.as_ptr() as usize, got_a.as_ptr() as usize + 100);
        drop((got_a, got_b, sa, sb));
        all_back(&ring).await;
    });
}

/// On an SQPOLL ring incremental consumption is not used (the kernel thread may post
/// completions out of the order it consumed buffers in); the ring works with plain buffers.
#[test]
fn sqpoll_rings_get_plain_buffers_instead_of_incremental_ones() {
    let rt = match Runtime::builder()
        .driver(DriverKind::IoUring)
        .sqpoll(10)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("skipped: no SQPOLL ring here: {e}");
            return;
        }
    };
    rt.block_on(async {
        let ring = BufRing::builder(8, 1024).incremental(true).build().unwrap();
        assert!(!ring.is_incremental(), "{ring:?}");
        let (a, b) = UnixStream::pair().unwrap();
        let data = payload(5000, 3);
        a.write_all(data.clone()).await.0.unwrap();
        drop(a);
        let mut chunks = b.recv_stream(&ring).unwrap();
        let mut got = Vec::new();
        while let Some(buf) = timeout(BOUND, chunks.next()).await.unwrap() {
            got.extend_from_slice(&buf.unwrap());
        }
        assert!(got == data);
        assert_eq!(ring.stats().partial, 0);
        drop(chunks);
        all_back(&ring).await;
    });
}
