//! The kernel-work switches of the builder (`register_ring_fd`, `no_sqarray`): every
//! combination moves data correctly, and the registered ring fd is given back when the
//! runtime drops.

use uring_rt::net::UnixStream;
use uring_rt::runtime::DriverKind;
use uring_rt::Runtime;

/// 200 request/response rounds over a socket pair, checked byte for byte.
fn echo_rounds(rt: &Runtime) {
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut buf = vec![0u8; 256];
        for i in 0..200u32 {
            let msg: Vec<u8> = (0..100u32).map(|j| (i * 7 + j) as u8).collect();
            let (res, _) = a.write_all(msg.clone()).await;
            res.unwrap();
            let mut got = Vec::new();
            while got.len() < msg.len() {
                buf.clear();
                let (res, b2) = b.read(buf).await;
                let n = res.unwrap();
                assert!(n > 0, "unexpected EOF");
                got.extend_from_slice(&b2[..n]);
                buf = b2;
            }
            assert_eq!(got, msg);
        }
        drop((a, b));
        // The closes complete within a few round trips.
        for _ in 0..100 {
            if rt.in_flight_ops() == 0 {
                break;
            }
            uring_rt::io::nop().await.unwrap();
        }
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn every_combination_of_switches_echoes_correctly() {
    for register in [false, true] {
        for no_sqarray in [false, true] {
            // io_uring explicitly: the switches are the ring's (CI also runs the tests with
            // URING_RT_DRIVER=epoll).
            let rt = Runtime::builder()
                .driver(DriverKind::IoUring)
                .entries(8)
                .register_ring_fd(register)
                .no_sqarray(no_sqarray)
                .build()
                .unwrap();
            let before = rt.metrics();
            echo_rounds(&rt);
            let m = rt.metrics().since(&before);
            assert_eq!(m.ops_submitted, m.ops_completed, "{m:?}");
            assert!(m.enters > 0 && m.sqes_submitted >= m.ops_submitted, "{m:?}");
            let dbg = format!("{rt:?}");
            assert!(
                dbg.contains(&format!("ring_fd_registered: {register}")),
                "{dbg}"
            );
        }
    }
}

#[test]
fn a_dropped_runtime_gives_its_registered_ring_slot_back() {
    // A thread has 16 registered-ring slots: without the unregistration at drop the 17th
    // runtime would fall back to the plain fd (and each old ring would stay alive, its
    // memory and file referenced until the thread exits).
    for i in 0..40 {
        let rt = Runtime::builder()
            .driver(DriverKind::IoUring)
            .register_ring_fd(true)
            .build()
            .unwrap();
        rt.block_on(async { uring_rt::io::nop().await.unwrap() });
        let dbg = format!("{rt:?}");
        assert!(
            dbg.contains("ring_fd_registered: true"),
            "runtime {i}: {dbg}"
        );
    }
}
