//! `ucp`'s kernel copy of large buffered files (`copy_file_range` through
//! `uring_rt::fs::File::copy_range_to`): files that cross chunk boundaries, compared byte for
//! byte with the source and with the read/write path (`--no-kernel-copy`); a sparse file
//! keeping its holes; an empty file; `--verify`; Ctrl-C between chunks; and the fall back to
//! reads and writes where the kernel cannot copy (to another filesystem: `EXDEV`).

use std::fs;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const UCP: &str = env!("CARGO_BIN_EXE_ucp");

/// A temporary directory on the target's disk (not tmpfs: holes as on disk).
fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn ucp(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = Command::new(UCP);
    for a in args {
        cmd.arg(a);
    }
    cmd.arg("--no-progress").output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The `bytes` of ucp's `--json` output.
fn json_bytes(out: &Output) -> u64 {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["bytes"].as_u64().unwrap()
}

/// Deterministic, incompressible bytes.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Names of the files under `dir` that look like ucp's temporaries.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".ucp-"))
        .collect()
}

/// Sizes around the 4 MiB threshold and around 1 MiB and 3 MiB chunk boundaries.
const SIZES: [usize; 5] = [
    (4 << 20) - 1,
    4 << 20,
    (4 << 20) + 1,
    (9 << 20) + 777,
    12 << 20,
];

#[test]
fn large_files_cross_chunk_boundaries_byte_for_byte() {
    let dir = tempdir();
    let mut sources = Vec::new();
    let mut total = 0;
    for (i, len) in SIZES.iter().enumerate() {
        let p = dir.path().join(format!("f{i}"));
        fs::write(&p, pattern(*len, 10 + i as u64)).unwrap();
        sources.push(p);
        total += *len as u64;
    }
    // Kernel-copy chunks are 64 blocks of `--bs`: one chunk per file by default (64 MiB),
    // 1 MiB (`--bs 16k`), 3 MiB (`--bs 48k`: boundaries off the sizes' multiples), one chunk
    // in flight; and the read/write path for comparison.
    let runs: [&[&str]; 5] = [
        &[],
        &["--bs", "16k"],
        &["--bs", "48k"],
        &["--bs", "16k", "--qd", "1"],
        &["--no-kernel-copy"],
    ];
    for (r, extra) in runs.iter().enumerate() {
        let dst = dir.path().join(format!("out{r}"));
        fs::create_dir(&dst).unwrap();
        let mut cmd = Command::new(UCP);
        cmd.args(*extra).args(["--json", "--no-progress"]);
        cmd.args(&sources).arg(&dst);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        assert_eq!(json_bytes(&out), total, "{extra:?}: bytes counted");
        for p in &sources {
            let copy = dst.join(p.file_name().unwrap());
            let (a, b) = (fs::read(p).unwrap(), fs::read(&copy).unwrap());
            assert_eq!(a.len(), b.len(), "{extra:?}: length of {copy:?}");
            assert!(a == b, "{extra:?}: data of {copy:?}");
        }
        assert!(leftovers(&dst).is_empty());
    }
}

