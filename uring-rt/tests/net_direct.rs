//! Direct descriptors (`Builder::direct_descriptors`): streams get a slot of the ring's
//! registered-file table and move the same bytes as without; a full table falls back to plain
//! fds; slots and fds are given back on drop, `into_raw_fd` and from another thread; split
//! halves and dropped reads keep their guarantees. Its own test binary: fds are counted
//! process-wide, so the tests run one at a time.

use std::future::{poll_fn, Future};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::Poll;
use std::time::Duration;

use uring_rt::net::{TcpListener, TcpStream, UnixStream};
use uring_rt::runtime::DriverKind;
use uring_rt::time::{sleep, timeout};
use uring_rt::Runtime;

/// The tests of this binary count process-wide fds: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Long enough for anything on loopback; a hang runs into it instead of forever.
const BOUND: Duration = Duration::from_secs(10);

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// An io_uring runtime (the switch is the ring's; CI also runs with URING_RT_DRIVER=epoll)
/// with `slots` direct descriptors.
fn runtime(slots: u32) -> Runtime {
    Runtime::builder()
        .driver(DriverKind::IoUring)
        .direct_descriptors(slots)
        .build()
        .unwrap()
}

/// Whether this kernel gives streams slots (sparse file tables: Linux 5.19+); prints why not.
fn supported() -> bool {
    let rt = runtime(4);
    let pair = rt.block_on(async { UnixStream::pair().unwrap() });
    let yes = rt.direct_descriptors_in_use() == 2;
    drop(pair);
    if !yes {
        eprintln!("skipping: the kernel registers no sparse file table (needs Linux 5.19+)");
    }
    yes
}

/// Lets the ring run the installs queued for new streams (one round trip through the ring:
/// the `IORING_OP_FILES_UPDATE`s queued before the nop complete before it).
async fn installed() {
    uring_rt::io::nop().await.unwrap();
}

/// Waits (inside the runtime) until every background close has completed.
async fn settle(rt_in_flight: impl Fn() -> usize) {
    for _ in 0..1000 {
        if rt_in_flight() == 0 {
            return;
        }
        uring_rt::io::nop().await.unwrap();
    }
    panic!("operations still in flight after 1000 round trips");
}

fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Sends `len` bytes through `a` and reads them back from `b`, byte for byte.
async fn exchange(a: &TcpStream, b: &TcpStream, seed: u8, len: usize) {
    let sent = pattern(seed, len);
    let writer = a.write_all(sent.clone());
    let reader = async {
        let mut got = Vec::with_capacity(len);
        while got.len() < len {
            let (res, buf) = b.read(Vec::with_capacity(4096)).await;
            let n = res.unwrap();
            assert!(n > 0, "unexpected end of stream after {} bytes", got.len());
            got.extend_from_slice(&buf);
        }
        got
    };
    let ((res, _), got) = futures::join!(writer, reader);
    res.unwrap();
    assert_eq!(got, sent);
}

/// `n` connected TCP pairs `(client, server)` on the current runtime.
async fn pairs(n: usize) -> (TcpListener, Vec<(TcpStream, TcpStream)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut out = Vec::new();
    for _ in 0..n {
        let c = TcpStream::connect(addr).await.unwrap();
        let (s, _) = listener.accept().await.unwrap();
        out.push((c, s));
    }
    (listener, out)
}

