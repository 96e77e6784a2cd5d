//! `uring_rt::signal::ctrl_c`: a SIGINT delivered to the process or to a thread that is not
//! a runtime wakes every waiting future on every runtime; nothing completes without one.
//! One test function: the signals of parallel tests would otherwise cross.

use std::os::unix::thread::JoinHandleExt;
use std::sync::mpsc;
use std::time::Duration;

use uring_rt::time::timeout;

fn waiters_on_a_runtime(n: usize, ready: mpsc::Sender<()>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        uring_rt::start(async move {
            let futs: Vec<_> = (0..n).map(|_| uring_rt::signal::ctrl_c()).collect();
            ready.send(()).unwrap();
            let mut done = 0;
            for f in futs {
                timeout(Duration::from_secs(20), f)
                    .await
                    .expect("ctrl_c future woke")
                    .unwrap();
                done += 1;
            }
            done
        })
    })
}

#[test]
fn ctrl_c_wakes_every_waiter_and_nothing_else() {
    // 1. A SIGINT sent to a plain thread (not a runtime's, SIGINT not blocked) wakes two
    //    futures on each of two runtimes.
    let (tx, rx) = mpsc::channel();
    let a = waiters_on_a_runtime(2, tx.clone());
    let b = waiters_on_a_runtime(2, tx);
    rx.recv().unwrap();
    rx.recv().unwrap();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let bystander = std::thread::spawn(move || {
        let _ = stop_rx.recv_timeout(Duration::from_secs(30));
    });
    // SAFETY: the pthread is alive (it waits on the channel until told to stop).
    let rc = unsafe { libc::pthread_kill(bystander.as_pthread_t(), libc::SIGINT) };
    assert_eq!(rc, 0);
    assert_eq!(a.join().unwrap(), 2);
    assert_eq!(b.join().unwrap(), 2);
    stop_tx.send(()).unwrap();
    bystander.join().unwrap();

    uring_rt::start(async {
        // 2. Signals from before a future was made do not complete it.
        let quiet = uring_rt::signal::ctrl_c();
        assert!(timeout(Duration::from_millis(100), quiet).await.is_err());

        // 3. A SIGINT to the whole process.
        let f = uring_rt::signal::ctrl_c();
        // SAFETY: plain syscalls.
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGINT) }, 0);
        timeout(Duration::from_secs(20), f).await.unwrap().unwrap();

        // 4. At most 128 waiters at once; a dropped one frees its slot.
        let held: Vec<_> = (0..128).map(|_| uring_rt::signal::ctrl_c()).collect();
        let err = uring_rt::signal::ctrl_c().await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::Other);
        drop(held);
        let again = uring_rt::signal::ctrl_c();
        // SAFETY: plain syscalls.
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGINT) }, 0);
        timeout(Duration::from_secs(20), again)
            .await
            .unwrap()
            .unwrap();
    });
}
