//! `Runtime::new` when io_uring is forbidden: the error names the cause and the fix.

use std::process::Command;

const CHILD_ENV: &str = "URING_RT_SECCOMP_CHILD";

/// Installs a seccomp filter making `io_uring_setup` fail with EPERM (what container
/// profiles do), for this process only.
fn forbid_io_uring_setup() {
    const SYS_IO_URING_SETUP: u32 = 425;
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
            jf: 3,
            k: AUDIT_ARCH_X86_64,
        },
        // Load the syscall number.
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        },
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: SYS_IO_URING_SETUP,
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
    forbid_io_uring_setup();
    let err = uring_rt::Runtime::new().expect_err("io_uring_setup is forbidden");
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    let msg = err.to_string();
    assert!(msg.contains("EPERM"), "{msg}");
    assert!(msg.contains("kernel.io_uring_disabled"), "{msg}");
    assert!(msg.contains("seccomp"), "{msg}");
    println!("CHILD-OK: {msg}");
}

#[test]
fn runtime_new_under_seccomp_denial_explains_the_cause() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipping: the seccomp filter in this test is written for x86_64");
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "seccomp_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("CHILD-OK"),
        "child failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_bad_ring_size_is_an_error_that_names_it() {
    let err = uring_rt::Runtime::builder().entries(0).build().unwrap_err();
    assert!(err.to_string().contains("entries"));
}