#[test]
fn tcp_echo_through_direct_descriptors_is_byte_exact_and_gives_everything_back() {
    let _g = serial();
    if !supported() {
        return;
    }
    let baseline = open_fds();
    let rt = runtime(64);
    let fds_with_ring = open_fds();
    rt.block_on(async {
        let (listener, conns) = pairs(4).await;
        // Both ends of each connection were made on this runtime: 8 slots.
        assert_eq!(rt.direct_descriptors_in_use(), 8);
        for (i, (c, s)) in conns.iter().enumerate() {
            exchange(c, s, i as u8, 200_000).await;
            exchange(s, c, i as u8 + 100, 3).await;
            // Vectored I/O names the socket by slot too.
            let (res, _) = c.writev(vec![b"ab".to_vec(), b"cd".to_vec()]).await;
            assert_eq!(res.unwrap(), 4);
            let (res, bufs) = s.readv(vec![vec![0u8; 0], Vec::with_capacity(8)]).await;
            assert_eq!(res.unwrap(), 4);
            assert_eq!(bufs[1], b"abcd");
            // The plain fd stays usable for the sync calls.
            c.set_nodelay(true).unwrap();
            assert!(c.nodelay().unwrap());
            assert_eq!(c.peer_addr().unwrap(), s.local_addr().unwrap());
        }
        // A clean close: the peer reads end of stream.
        let (c, s) = conns.into_iter().next().unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let (res, _) = timeout(BOUND, s.read(Vec::with_capacity(8))).await.unwrap();
        assert_eq!(res.unwrap(), 0);
        drop((c, s, listener));
        settle(|| rt.in_flight_ops()).await;
        assert_eq!(rt.direct_descriptors_in_use(), 0);
    });
    assert_eq!(open_fds(), fds_with_ring, "fds leaked by the streams");
    drop(rt);
    assert_eq!(open_fds(), baseline);
}

#[test]
fn a_full_table_falls_back_to_plain_fds() {
    let _g = serial();
    if !supported() {
        return;
    }
    let rt = runtime(2);
    let fds_with_ring = open_fds();
    rt.block_on(async {
        let (listener, conns) = pairs(4).await;
        // The first connection's two ends took the quota; the other six use their fds.
        assert_eq!(rt.direct_descriptors_in_use(), 2);
        for (i, (c, s)) in conns.iter().enumerate() {
            exchange(c, s, i as u8, 50_000).await;
            exchange(s, c, i as u8, 50_000).await;
        }
        // A slot given back is taken by the next stream made.
        let mut conns = conns;
        drop(conns.remove(0));
        assert_eq!(rt.direct_descriptors_in_use(), 0);
        let (l2, mut more) = pairs(1).await;
        assert_eq!(rt.direct_descriptors_in_use(), 2);
        let (c, s) = more.pop().unwrap();
        exchange(&c, &s, 7, 10_000).await;
        drop((c, s, conns, listener, l2));
        settle(|| rt.in_flight_ops()).await;
        assert_eq!(rt.direct_descriptors_in_use(), 0);
    });
    assert_eq!(open_fds(), fds_with_ring);
}

#[test]
fn a_stream_moved_to_another_runtime_uses_its_fd_and_its_slot_is_given_back() {
    let _g = serial();
    if !supported() {
        return;
    }
    let rt = runtime(8);
    let fds_with_ring = open_fds();
    let (listener, client, server) = rt.block_on(async {
        let (l, mut conns) = pairs(1).await;
        let (c, s) = conns.pop().unwrap();
        (l, c, s)
    });
    assert_eq!(rt.direct_descriptors_in_use(), 2);
    // The server end goes to another thread's runtime, which has direct descriptors too:
    // there the stream is not in the table, so its ops use the plain fd.
    let other = std::thread::spawn(move || {
        let rt2 = runtime(8);
        rt2.block_on(async {
            let (res, buf) = timeout(BOUND, server.read(Vec::with_capacity(64)))
                .await
                .unwrap();
            assert_eq!(res.unwrap(), 5);
            assert_eq!(buf, b"hello");
            server.write_all(b"world".to_vec()).await.0.unwrap();
            drop(server);
            settle(|| rt2.in_flight_ops()).await;
        });
        rt2.direct_descriptors_in_use()
    });
    rt.block_on(async {
        client.write_all(b"hello".to_vec()).await.0.unwrap();
        let (res, buf) = timeout(BOUND, client.read(Vec::with_capacity(64)))
            .await
            .unwrap();
        assert_eq!(res.unwrap(), 5);
        assert_eq!(buf, b"world");
    });
    assert_eq!(other.join().unwrap(), 0);
    rt.block_on(async {
        // The slot of the server end, dropped on the other thread, came back by mail, and the
        // socket is closed: the client reads end of stream.
        let (res, _) = timeout(BOUND, client.read(Vec::with_capacity(8)))
            .await
            .unwrap();
        assert_eq!(res.unwrap(), 0);
        assert_eq!(rt.direct_descriptors_in_use(), 1);
        drop((client, listener));
        settle(|| rt.in_flight_ops()).await;
    });
    assert_eq!(rt.direct_descriptors_in_use(), 0);
    assert_eq!(open_fds(), fds_with_ring);
}

