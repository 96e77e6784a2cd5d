use std::time::{Duration, Instant};

#[test]
fn smoke() {
    let rt = uring_rt::Runtime::new().unwrap();
    println!("mode {:?}", rt.taskrun_mode());
    let v = rt.block_on(async {
        let h = uring_rt::spawn(async { 5 });
        uring_rt::io::nop().await.unwrap();
        let t = Instant::now();
        uring_rt::time::sleep(Duration::from_millis(20)).await;
        assert!(t.elapsed() >= Duration::from_millis(20));
        let mut hs = Vec::new();
        for i in 0..1000 {
            hs.push(uring_rt::spawn(async move {
                uring_rt::io::nop().await.unwrap();
                i
            }));
        }
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        assert_eq!(sum, 999 * 1000 / 2);
        h.await.unwrap()
    });
    assert_eq!(v, 5);
}
