//! SQPOLL rings keep submitting while tasks stay ready (defect 3 of issue 9): once the SQ
//! thread went to sleep, every submission path must wake it, not only the park.

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use uring_rt::Runtime;

#[test]
fn sqpoll_ring_submits_while_a_task_yields_in_a_loop() {
    let rt = match Runtime::builder().sqpoll(1).build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("skipped: no SQPOLL ring here ({e})");
            return;
        }
    };
    let done = rt.block_on(async {
        // Let the SQ thread go idle (1 ms) and sleep, without parking the runtime.
        std::thread::sleep(Duration::from_millis(50));
        let finished = Rc::new(Cell::new(false));
        let flag = finished.clone();
        uring_rt::spawn(async move {
            uring_rt::io::nop().await.unwrap();
            flag.set(true);
        });
        // This future is always ready again: the runtime never parks while it loops.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !finished.get() && Instant::now() < deadline {
            uring_rt::yield_now().await;
        }
        finished.get()
    });
    assert!(
        done,
        "the nop was never submitted: the sleeping SQ thread was not woken"
    );
}

/// Issue 9, torture finding 4: an SQPOLL ring of 2 entries with many ops in flight. The ops
/// that fit in the SQ wait on silent peers; the rest wait in the driver's backlog. The SQ
/// thread takes its SQEs on its own, so a park must keep moving the backlog into the SQ
/// (waiting for room) before it blocks: a backlogged op must not wait for an unrelated one.
#[test]
fn sqpoll_tiny_ring_submits_its_backlog_before_parking() {
    use std::io::Write;
    use std::os::unix::net::UnixStream as StdUnixStream;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    const READERS: usize = 32;
    const ROUNDS: usize = 20;
    let rt = match Runtime::builder().entries(2).sqpoll(10).build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("skipped: no SQPOLL ring here ({e})");
            return;
        }
    };
    let mut ours = Vec::new();
    let mut peers = Vec::new();
    for _ in 0..READERS {
        let (a, b) = StdUnixStream::pair().unwrap();
        ours.push(a);
        peers.push(b);
    }
    // A watchdog that unblocks the silent peers if the runtime stalls, so that a failing
    // run ends (and says so) instead of hanging.
    let progressed = Arc::new(AtomicBool::new(false));
    let fired = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let progressed = progressed.clone();
        let fired = fired.clone();
        let mut peers: Vec<StdUnixStream> = peers.iter().map(|p| p.try_clone().unwrap()).collect();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !progressed.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if !progressed.load(Ordering::SeqCst) {
                fired.store(true, Ordering::SeqCst);
                for p in &mut peers {
                    let _ = p.write_all(b"w");
                }
            }
        })
    };
    let (completed, wrote, got) = rt.block_on(async {
        let mut readers = Vec::new();
        for s in ours {
            let s = uring_rt::net::UnixStream::from_std(s).unwrap();
            readers.push(uring_rt::spawn(async move {
                let (res, buf) = s.read(vec![0u8; 4]).await;
                (res.unwrap(), buf)
            }));
        }
        // Let every reader queue its read: most of them land in the backlog.
        uring_rt::yield_now().await;
        let mut completed = 0;
        for _ in 0..ROUNDS {
            uring_rt::io::nop().await.unwrap();
            completed += 1;
        }
        progressed.store(true, Ordering::SeqCst);
        // (After a stall the watchdog's byte ended the readers: these writes may then fail.)
        let wrote: io::Result<()> = peers
            .iter_mut()
            .enumerate()
            .try_for_each(|(i, p)| p.write_all(&[i as u8]));
        let mut got = Vec::new();
        for r in readers {
            got.push(r.await.unwrap());
        }
        (completed, wrote, got)
    });
    watchdog.join().unwrap();
    assert!(
        !fired.load(Ordering::SeqCst),
        "a nop in the backlog waited 10 s for reads on silent peers: the backlog was not \
         submitted before the park"
    );
    assert_eq!(completed, ROUNDS);
    wrote.unwrap();
    for (i, (n, buf)) in got.into_iter().enumerate() {
        assert_eq!(n, 1);
        assert_eq!(buf[0], i as u8);
    }
    // The streams' closes went through the SQ thread too: let their completions arrive.
    let deadline = Instant::now() + Duration::from_secs(5);
    while rt.in_flight_ops() > 0 && Instant::now() < deadline {
        rt.block_on(uring_rt::io::nop()).unwrap();
    }
    assert_eq!(rt.in_flight_ops(), 0);
}
