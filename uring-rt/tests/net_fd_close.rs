//! The fd of a socket (or file) is closed wherever its last handle drops: on its runtime's
//! thread (an async close through the ring), after `block_on` returned, on a thread with no
//! runtime, or on a thread running another runtime. Its own test binary: the fd count is
//! process-wide.

use std::future::Future;
use std::sync::Mutex;

use uring_rt::net::{TcpListener, TcpStream, UnixStream};
use uring_rt::Runtime;

/// The tests of this binary count process-wide fds: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A bag of sockets that have done I/O: TCP pairs, Unix pairs, split halves.
struct Sockets {
    tcp: Vec<TcpStream>,
    unix: Vec<UnixStream>,
    halves: Vec<(uring_rt::net::OwnedReadHalf, uring_rt::net::OwnedWriteHalf)>,
    /// Held for its fd only.
    _listener: TcpListener,
}

impl Sockets {
    fn count(&self) -> usize {
        self.tcp.len() + self.unix.len() + self.halves.len() + 1
    }
}

const PAIRS: usize = 20;

/// Makes the sockets on `rt` (each pair exchanges a few bytes first).
fn make(rt: &Runtime) -> Sockets {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tcp = Vec::new();
        let mut halves = Vec::new();
        for i in 0..PAIRS {
            let client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            client.write_all(vec![i as u8; 100]).await.0.unwrap();
            let (res, buf) = server.read(Vec::with_capacity(100)).await;
            assert_eq!(res.unwrap(), 100);
            assert_eq!(buf, vec![i as u8; 100]);
            tcp.push(client);
            if i % 2 == 0 {
                halves.push(server.into_split());
            } else {
                tcp.push(server);
            }
        }
        let mut unix = Vec::new();
        for _ in 0..PAIRS {
            let (a, b) = UnixStream::pair().unwrap();
            a.write_all(b"ping".to_vec()).await.0.unwrap();
            assert_eq!(b.read(Vec::with_capacity(4)).await.1, b"ping");
            unix.push(a);
            unix.push(b);
        }
        Sockets {
            tcp,
            unix,
            halves,
            _listener: listener,
        }
    })
}

#[test]
fn sockets_dropped_on_a_thread_without_a_runtime_close_their_fds() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = Runtime::new().unwrap();
    let before = open_fds();
    let sockets = make(&rt);
    assert_eq!(open_fds(), before + sockets.count());
    // The runtime is alive on this thread (not entered); the sockets drop on another thread.
    std::thread::spawn(move || drop(sockets)).join().unwrap();
    assert_eq!(
        open_fds(),
        before,
        "fds leaked by a drop off the runtime's thread"
    );
    drop(rt);
}

#[test]
fn sockets_dropped_after_block_on_returned_close_their_fds() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = Runtime::new().unwrap();
    let before = open_fds();
    let sockets = make(&rt);
    assert_eq!(open_fds(), before + sockets.count());
    drop(sockets); // same thread, no runtime entered: close(2)
    assert_eq!(open_fds(), before);
    // And after the runtime itself is gone.
    let sockets = make(&rt);
    let n = sockets.count();
    drop(rt);
    let after_rt = open_fds();
    drop(sockets);
    assert_eq!(open_fds(), after_rt - n);
}

#[test]
fn sockets_dropped_under_another_runtime_close_their_fds() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt_a = Runtime::new().unwrap();
    let sockets = make(&rt_a);
    let n = sockets.count();
    // Dropped inside a runtime on another thread: closed through that runtime's ring.
    let before = open_fds();
    std::thread::spawn(move || {
        let rt_b = Runtime::new().unwrap();
        rt_b.block_on(async move {
            drop(sockets);
            // Let the ring run the closes.
            for _ in 0..10 {
                uring_rt::io::nop().await.unwrap();
            }
        });
    })
    .join()
    .unwrap();
    assert_eq!(open_fds(), before - n);
    drop(rt_a);
}

#[test]
fn sockets_dropped_off_thread_while_their_runtime_runs_close_their_fds() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = open_fds();
    let (tx, rx) = std::sync::mpsc::channel::<Sockets>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let dropper = std::thread::spawn(move || {
        let sockets = rx.recv().unwrap();
        drop(sockets);
        done_tx.send(()).unwrap();
    });
    let rt = Runtime::new().unwrap();
    let runtime_fds = open_fds() - before;
    let sockets = make(&rt);
    assert_eq!(open_fds(), before + runtime_fds + sockets.count());
    // The runtime keeps running (block_on) while another thread drops the sockets.
    rt.block_on(async {
        tx.send(sockets).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while done_rx.try_recv().is_err() {
            assert!(std::time::Instant::now() < deadline, "dropper thread hung");
            uring_rt::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(open_fds(), before + runtime_fds);
    });
    dropper.join().unwrap();
    drop(rt);
    assert_eq!(open_fds(), before);
}

#[test]
fn files_dropped_off_their_runtime_thread_close_their_fds() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::new().unwrap();
    let before = open_fds();
    let files = rt.block_on(async {
        let mut files = Vec::new();
        for i in 0..20 {
            let f = uring_rt::fs::File::create(dir.path().join(format!("f{i}")))
                .await
                .unwrap();
            f.write_all_at(vec![i as u8; 512], 0).await.0.unwrap();
            files.push(f);
        }
        files
    });
    assert_eq!(open_fds(), before + 20);
    std::thread::spawn(move || drop(files)).join().unwrap();
    assert_eq!(open_fds(), before);
    for i in 0..20 {
        assert_eq!(
            std::fs::read(dir.path().join(format!("f{i}"))).unwrap(),
            vec![i as u8; 512]
        );
    }
}

#[test]
fn a_stream_dropped_off_thread_with_a_read_in_flight_closes_its_fd_after_the_read() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        uring_rt::io::nop().await.unwrap();
        let before = open_fds();
        // A read armed on the ring (nothing to read yet), owning its stream.
        let mut read = Box::pin(async move { b.read(Vec::with_capacity(64)).await });
        let polled =
            std::future::poll_fn(|cx| std::task::Poll::Ready(read.as_mut().poll(cx).is_pending()))
                .await;
        assert!(polled, "the read completed with nothing sent");
        // Future and stream dropped on another thread: the fd must close once the ring has
        // cancelled the read (the op's data held the last clone of the fd).
        std::thread::spawn(move || drop(read)).join().unwrap();
        wait_for_fds(before - 1).await;
        // The other end, dropped on the ring's thread: an async close through the ring.
        drop(a);
        wait_for_fds(before - 2).await;
    });
}

/// Waits (bounded) until the process has `n` fds open, letting the ring run meanwhile.
async fn wait_for_fds(n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while open_fds() != n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} fds open, want {n}: a dropped socket's fd was never closed",
            open_fds()
        );
        uring_rt::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}
