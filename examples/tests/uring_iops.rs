//! `uring-iops`, run as a program: every `--rw` mode with `--json`, threads and a runtime
//! limit, registered buffers, and bad command lines.

use std::process::{Command, Output};

const IOPS: &str = env!("CARGO_BIN_EXE_uring-iops");

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn run(args: &[&str]) -> Output {
    Command::new(IOPS).args(args).output().unwrap()
}

/// Runs with `--json` and checks the figures hang together.
fn run_json(args: &[&str], bs: f64) -> serde_json::Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let iops = v["iops"].as_f64().unwrap();
    let bw = v["bw_bytes"].as_f64().unwrap();
    assert!(iops > 0.0, "{v}");
    assert!(
        (bw / iops - bs).abs() < 1e-6 * bs,
        "bandwidth is iops x bs: {v}"
    );
    let lat = &v["lat_ns"];
    let (p50, p99, p999, max) = (
        lat["p50"].as_u64().unwrap(),
        lat["p99"].as_u64().unwrap(),
        lat["p999"].as_u64().unwrap(),
        lat["max"].as_u64().unwrap(),
    );
    assert!(0 < p50 && p50 <= p99 && p99 <= p999 && p999 <= max, "{v}");
    v
}

#[test]
fn every_mode_reports_sane_json() {
    let dir = tempdir();
    let file = dir.path().join("data");
    let f = file.to_str().unwrap();
    for rw in ["randread", "randwrite", "read", "write", "randrw"] {
        let v = run_json(
            &[
                f, "--rw", rw, "--size", "8M", "--ops", "3000", "--qd", "8", "--json",
            ],
            4096.0,
        );
        assert_eq!(v["ops"], 3000, "{rw}: {v}");
    }
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 8 << 20);
    // The other knobs: mix, block size, direct I/O, registered buffers, threads, runtime.
    run_json(
        &[
            f, "--rw", "randrw", "--mix", "70", "--bs", "16k", "--ops", "500", "--json",
        ],
        16384.0,
    );
    let v = run_json(
        &[
            f,
            "--direct",
            "--fixed-bufs",
            "--qd",
            "4",
            "--ops",
            "1000",
            "--json",
        ],
        4096.0,
    );
    assert_eq!(v["ops"], 1000);
    let v = run_json(
        &[f, "--threads", "2", "--runtime", "200ms", "--json"],
        4096.0,
    );
    assert!(v["ops"].as_u64().unwrap() > 0);
    // The human summary.
    let out = run(&[f, "--ops", "100"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("IOPS") && text.contains("p99.9"), "{text}");
}

#[test]
fn bad_input_fails_with_one_line() {
    let dir = tempdir();
    let missing = dir.path().join("missing");
    let small = dir.path().join("small");
    std::fs::write(&small, b"tiny").unwrap();
    let (m, s) = (missing.to_str().unwrap(), small.to_str().unwrap());
    let cases: &[&[&str]] = &[
        &[m, "--ops", "10"],
        &[s, "--qd", "0"],
        &[s, "--bs", "4q"],
        &[s, "--bs", "0"],
        &[s, "--rw", "sideways"],
        &[s, "--ops", "10"],
        &[s, "--runtime", "1s", "--ops", "5"],
        &[],
    ];
    for args in cases {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("uring-iops: "), "{err}");
    }
    assert!(!missing.exists(), "created without --size");
    let out = run(&[m, "--ops", "1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--size"));
}
