//! Data released away from its ring goes back to it (defects 2 and 5 of issue 9): an armed
//! read dropped after `block_on` returned or on another thread does not wedge its stream, and
//! a `FixedBufPool` dropped after `block_on` returned is unregistered.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use uring_rt::net::UnixStream;
use uring_rt::time::timeout;
use uring_rt::Runtime;

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// Polls `fut` once inside the runtime, so that its op is armed in the ring.
fn arm<F: Future + Unpin>(rt: &Runtime, fut: &mut F) {
    let waker = Waker::from(Arc::new(Noop));
    rt.block_on(async {
        let mut cx = Context::from_waker(&waker);
        assert!(
            Pin::new(&mut *fut).poll(&mut cx).is_pending(),
            "nothing to read yet"
        );
    });
}

/// After the armed read is dropped (where `drop_it` says), the stream still reads: the next
/// read gets the bytes written afterwards, within a bounded time.
fn dropped_read_does_not_wedge(drop_it: impl FnOnce(Pin<Box<dyn Future<Output = ()> + Send>>)) {
    let rt = Runtime::new().unwrap();
    let (a, b) = rt.block_on(async { UnixStream::pair().unwrap() });
    let b = Arc::new(b);
    let reader = b.clone();
    let mut read: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
        let (res, _buf) = reader.read(Vec::with_capacity(16)).await;
        let _ = res;
    });
    arm(&rt, &mut read);
    assert_eq!(rt.in_flight_ops(), 1, "the read is in the ring");
    drop_it(read);
    let got = rt.block_on(async {
        a.write_all(b"after".to_vec()).await.0.unwrap();
        let read = b.read(Vec::with_capacity(16));
        timeout(Duration::from_secs(5), read).await
    });
    let (res, buf) = got.expect("a read after the dropped one must not wait forever");
    let n = res.unwrap();
    assert_eq!(&buf[..n], b"after");
    drop((a, b));
    for _ in 0..100 {
        if rt.in_flight_ops() == 0 {
            break;
        }
        let _ = rt.block_on(uring_rt::io::nop());
    }
    assert_eq!(rt.in_flight_ops(), 0, "the dropped read's slot is gone");
}

#[test]
fn armed_read_dropped_after_block_on_does_not_wedge_the_stream() {
    dropped_read_does_not_wedge(drop);
}

#[test]
fn armed_read_dropped_on_another_thread_does_not_wedge_the_stream() {
    dropped_read_does_not_wedge(|read| {
        std::thread::spawn(move || drop(read)).join().unwrap();
    });
}

#[test]
fn fixed_buf_pool_dropped_after_block_on_is_unregistered() {
    let rt = Runtime::new().unwrap();
    let pool = match rt.block_on(async { uring_rt::fs::FixedBufPool::new(2, 4096) }) {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("skipped: cannot register buffers here ({e})");
            return;
        }
    };
    // Dropped outside the runtime: the registration goes back through the ring's mailbox.
    drop(pool);
    let again = rt.block_on(async { uring_rt::fs::FixedBufPool::new(2, 4096) });
    assert!(
        again.is_ok(),
        "a second pool must register once the first was dropped: {:?}",
        again.err()
    );
}

/// Defect 6: a `Sleep` dropped on another thread takes its timer out of its runtime (at the
/// runtime's next tick) instead of leaking it with the waker it holds.
#[test]
fn sleep_dropped_on_another_thread_removes_its_timer() {
    let rt = Runtime::new().unwrap();
    let mut sleep = Box::pin(uring_rt::time::sleep(Duration::from_secs(3600)));
    arm(&rt, &mut sleep);
    assert!(format!("{rt:?}").contains("timers: 1"), "{rt:?}");
    std::thread::spawn(move || drop(sleep)).join().unwrap();
    rt.block_on(async { uring_rt::io::nop().await.unwrap() });
    assert!(format!("{rt:?}").contains("timers: 0"), "{rt:?}");
}

/// Defect 6: binding to a name on a runtime's thread never runs a DNS lookup there: a name
/// other than `localhost` is refused at once with a clear error.
#[test]
fn bind_on_the_ring_thread_refuses_names_instead_of_resolving() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let err = uring_rt::net::TcpListener::bind("uring-rt-test.invalid:0").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("resolve"), "{err}");
        let local = uring_rt::net::TcpListener::bind("localhost:0").unwrap();
        assert!(local.local_addr().unwrap().ip().is_loopback());
    });
}

/// Defect 2, the leak path: a ring that cannot prove the kernel is done with an op (here: a
/// faulted ring that can no longer submit the read's cancel) leaks the op's buffer at drop,
/// but releases the stream's input permit, so the stream still reads under another runtime.
#[test]
fn stream_of_a_ring_that_leaked_its_read_still_reads() {
    if Runtime::new().unwrap().driver_kind() == uring_rt::runtime::DriverKind::Epoll {
        // The emulated ring runs each SQE as it is queued: no enter carries the nop, so an
        // enter fault cannot leave it in an SQ there.
        eprintln!("skipping: io_uring_enter faults are an io_uring-only failure mode");
        return;
    }
    // Enter 1 submits the read and a nop; enter 2 fails for good before the next nop is
    // submitted, leaving it in the SQ: the ring never submits again.
    let rt = Runtime::builder()
        .faults(uring_rt::fault::FaultConfig::new(5).fail_enter(2, libc::ENXIO))
        .build()
        .unwrap();
    let (a, b) = rt.block_on(async { UnixStream::pair().unwrap() });
    let b = Arc::new(b);
    let reader = b.clone();
    let mut read: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
        let _ = reader.read(Vec::with_capacity(16)).await;
    });
    rt.block_on(async {
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        assert!(read.as_mut().poll(&mut cx).is_pending());
        uring_rt::io::nop().await.unwrap();
        let err = uring_rt::io::nop().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENXIO));
        // In flight in the kernel, its cancel cannot be submitted.
        drop(read);
    });
    // Waits (5 s) for a completion that cannot come, then leaks the read's buffer.
    drop(rt);
    let rt2 = Runtime::new().unwrap();
    let got = rt2.block_on(async {
        // The leaked kernel read, still armed, may take the first write; the second then
        // reaches this read.
        a.write_all(b"later".to_vec()).await.0.unwrap();
        let read = b.read(Vec::with_capacity(16));
        let writer = async {
            uring_rt::time::sleep(Duration::from_millis(100)).await;
            a.write_all(b"again".to_vec()).await.0.unwrap();
            std::future::pending::<()>().await;
        };
        let both = async {
            let mut read = std::pin::pin!(read);
            let mut writer = std::pin::pin!(writer);
            std::future::poll_fn(|cx| {
                let _ = writer.as_mut().poll(cx);
                read.as_mut().poll(cx)
            })
            .await
        };
        timeout(Duration::from_secs(5), both).await
    });
    let (res, buf) = got.expect("the permit of the leaked read must have been released");
    let n = res.unwrap();
    assert!(n > 0);
    assert!(
        b"lateragain".windows(n).any(|w| w == &buf[..n]),
        "{:?}",
        &buf[..n]
    );
}
