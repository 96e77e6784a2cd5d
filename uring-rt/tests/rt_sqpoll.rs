//! SQPOLL rings keep submitting while tasks stay ready (defect 3 of issue 9): once the SQ
//! thread went to sleep, every submission path must wake it, not only the park.

use std::cell::Cell;
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
