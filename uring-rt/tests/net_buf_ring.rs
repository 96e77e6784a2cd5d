//! Provided-buffer rings: a `BufRing` belongs to the runtime it was registered with, and its
//! buffer-group id is allocated per ring and reused after the `BufRing` drops.

use std::time::{Duration, Instant};

use uring_rt::net::{BufRing, UnixStream};
use uring_rt::time::timeout;
use uring_rt::Runtime;

/// Bound on anything that could hang (a busy re-arm loop would run into it).
const BOUND: Duration = Duration::from_secs(5);

/// Whether this kernel has provided-buffer rings (5.19+); prints why a test skips.
fn have_buf_rings() -> bool {
    let ok = uring_rt::start(async { BufRing::new(1, 64).is_ok() });
    if !ok {
        eprintln!("skipped: this kernel has no provided-buffer rings (Linux 5.19+)");
    }
    ok
}

fn is_other_runtime(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::InvalidInput && e.to_string().contains("another runtime")
}

#[test]
fn a_buf_ring_used_under_another_runtime_is_refused_with_a_clear_error() {
    if !have_buf_rings() {
        return;
    }
    let rt_a = Runtime::new().unwrap();
    let ring = rt_a.block_on(async { BufRing::new(8, 1024).unwrap() });
    // A stream that made its receive stream under runtime A, polled under runtime B.
    let (a, b) = UnixStream::pair().unwrap();
    let mut early = rt_a.block_on(async { b.recv_stream(&ring).unwrap() });

    let rt_b = Runtime::new().unwrap();
    let started = Instant::now();
    rt_b.block_on(async {
        a.write_all(b"not for runtime B".to_vec()).await.0.unwrap();
        // Made under B: refused at once.
        let err = b.recv_stream(&ring).unwrap_err();
        assert!(is_other_runtime(&err), "{err}");
        // Made under A, first polled under B: the first poll fails, nothing is armed.
        let next = timeout(BOUND, early.next())
            .await
            .expect("the receive stream spun instead of failing");
        let err = next.expect("an error, not end of stream").unwrap_err();
        assert!(is_other_runtime(&err), "{err}");
        assert_eq!(rt_b.in_flight_ops(), 0);
        // The bytes are still there for a read under B.
        let (res, buf) = b.read(Vec::with_capacity(64)).await;
        assert_eq!(res.unwrap(), 17);
        assert_eq!(buf, b"not for runtime B");
    });
    assert!(started.elapsed() < BOUND);
    drop(early);
    // Back under its own runtime the ring works.
    rt_a.block_on(async {
        a.write_all(b"for A".to_vec()).await.0.unwrap();
        let mut chunks = b.recv_stream(&ring).unwrap();
        let buf = timeout(BOUND, chunks.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..], b"for A");
    });
}

#[test]
fn buffer_group_ids_are_per_ring_and_reused_after_drop() {
    if !have_buf_rings() {
        return;
    }
    // Two runtimes each hand out their own ids: both start from the same first id.
    let first_a = Runtime::new()
        .unwrap()
        .block_on(async { BufRing::new(1, 64).unwrap().bgid() });
    let first_b = std::thread::spawn(|| {
        Runtime::new()
            .unwrap()
            .block_on(async { BufRing::new(1, 64).unwrap().bgid() })
    })
    .join()
    .unwrap();
    assert_eq!(first_a, first_b);

    // 70,000 rings made and dropped one after the other on one runtime, with one kept alive
    // all along: more than there are u16 ids, yet every new ring gets the id the previous
    // one gave back, never the kept ring's.
    Runtime::new().unwrap().block_on(async {
        let kept = BufRing::new(1, 64).unwrap();
        let first = BufRing::new(1, 64).unwrap().bgid();
        assert_ne!(first, kept.bgid());
        for i in 0..70_000u32 {
            let ring = BufRing::new(1, 64).unwrap();
            assert_eq!(ring.bgid(), first, "ring {i} did not reuse the freed id");
        }
        // Two alive at once get distinct ids.
        let x = BufRing::new(1, 64).unwrap();
        let y = BufRing::new(1, 64).unwrap();
        assert_ne!(x.bgid(), y.bgid());
        assert!(x.bgid() != kept.bgid() && y.bgid() != kept.bgid());
    });
}

#[test]
fn a_buf_ring_dropped_after_block_on_returned_gives_its_group_id_back() {
    if !have_buf_rings() {
        return;
    }
    let rt = Runtime::new().unwrap();
    let (ring, id) = rt.block_on(async {
        let ring = BufRing::new(4, 256).unwrap();
        let id = ring.bgid();
        (ring, id)
    });
    // No runtime entered here: the unregistration goes to the ring through its mailbox.
    drop(ring);
    rt.block_on(async {
        uring_rt::io::nop().await.unwrap(); // one tick: the mail is delivered
        let again = BufRing::new(4, 256).unwrap();
        assert_eq!(
            again.bgid(),
            id,
            "the dropped ring's group id was not given back"
        );
    });
    // And a ring dropped after its runtime is gone is simply freed (nothing to unregister).
    let ring = rt.block_on(async { BufRing::new(4, 256).unwrap() });
    drop(rt);
    drop(ring);
}
