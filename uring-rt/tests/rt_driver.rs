//! Choosing the driver, and the epoll driver's own hazards (the rest of the suite runs on it
//! a second time in CI with `URING_RT_DRIVER=epoll`).

use std::process::Command;
use std::time::Duration;

use uring_rt::net::{TcpListener, TcpStream};
use uring_rt::runtime::DriverKind;
use uring_rt::Runtime;

#[test]
fn the_builder_chooses_the_driver_and_driver_kind_says_which_runs() {
    let rt = Runtime::builder()
        .driver(DriverKind::Epoll)
        .build()
        .unwrap();
    assert_eq!(rt.driver_kind(), DriverKind::Epoll);
    assert_eq!(rt.taskrun_mode(), uring_rt::runtime::TaskrunMode::Default);
    rt.block_on(async { uring_rt::io::nop().await.unwrap() });
    assert_eq!(rt.in_flight_ops(), 0);

    let auto = Runtime::builder().driver(DriverKind::Auto).build().unwrap();
    assert_ne!(auto.driver_kind(), DriverKind::Auto);
    match Runtime::builder().driver(DriverKind::IoUring).build() {
        Ok(rt) => {
            assert_eq!(rt.driver_kind(), DriverKind::IoUring);
            assert_eq!(auto.driver_kind(), DriverKind::IoUring);
        }
        Err(e) => {
            eprintln!("io_uring cannot be set up here ({e}): Auto must have chosen epoll");
            assert_eq!(auto.driver_kind(), DriverKind::Epoll);
        }
    }
}

/// Runs in a child process with `URING_RT_DRIVER` set by the parent.
#[test]
#[ignore = "run by the_env_var_sets_the_default_driver in a child process"]
fn env_child() {
    let want = std::env::var("URING_RT_DRIVER").unwrap();
    match want.as_str() {
        "bogus" => {
            let e = Runtime::new().unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains("URING_RT_DRIVER"), "{e}");
            // The builder's explicit choice wins over the variable.
            let rt = Runtime::builder()
                .driver(DriverKind::Epoll)
                .build()
                .unwrap();
            assert_eq!(rt.driver_kind(), DriverKind::Epoll);
        }
        "epoll" => assert_eq!(Runtime::new().unwrap().driver_kind(), DriverKind::Epoll),
        other => panic!("unexpected {other}"),
    }
    println!("ENV-CHILD-OK");
}

#[test]
fn the_env_var_sets_the_default_driver() {
    for value in ["epoll", "bogus"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "env_child", "--ignored", "--nocapture"])
            .env("URING_RT_DRIVER", value)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("ENV-CHILD-OK"),
            "{value}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A socket that waited for readiness on one epoll runtime and was closed on another thread
/// leaves its number registered there; a new socket reusing the number (the kernel hands out
/// the lowest free one, so the next accepted socket gets it) must still be woken.
#[test]
fn a_number_reused_after_a_close_elsewhere_still_gets_readiness() {
    let rt = Runtime::builder()
        .driver(DriverKind::Epoll)
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        for round in 0..20u8 {
            let pair = async { (TcpStream::connect(addr).await, listener.accept().await) };
            let (client, accepted) = uring_rt::time::timeout(Duration::from_secs(5), pair)
                .await
                .expect("a connect or accept on a reused number was never woken");
            let (client, (server, _)) = (client.unwrap(), accepted.unwrap());
            // Both sides wait for readiness once (registering their numbers), then are woken.
            let writer = uring_rt::spawn(async move {
                uring_rt::time::sleep(Duration::from_millis(2)).await;
                let (res, _) = client.write_all(vec![round; 3]).await;
                res.unwrap();
                let read =
                    uring_rt::time::timeout(Duration::from_secs(5), client.read(vec![0u8; 8]));
                let (n, buf) = read.await.expect("never woken");
                assert_eq!(&buf[..n.unwrap()], &[round; 3]);
                client
            });
            let read = uring_rt::time::timeout(Duration::from_secs(5), server.read(vec![0u8; 8]));
            let (n, buf) = read
                .await
                .expect("a read waiting for readiness was never woken");
            let n = n.unwrap();
            assert_eq!(&buf[..n], &[round; 3]);
            let (res, _) = server.write_all(buf[..n].to_vec()).await;
            res.unwrap();
            let client = writer.await.unwrap();
            // Both closed on a thread without a runtime: close(2) there.
            std::thread::spawn(move || drop((server, client)))
                .join()
                .unwrap();
        }
    });
    // The listener's close went to the ring as the future ended: one more tick runs it.
    rt.block_on(async { uring_rt::io::nop().await.unwrap() });
    assert_eq!(rt.in_flight_ops(), 0);
}
