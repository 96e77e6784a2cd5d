//! Thread-per-core: N pinned runtimes, cross-core messages, panics.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use uring_rt::runtime::ThreadPerCore;

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn each_core_runs_the_factory_on_its_own_pinned_thread() {
    let n = cpus().min(4);
    let out = ThreadPerCore::builder()
        .cores(n)
        .pin(true)
        .run(|core| async move {
            // Give the scheduler a chance to move us if pinning did not work.
            for _ in 0..10 {
                uring_rt::time::sleep(Duration::from_millis(1)).await;
            }
            // SAFETY: plain syscall.
            let on = unsafe { libc::sched_getcpu() };
            (
                core.index(),
                core.cpu(),
                on,
                std::thread::current().name().map(String::from),
            )
        })
        .unwrap();
    assert_eq!(out.len(), n);
    for (i, (index, cpu, on, name)) in out.into_iter().enumerate() {
        assert_eq!(index, i);
        let cpu = cpu.expect("pinned core reports its CPU");
        assert_eq!(
            on as usize, cpu,
            "core {i} ran on CPU {on}, pinned to {cpu}"
        );
        assert_eq!(name.as_deref(), Some(format!("uring-rt-core-{i}").as_str()));
    }
}

#[test]
fn ping_pong_between_two_cores_through_async_channel() {
    const ROUNDS: u64 = 100_000;
    let (a_tx, a_rx) = async_channel::bounded::<u64>(1);
    let (b_tx, b_rx) = async_channel::bounded::<u64>(1);
    let chans = Arc::new(std::sync::Mutex::new(Some(((a_tx, b_rx), (b_tx, a_rx)))));
    let out = ThreadPerCore::builder()
        .cores(2)
        .run(move |core| {
            let mut guard = chans.lock().unwrap();
            let pair = guard.as_mut().unwrap();
            let (tx, rx) = if core.index() == 0 {
                pair.0.clone()
            } else {
                pair.1.clone()
            };
            drop(guard);
            async move {
                let mut last = 0;
                if core.index() == 0 {
                    for i in 0..ROUNDS {
                        tx.send(i).await.unwrap();
                        last = rx.recv().await.unwrap();
                        assert_eq!(last, i + 1);
                    }
                } else {
                    for _ in 0..ROUNDS {
                        let v = rx.recv().await.unwrap();
                        tx.send(v + 1).await.unwrap();
                        last = v;
                    }
                }
                last
            }
        })
        .unwrap();
    assert_eq!(out, vec![ROUNDS, ROUNDS - 1]);
}

#[test]
fn ping_pong_through_handle_spawn() {
    const ROUNDS: usize = 100_000;
    let (done_tx, done_rx) = async_channel::bounded::<()>(1);
    let out = ThreadPerCore::builder()
        .cores(2)
        .run(move |core| {
            let done_tx = done_tx.clone();
            let done_rx = done_rx.clone();
            async move {
                if core.index() != 0 {
                    // Keep core 1's runtime alive until core 0 is done with it.
                    let _ = done_rx.recv().await;
                    return 0;
                }
                let peer = core.handle(1);
                let me = core.handle(0);
                let mut total = 0;
                for i in 0..ROUNDS {
                    // Core 1 runs the task and spawns the reply back on core 0.
                    let me = me.clone();
                    let v = peer
                        .spawn(async move { me.spawn(async move { i + 1 }).await.unwrap() })
                        .await
                        .unwrap();
                    assert_eq!(v, i + 1);
                    total += 1;
                }
                done_tx.close();
                total
            }
        })
        .unwrap();
    assert_eq!(out[0], ROUNDS);
}

#[test]
fn a_panicking_core_is_reported_and_the_others_are_shut_down() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let err = ThreadPerCore::builder()
        .cores(2)
        .run(move |core| {
            let s = s.clone();
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                if core.index() == 1 {
                    uring_rt::time::sleep(Duration::from_millis(10)).await;
                    panic!("core one gave up");
                }
                // Would run for an hour without the shutdown.
                uring_rt::time::sleep(Duration::from_secs(3600)).await;
            }
        })
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("core 1 panicked"), "{msg}");
    assert!(msg.contains("core one gave up"), "{msg}");
    assert_eq!(started.load(Ordering::SeqCst), 2);
}

#[test]
fn bad_configurations_are_clear_errors() {
    let err = ThreadPerCore::builder()
        .cores(0)
        .run(|_| async {})
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = ThreadPerCore::builder()
        .cores(cpus() + 1)
        .pin(true)
        .run(|_| async {})
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = ThreadPerCore::builder()
        .cpus(vec![100_000])
        .run(|_| async {})
        .unwrap_err();
    assert!(err.to_string().contains("core 0 failed to start"), "{err}");
    let err = ThreadPerCore::builder()
        .cores(2)
        .runtime(uring_rt::Runtime::builder().entries(0))
        .run(|_| async {})
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn every_core_serves_connections_on_a_shared_reuseport_port() {
    use std::io::{Read, Write};
    use uring_rt::net::TcpListener;

    const CLIENTS: usize = 64;
    // Bind one listener per core on the same port before starting the cores.
    let first = TcpListener::bind_reuseport("127.0.0.1:0").unwrap();
    let addr = first.local_addr().unwrap();
    let second = TcpListener::bind_reuseport(addr).unwrap();
    let listeners = Arc::new(std::sync::Mutex::new(vec![Some(first), Some(second)]));
    let served = Arc::new(AtomicUsize::new(0));

    let clients = std::thread::spawn(move || {
        let mut echoed = 0;
        for i in 0..CLIENTS {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            let msg = format!("client {i}");
            s.write_all(msg.as_bytes()).unwrap();
            let mut back = vec![0u8; msg.len()];
            s.read_exact(&mut back).unwrap();
            assert_eq!(back, msg.as_bytes());
            echoed += 1;
        }
        echoed
    });

    let s = served.clone();
    let per_core = ThreadPerCore::builder()
        .cores(2)
        .run(move |core| {
            let listener = listeners.lock().unwrap()[core.index()].take().unwrap();
            let served = s.clone();
            async move {
                let mut mine = 0;
                // Serve until all clients were served (by either core), with a time bound.
                let deadline = std::time::Instant::now() + Duration::from_secs(20);
                while served.load(Ordering::SeqCst) < CLIENTS
                    && std::time::Instant::now() < deadline
                {
                    let accepted =
                        uring_rt::time::timeout(Duration::from_millis(20), listener.accept()).await;
                    let Ok(Ok((stream, _))) = accepted else {
                        continue;
                    };
                    let (res, buf) = stream.read(Vec::with_capacity(64)).await;
                    res.unwrap();
                    stream.write_all(buf).await.0.unwrap();
                    mine += 1;
                    served.fetch_add(1, Ordering::SeqCst);
                }
                mine
            }
        })
        .unwrap();
    assert_eq!(clients.join().unwrap(), CLIENTS);
    assert_eq!(per_core.iter().sum::<usize>(), CLIENTS);
    // The kernel spreads connections by hash; with 64 of them both cores get some.
    assert!(per_core.iter().all(|&n| n > 0), "per core: {per_core:?}");
}