#[test]
fn into_raw_fd_empties_the_slot_so_closing_the_fd_closes_the_socket() {
    into_raw_fd_gives_the_socket_away(true);
}

#[test]
fn into_raw_fd_before_the_install_completed_hands_out_a_duplicate_and_frees_the_slot_after() {
    into_raw_fd_gives_the_socket_away(false);
}

/// `into_raw_fd` on an accepted stream, after its install into the table completed or
/// while it is still queued (it holds the socket: the stream hands out a duplicate, and its
/// own fd and slot go when the install is done). Either way the table lets the socket go, so
/// closing the handed-out fd ends the connection, and nothing leaks.
fn into_raw_fd_gives_the_socket_away(after_install: bool) {
    let _g = serial();
    if !supported() {
        return;
    }
    let rt = runtime(8);
    let fds_with_ring = open_fds();
    rt.block_on(async {
        let (l, mut conns) = pairs(1).await;
        let (c, s) = conns.pop().unwrap();
        assert_eq!(rt.direct_descriptors_in_use(), 2);
        if after_install {
            installed().await;
        }
        let raw = s.into_raw_fd();
        // SAFETY: `raw` was just given up by the stream; this std stream owns it now.
        let std_stream = unsafe { std::net::TcpStream::from_raw_fd(raw) };
        if after_install {
            assert_eq!(rt.direct_descriptors_in_use(), 1);
        } else {
            installed().await;
            settle(|| rt.in_flight_ops()).await;
            assert_eq!(rt.direct_descriptors_in_use(), 1);
        }
        // Were the socket still in the table, dropping the fd would not end the connection.
        drop(std_stream);
        let (res, _) = timeout(BOUND, c.read(Vec::with_capacity(8))).await.unwrap();
        assert_eq!(res.unwrap(), 0);
        drop((c, l));
        settle(|| rt.in_flight_ops()).await;
        assert_eq!(rt.direct_descriptors_in_use(), 0);
    });
    assert_eq!(open_fds(), fds_with_ring, "fds leaked");
}

#[test]
fn once_installed_ops_name_the_socket_by_slot_not_by_fd() {
    let _g = serial();
    if !supported() {
        return;
    }
    let rt = runtime(8);
    rt.block_on(async {
        let (_l, mut conns) = pairs(1).await;
        let (c, s) = conns.pop().unwrap();
        installed().await;
        // Point the stream's fd number at /dev/null: only an op that goes by the slot
        // still reaches the socket.
        let null = std::fs::File::open("/dev/null").unwrap();
        // SAFETY: both fds are open; `s` owns its number and closes whatever it names then.
        assert!(unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), s.as_raw_fd()) } >= 0);
        let sent = pattern(5, 50_000);
        let writer = uring_rt::spawn({
            let sent = sent.clone();
            async move {
                c.write_all(sent).await.0.unwrap();
                c
            }
        });
        let mut got = Vec::new();
        while got.len() < sent.len() {
            let (res, buf) = timeout(BOUND, s.read(Vec::with_capacity(8192)))
                .await
                .unwrap();
            assert!(
                res.unwrap() > 0,
                "a read by fd would see /dev/null's end of file"
            );
            got.extend_from_slice(&buf);
        }
        assert_eq!(got, sent);
        let c = writer.await.unwrap();
        s.write_all(b"back".to_vec()).await.0.unwrap();
        let (res, buf) = timeout(BOUND, c.read(Vec::with_capacity(8))).await.unwrap();
        assert_eq!(res.unwrap(), 4);
        assert_eq!(buf, b"back");
        // Dropping the stream empties the slot (`close_direct`): the socket closes.
        drop(s);
        let (res, _) = timeout(BOUND, c.read(Vec::with_capacity(8))).await.unwrap();
        assert_eq!(res.unwrap(), 0);
        drop(c);
        settle(|| rt.in_flight_ops()).await;
        assert_eq!(rt.direct_descriptors_in_use(), 0);
    });
}