#[test]
fn a_sparse_file_keeps_its_holes() {
    let dir = tempdir();
    let src = dir.path().join("sparse");
    let f = fs::File::create(&src).unwrap();
    // 64 MiB: a hole at the start, 2 MiB + 12 KiB of data across a 1 MiB boundary, a hole,
    // 8 KiB of data, and a hole at the end.
    f.set_len(64 << 20).unwrap();
    let first = pattern((2 << 20) + 12_288, 5);
    f.write_all_at(&first, (5 << 20) - 4096).unwrap();
    f.write_all_at(&pattern(8192, 6), 40 << 20).unwrap();
    drop(f);
    let sm = fs::metadata(&src).unwrap();
    let dst = dir.path().join("copy");
    // 1 MiB chunks: the first data extent crosses chunk boundaries.
    let out = ucp(&[&"--json", &"--verify", &"--bs", &"16k", &src, &dst]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (fs::read(&src).unwrap(), fs::read(&dst).unwrap());
    assert_eq!(a.len(), b.len());
    assert!(a == b, "data differs");
    let dm = fs::metadata(&dst).unwrap();
    if sm.blocks() * 512 < 8 << 20 {
        // Data only where the source has it (a little slack for the filesystem's blocks).
        assert!(
            dm.blocks() * 512 <= sm.blocks() * 512 + (1 << 20),
            "copy uses {} blocks, source {}",
            dm.blocks(),
            sm.blocks()
        );
        assert!(json_bytes(&out) < 8 << 20, "holes not counted as data");
        assert!(json_bytes(&out) >= first.len() as u64 + 8192);
    } else {
        println!("the filesystem did not keep the source sparse; hole check skipped");
    }
}

#[test]
fn an_empty_file_is_copied() {
    let dir = tempdir();
    let src = dir.path().join("empty");
    fs::write(&src, b"").unwrap();
    let dst = dir.path().join("copy");
    let out = ucp(&[&"--json", &src, &dst]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_bytes(&out), 0);
    assert_eq!(fs::metadata(&dst).unwrap().len(), 0);
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn verify_after_a_kernel_copy() {
    let dir = tempdir();
    let src = dir.path().join("big");
    fs::write(&src, pattern((6 << 20) + 5, 8)).unwrap();
    let dst = dir.path().join("copy");
    let out = ucp(&[&"--verify", &src, &dst]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("verified"));
    assert!(fs::read(&src).unwrap() == fs::read(&dst).unwrap());
}

#[test]
fn another_filesystem_falls_back_to_reads_and_writes() {
    // /dev/shm is a tmpfs on most systems; from the target's disk to it copy_file_range
    // says EXDEV, and ucp copies through its buffers instead.
    let shm = Path::new("/dev/shm");
    let dir = tempdir();
    let on_shm = match tempfile::tempdir_in(shm) {
        Ok(d) => d,
        Err(e) => {
            println!("skipped: no /dev/shm ({e})");
            return;
        }
    };
    if fs::metadata(on_shm.path()).unwrap().dev() == fs::metadata(dir.path()).unwrap().dev() {
        println!("skipped: /dev/shm is on the same filesystem as the target directory");
        return;
    }
    let src = dir.path().join("big");
    let data = pattern((5 << 20) + 3, 9);
    fs::write(&src, &data).unwrap();
    let dst = on_shm.path().join("copy");
    // 1 MiB chunks: the first is refused, the others follow it to the read/write path.
    let out = ucp(&[&"--json", &"--bs", &"16k", &src, &dst]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json_bytes(&out),
        data.len() as u64,
        "each byte counted once"
    );
    assert!(fs::read(&dst).unwrap() == data);
    // And back, tmpfs to disk.
    let back = dir.path().join("back");
    let out = ucp(&[&dst, &back]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::read(&back).unwrap() == data);
    assert!(leftovers(on_shm.path()).is_empty() && leftovers(dir.path()).is_empty());
}

#[test]
fn ctrl_c_between_chunks_removes_the_temporary_file() {
    // 256 KiB chunks, one in flight: 1,024 chunks, a fraction of a second in all. SIGINT
    // goes as soon as the temporary shows up; a run that finished first proves nothing and
    // is retried (it must still have produced a complete copy).
    let dir = tempdir();
    let src = dir.path().join("big");
    let data = pattern(256 << 20, 11);
    fs::write(&src, &data).unwrap();
    let out_dir = dir.path().join("out");
    let mut conclusive = false;
    for _ in 0..5 {
        let _ = fs::remove_dir_all(&out_dir);
        fs::create_dir(&out_dir).unwrap();
        let mut child = Command::new(UCP)
            .args(["--bs", "4k", "--qd", "1", "--no-progress"])
            .arg(&src)
            .arg(&out_dir)
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut exited = false;
        for _ in 0..20_000 {
            exited = child.try_wait().unwrap().is_some();
            if exited || !leftovers(&out_dir).is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        if !exited {
            // SAFETY: plain syscall sending SIGINT to our child, not yet reaped.
            assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
        }
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(leftovers(&out_dir).is_empty(), "temporary left: {err}");
        if out.status.success() {
            // Finished before the signal: a complete copy.
            assert!(fs::read(out_dir.join("big")).unwrap() == data);
            continue;
        }
        assert_eq!(out.status.code(), Some(130), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("interrupted"), "{err}");
        let left: Vec<_> = fs::read_dir(&out_dir).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?}");
        conclusive = true;
        break;
    }
    assert!(conclusive, "every copy finished before SIGINT arrived");
}
