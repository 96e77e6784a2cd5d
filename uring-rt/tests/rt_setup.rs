//! Runtimes where io_uring is forbidden: with `DriverKind::IoUring` the error names the cause
//! and the fix; with `Auto` the epoll driver runs the same program.

use std::process::Command;
use std::time::{Duration, Instant};

use uring_rt::runtime::DriverKind;

const CHILD_ENV: &str = "URING_RT_SECCOMP_CHILD";

/// Installs a seccomp filter making `io_uring_setup`, `io_uring_enter` and
/// `io_uring_register` fail with EPERM (what container profiles do), for this process only.
fn forbid_io_uring() {
    const SYS_IO_URING_SETUP: u32 = 425;
    const SYS_IO_URING_REGISTER: u32 = 427;
    const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
    let filter = [
        // Load the architecture; kill nothing, allow if it is not x86_64.
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 4,
        },
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 4,
            k: AUDIT_ARCH_X86_64,
        },
        // Load the syscall number.
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        },
        // 425 <= nr <= 427: io_uring_setup, io_uring_enter, io_uring_register.
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16,
            jt: 0,
            jf: 2,
            k: SYS_IO_URING_SETUP,
        },
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JGT | libc::BPF_K) as u16,
            jt: 1,
            jf: 0,
            k: SYS_IO_URING_REGISTER,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: plain prctl calls with valid arguments; `prog` outlives the call.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &prog as *const libc::sock_fprog
            ),
            0,
            "installing the seccomp filter failed: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Runs only in the child process the real test starts (ignored otherwise; the parent passes
/// `--ignored` and sets CHILD_ENV).
#[test]
#[ignore = "run by runtime_new_under_seccomp_denial_explains_the_cause in a child process"]
fn seccomp_child() {
    assert!(
        std::env::var_os(CHILD_ENV).is_some(),
        "installs a seccomp filter on the whole process: run only in the child"
    );
    forbid_io_uring();
    let err = uring_rt::Runtime::builder()
        .driver(DriverKind::IoUring)
        .build()
        .expect_err("io_uring_setup is forbidden");
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    let msg = err.to_string();
    assert!(msg.contains("EPERM"), "{msg}");
    assert!(msg.contains("kernel.io_uring_disabled"), "{msg}");
    assert!(msg.contains("seccomp"), "{msg}");
    println!("CHILD-OK: {msg}");
}

/// Runs `child` (an ignored test of this binary) in a child process; asserts it printed `ok`.
fn run_child(child: &str, ok: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            child,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(ok),
        "child failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn runtime_new_under_seccomp_denial_explains_the_cause() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipping: the seccomp filter in this test is written for x86_64");
        return;
    }
    run_child("seccomp_child", "CHILD-OK");
}

/// Runs only in the child process `auto_runs_on_epoll_under_seccomp` starts.
#[test]
#[ignore = "run by auto_runs_on_epoll_under_seccomp in a child process"]
fn seccomp_auto_child() {
    assert!(
        std::env::var_os(CHILD_ENV).is_some(),
        "installs a seccomp filter on the whole process: run only in the child"
    );
    forbid_io_uring();
    let rt = uring_rt::Runtime::builder()
        .driver(DriverKind::Auto)
        .build()
        .expect("Auto falls back to epoll");
    assert_eq!(rt.driver_kind(), DriverKind::Epoll);
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        // An echo exchange over TCP.
        let listener = uring_rt::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = uring_rt::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut total = 0;
            loop {
                let (n, buf) = stream.read(vec![0u8; 4096]).await;
                let n = n.unwrap();
                if n == 0 {
                    break total;
                }
                total += n;
                let (res, _) = stream.write_all(buf[..n].to_vec()).await;
                res.unwrap();
            }
        });
        let client = uring_rt::net::TcpStream::connect(addr).await.unwrap();
        let message: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let (res, _) = client.write_all(message.clone()).await;
        res.unwrap();
        let mut echoed = Vec::new();
        while echoed.len() < message.len() {
            let (n, buf) = client.read(vec![0u8; 8192]).await;
            let n = n.unwrap();
            assert!(n > 0, "early EOF after {} bytes", echoed.len());
            echoed.extend_from_slice(&buf[..n]);
        }
        assert!(echoed == message, "echoed bytes differ");
        drop(client);
        assert_eq!(server.await.unwrap(), message.len());

        // A file round trip.
        let path = dir.path().join("round-trip");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        uring_rt::fs::write(&path, &data).await.unwrap();
        assert!(uring_rt::fs::read(&path).await.unwrap() == data);
        assert!(std::fs::read(&path).unwrap() == data);

        // A timer.
        let start = Instant::now();
        uring_rt::time::sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));
    });
    assert_eq!(rt.in_flight_ops(), 0);
    println!("AUTO-EPOLL-OK");
}

#[test]
fn auto_runs_on_epoll_under_seccomp() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipping: the seccomp filter in this test is written for x86_64");
        return;
    }
    run_child("seccomp_auto_child", "AUTO-EPOLL-OK");
}

#[test]
fn a_bad_ring_size_is_an_error_that_names_it() {
    let err = uring_rt::Runtime::builder().entries(0).build().unwrap_err();
    assert!(err.to_string().contains("entries"));
}