#[test]
fn split_halves_work_and_the_slot_goes_with_the_last_half() {
    let _g = serial();
    if !supported() {
        return;
    }
    let rt = runtime(8);
    rt.block_on(async {
        let (_l, mut conns) = pairs(1).await;
        let (c, s) = conns.pop().unwrap();
        let (rd, wr) = s.into_split();
        let sent = pattern(3, 100_000);
        let writer = uring_rt::spawn(async move {
            wr.write_all(sent.clone()).await.0.unwrap();
            // Dropping the write half sends FIN.
            drop(wr);
            sent
        });
        let mut got = Vec::new();
        loop {
            let (res, buf) = timeout(BOUND, c.read(Vec::with_capacity(4096)))
                .await
                .unwrap();
            if res.unwrap() == 0 {
                break;
            }
            got.extend_from_slice(&buf);
        }
        assert_eq!(got, writer.await.unwrap());
        // The read half still holds the socket and its slot.
        assert_eq!(rt.direct_descriptors_in_use(), 2);
        c.write_all(b"back".to_vec()).await.0.unwrap();
        let (res, buf) = timeout(BOUND, rd.read(Vec::with_capacity(8)))
            .await
            .unwrap();
        assert_eq!(res.unwrap(), 4);
        assert_eq!(buf, b"back");
        drop(rd);
        assert_eq!(rt.direct_descriptors_in_use(), 1);
        drop(c);
        assert_eq!(rt.direct_descriptors_in_use(), 0);
    });
}

async fn poll_once<F: Future + ?Sized>(fut: &mut Pin<Box<F>>) -> Option<F::Output> {
    poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

#[test]
fn a_dropped_read_through_a_slot_loses_no_bytes() {
    let _g = serial();
    if !supported() {
        return;
    }
    let rt = runtime(8);
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        assert_eq!(rt.direct_descriptors_in_use(), 2);
        let mut expected = Vec::new();
        let mut got = Vec::new();
        let mut dropped = 0;
        for i in 0..50u8 {
            // A read in flight in the kernel, then dropped after the bytes arrived; or the
            // bytes a dropped read kept, served at once.
            let mut read = Box::pin(b.read(Vec::with_capacity(64)));
            match poll_once(&mut read).await {
                Some((res, buf)) => {
                    assert!(res.unwrap() > 0);
                    got.extend_from_slice(&buf);
                }
                None => dropped += 1,
            }
            let msg = pattern(i, 10 + usize::from(i));
            a.write_all(msg.clone()).await.0.unwrap();
            expected.extend_from_slice(&msg);
            if i % 2 == 0 {
                sleep(Duration::from_millis(1)).await;
            }
            drop(read);
        }
        assert!(dropped > 0);
        drop(a);
        loop {
            let (res, buf) = timeout(BOUND, b.read(Vec::with_capacity(256)))
                .await
                .unwrap();
            if res.unwrap() == 0 {
                break;
            }
            got.extend_from_slice(&buf);
        }
        assert_eq!(got, expected);
    });
}

#[test]
fn the_epoll_driver_ignores_the_switch() {
    let _g = serial();
    let rt = Runtime::builder()
        .driver(DriverKind::Epoll)
        .direct_descriptors(8)
        .build()
        .unwrap();
    let fds_with_ring = open_fds();
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        assert_eq!(rt.direct_descriptors_in_use(), 0);
        a.write_all(b"epoll".to_vec()).await.0.unwrap();
        let (res, buf) = b.read(Vec::with_capacity(8)).await;
        assert_eq!(res.unwrap(), 5);
        assert_eq!(buf, b"epoll");
        drop((a, b));
        settle(|| rt.in_flight_ops()).await;
    });
    assert_eq!(open_fds(), fds_with_ring);
}

#[test]
fn without_the_switch_no_stream_takes_a_slot() {
    let _g = serial();
    let rt = Runtime::builder()
        .driver(DriverKind::IoUring)
        .build()
        .unwrap();
    rt.block_on(async {
        let (_l, conns) = pairs(2).await;
        assert_eq!(rt.direct_descriptors_in_use(), 0);
        for (c, s) in &conns {
            exchange(c, s, 1, 1000).await;
        }
    });
}

#[test]
fn files_and_streams_share_the_table_and_a_quota_past_1024_slots_works() {
    let _g = serial();
    if !supported() {
        return;
    }
    // 1,200 streams and their fds: skip where the fd limit is too low for them.
    let limit: usize = std::fs::read_to_string("/proc/self/limits")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        .unwrap_or(0);
    if limit < 4096 {
        eprintln!("skipping: RLIMIT_NOFILE {limit} is below 4096");
        return;
    }
    let rt = runtime(1100);
    let fds_with_ring = open_fds();
    rt.block_on(async {
        let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
        file.register().unwrap();
        let mut streams = Vec::new();
        for _ in 0..600 {
            streams.push(UnixStream::pair().unwrap());
        }
        // The table grew to the quota (1,100 slots): every slot but the file's went to a
        // stream; a kernel that refused 1,100 slots (RLIMIT_NOFILE) leaves 1,024.
        let in_use = rt.direct_descriptors_in_use();
        assert!(in_use == 1099 || in_use == 1023, "{in_use}");
        let (res, _) = file.write_at(b"fixed file".to_vec(), 0).await;
        assert_eq!(res.unwrap(), 10);
        // Streams with and without slots move bytes.
        for (i, (a, b)) in streams.iter().enumerate().step_by(50) {
            let msg = pattern(i as u8, 100);
            a.write_all(msg.clone()).await.0.unwrap();
            let (res, buf) = b.read(Vec::with_capacity(100)).await;
            assert_eq!(res.unwrap(), 100);
            assert_eq!(buf, msg);
        }
        drop(streams);
        assert_eq!(rt.direct_descriptors_in_use(), 0);
        drop(file);
        settle(|| rt.in_flight_ops()).await;
    });
    assert_eq!(open_fds(), fds_with_ring);
}

#[test]
fn multishot_receive_and_zero_copy_send_go_through_the_slot() {
    let _g = serial();
    if !supported() {
        return;
    }
    let rt = runtime(8);
    rt.block_on(async {
        let (_l, mut conns) = pairs(1).await;
        let (c, s) = conns.pop().unwrap();
        assert_eq!(rt.direct_descriptors_in_use(), 2);
        let ring = uring_rt::net::BufRing::new(8, 1024).unwrap();
        let sent = pattern(9, 64 * 1024);
        let chunk = sent.clone();
        let writer = uring_rt::spawn(async move {
            for part in chunk.chunks(8192) {
                let (res, _) = c.send_zc(part.to_vec()).await;
                match res {
                    Ok(n) => assert_eq!(n, part.len()),
                    // Kernels before 6.0: a plain send.
                    Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                        c.write_all(part.to_vec()).await.0.unwrap()
                    }
                    Err(e) => panic!("send_zc: {e}"),
                }
            }
            c
        });
        let mut chunks = s.recv_stream(&ring).unwrap();
        let mut got = Vec::new();
        while got.len() < sent.len() {
            let buf = timeout(BOUND, chunks.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            got.extend_from_slice(&buf);
        }
        assert_eq!(got, sent);
        drop(chunks);
        drop(writer.await.unwrap());
        drop(s);
        // The cancelled multishot receive holds the socket until its last completion.
        settle(|| rt.in_flight_ops()).await;
        assert_eq!(rt.direct_descriptors_in_use(), 0);
    });
}
