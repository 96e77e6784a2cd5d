//! monoio's file-system tests (`monoio/tests/fs_file.rs`, `fs_create_dir.rs`,
//! `fs_metadata.rs`, `fs_rename.rs`, `fs_unlink.rs`) restated for `uring_rt::fs`.
//!
//! Not translated (no equivalent here):
//! - `File::read`/`write`/`readv` with an implicit cursor: ours is `File::cursor()` (tested below).
//! - `VecBuf` vectored buffers: ours take `Vec<B>` (tested below).
//! - `fs_file_asyncify.rs`, `fs_symlink.rs`: blocking-pool variants and symlink creation, not in DESIGN.md.

use std::io::{ErrorKind, SeekFrom};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use uring_rt::fs::{self, File, OpenOptions};
use uring_rt::prelude::*;

const HELLO: &[u8] = b"hello world...";

fn hello_file() -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), HELLO).unwrap();
    f
}

/// Whether `fd` is open on the file with inode `ino` (a closed fd that another test reused
/// refers to another inode).
fn is_open(fd: i32, ino: u64) -> bool {
    std::fs::metadata(format!("/proc/self/fd/{fd}")).is_ok_and(|m| m.ino() == ino)
}

#[test]
fn read_at_every_offset_up_to_and_past_eof() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        for off in 0..=HELLO.len() + 3 {
            let (res, buf) = file.read_at(Vec::with_capacity(1024), off as u64).await;
            let n = res.unwrap();
            let want = &HELLO[off.min(HELLO.len())..];
            assert_eq!(n, want.len(), "offset {off}");
            assert_eq!(buf, want, "offset {off}");
        }
        // Far past the end: 0 bytes, not an error.
        let (res, buf) = file.read_at(vec![9u8; 4], 1 << 40).await;
        assert_eq!(res.unwrap(), 0);
        assert_eq!(buf, [9, 9, 9, 9], "initialized bytes are left alone");
    });
}

#[test]
fn read_exact_at_reports_unexpected_eof() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        let (res, buf) = file.read_exact_at(Vec::with_capacity(HELLO.len()), 0).await;
        res.unwrap();
        assert_eq!(buf, HELLO);

        let (res, buf) = file
            .read_exact_at(Vec::with_capacity(HELLO.len() * 2), 0)
            .await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
        assert_eq!(buf, HELLO, "what was read stays in the buffer");

        let (res, _) = file.read_exact_at(Vec::with_capacity(1), 100).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
    });
}

#[test]
fn empty_buffers_transfer_nothing() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(tmp.path())
            .await
            .unwrap();
        let (res, buf) = file.read_at(Vec::new(), 0).await;
        assert_eq!(res.unwrap(), 0);
        assert!(buf.is_empty());
        let (res, _) = file.write_at(Vec::new(), 0).await;
        assert_eq!(res.unwrap(), 0);
        file.read_exact_at(Vec::new(), 0).await.0.unwrap();
        file.write_all_at(Vec::new(), 3).await.0.unwrap();
        // A Vec's length, not its capacity, is what a write sends.
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(b"HE");
        let (res, _) = file.write_at(v, 0).await;
        assert_eq!(res.unwrap(), 2);
        // A read fills a Vec from its start up to its capacity (`bytes_total`), replacing
        // what it held, as in tokio-uring and monoio.
        let mut v = Vec::with_capacity(4);
        v.extend_from_slice(b"zz");
        let cap = v.capacity();
        let (res, v) = file.read_at(v, 0).await;
        assert_eq!(res.unwrap(), cap.min(HELLO.len()));
        assert_eq!(v, &b"HEllo world..."[..cap.min(HELLO.len())]);
    });
    assert_eq!(std::fs::read(tmp.path()).unwrap(), b"HEllo world...");
}

#[test]
fn offsets_beyond_i64_are_invalid_input() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(tmp.path())
            .await
            .unwrap();
        // u64::MAX is io_uring's "current position"; the other values past i64::MAX are
        // negative offsets to the kernel.
        for pos in [1 << 63, u64::MAX - 1] {
            let (res, _) = file.read_at(vec![0u8; 4], pos).await;
            assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput, "{pos}");
            let (res, _) = file.write_at(b"x".to_vec(), pos).await;
            assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput, "{pos}");
            let (res, _) = file.read_exact_at(vec![0u8; 4], pos).await;
            assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput, "{pos}");
            let (res, _) = file.write_all_at(b"x".to_vec(), pos).await;
            assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput, "{pos}");
            let (res, _) = file.readv_at(vec![vec![0u8; 4]], pos).await;
            assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput, "{pos}");
            let (res, _) = file.writev_at(vec![b"x".to_vec()], pos).await;
            assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput, "{pos}");
        }
        // An exact read whose end passes i64::MAX fails cleanly, not by overflow.
        let (res, _) = file.read_exact_at(vec![0u8; 8], i64::MAX as u64 - 2).await;
        assert!(res.is_err());
        let e = file.set_len(u64::MAX).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    });
    assert_eq!(
        std::fs::read(tmp.path()).unwrap(),
        HELLO,
        "nothing was written"
    );
}

#[test]
fn exact_transfers_at_the_current_position_of_a_pipe() {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both fds were just created and are owned by no one else.
    let (rd, wr) = unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    };
    uring_rt::start(async {
        let (rd, wr) = (File::from_std(rd), File::from_std(wr));
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        // Larger than the pipe's buffer, so both sides loop over short transfers.
        let writer = wr.write_all_at(data.clone(), u64::MAX);
        let reader = rd.read_exact_at(Vec::with_capacity(data.len()), u64::MAX);
        let ((wres, _), (rres, got)) = futures::join!(writer, reader);
        wres.unwrap();
        rres.unwrap();
        assert_eq!(got, data);
    });
}

#[test]
fn write_at_ignores_any_file_position() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    uring_rt::start(async {
        let file = File::create(tmp.path()).await.unwrap();
        file.write_at(HELLO, 0).await.0.unwrap();
        file.sync_all().await.unwrap();
        assert_eq!(fs::read(tmp.path()).await.unwrap(), HELLO);
        file.write_at(b"uring...", 6).await.0.unwrap();
        file.sync_all().await.unwrap();
    });
    assert_eq!(std::fs::read(tmp.path()).unwrap(), b"hello uring...");
}

#[test]
fn cursor_reads_and_writes_advance_the_position() {
    let tmp = hello_file();
    uring_rt::start(async {
        let mut cur = File::open(tmp.path()).await.unwrap().cursor();
        let (res, a) = cur.read(Vec::with_capacity(HELLO.len() / 2)).await;
        assert_eq!(res.unwrap(), 7);
        let (res, b) = cur.read(Vec::with_capacity(HELLO.len() / 2)).await;
        assert_eq!(res.unwrap(), 7);
        assert_eq!([a, b].concat(), HELLO);
        let (res, _) = cur.read(Vec::with_capacity(8)).await;
        assert_eq!(res.unwrap(), 0, "end of file");
        // Positions are offsets of std's `Seek`: 0..=i64::MAX.
        for to in [SeekFrom::Start(u64::MAX), SeekFrom::Start(1 << 63)] {
            let e = cur.seek(to).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
        }
        let e = cur.seek(SeekFrom::Current(-100)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            cur.position(),
            HELLO.len() as u64,
            "failed seeks move nothing"
        );
        assert_eq!(cur.seek(SeekFrom::Start(6)).await.unwrap(), 6);
        let (res, buf) = cur.read(Vec::with_capacity(5)).await;
        assert_eq!(res.unwrap(), 5);
        assert_eq!(buf, b"world");

        let out = tempfile::NamedTempFile::new().unwrap();
        let mut w = File::create(out.path()).await.unwrap().cursor();
        assert_eq!(w.write(HELLO).await.0.unwrap(), HELLO.len());
        w.write_all(HELLO).await.0.unwrap();
        w.flush().await.unwrap();
        w.shutdown().await.unwrap();
        assert_eq!(std::fs::read(out.path()).unwrap(), [HELLO, HELLO].concat());
    });
}

#[test]
fn vectored_reads_split_across_buffers() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        let (res, bufs) = file.readv_at(vec![vec![0u8; 2]; 2], 0).await;
        assert_eq!(res.unwrap(), 4);
        assert_eq!(bufs.concat(), &HELLO[..4]);
        let (res, bufs) = file.readv_at(vec![vec![0u8; 2]; 5], 4).await;
        assert_eq!(res.unwrap(), 10);
        assert_eq!(bufs.concat(), &HELLO[4..]);
        let (res, bufs) = file.readv_at(Vec::<Vec<u8>>::new(), 0).await;
        assert_eq!(res.unwrap(), 0);
        assert!(bufs.is_empty());
    });
}

#[test]
fn close_and_drop_release_the_descriptor() {
    let tmp = hello_file();
    let ino = std::fs::metadata(tmp.path()).unwrap().ino();
    uring_rt::start(async {
        let file = File::open(tmp.path()).await.unwrap();
        let fd = file.as_raw_fd();
        assert!(is_open(fd, ino));
        file.close().await.unwrap();
        assert!(!is_open(fd, ino));

        let file = File::open(tmp.path()).await.unwrap();
        let fd = file.as_raw_fd();
        drop(file);
        // The drop closes asynchronously on the ring: wait for it, boundedly.
        for _ in 0..500 {
            if !is_open(fd, ino) {
                break;
            }
            uring_rt::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(!is_open(fd, ino));
    });
}

#[test]
fn from_std_file_reads_and_writes() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let std_file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .truncate(true)
        .open(tmp.path())
        .unwrap();
    uring_rt::start(async {
        let file = File::from_std(std_file);
        file.write_at(HELLO, 0).await.0.unwrap();
        file.sync_all().await.unwrap();
        let (res, buf) = file.read_at(Vec::with_capacity(64), 0).await;
        assert_eq!(res.unwrap(), HELLO.len());
        assert_eq!(buf, HELLO);
    });
}

#[test]
fn fs_read_and_write_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("whole");
    uring_rt::start(async {
        fs::write(&p, HELLO).await.unwrap();
        assert_eq!(fs::read(&p).await.unwrap(), HELLO);
        fs::write(&p, b"").await.unwrap();
        assert_eq!(fs::read(&p).await.unwrap(), b"");
        let e = fs::read(dir.path().join("missing")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn create_dir_and_create_dir_all() {
    let tmp = tempfile::tempdir().unwrap();
    uring_rt::start(async {
        let one = tmp.path().join("test");
        fs::create_dir(&one).await.unwrap();
        assert!(one.is_dir());
        std::fs::remove_dir(&one).unwrap();
        fs::create_dir_all(&one).await.unwrap();
        assert!(one.is_dir());
        fs::create_dir_all(&one).await.unwrap();
        fs::create_dir_all(tmp.path()).await.unwrap();

        let nested = tmp.path().join("a/b/c");
        fs::create_dir_all(&nested).await.unwrap();
        assert!(nested.is_dir());

        let emoji = tmp.path().join("foo/😀");
        fs::create_dir_all(&emoji).await.unwrap();
        assert!(emoji.is_dir());

        let mut deep = tmp.path().to_path_buf();
        for _ in 0..255 {
            deep.push("a");
        }
        fs::create_dir_all(&deep).await.unwrap();
        assert!(deep.is_dir());

        // A symlink to a directory is followed.
        let target = tmp.path().join("target");
        fs::create_dir_all(&target).await.unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        fs::create_dir_all(link.join("nested")).await.unwrap();
        assert!(target.join("nested").is_dir());
    });
}

#[test]
fn create_dir_bad_input_and_conflicts() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, b"foo bar").unwrap();
    uring_rt::start(async {
        let nul = format!("{}/invalid_dir/\0", tmp.path().display());
        let e = fs::create_dir_all(&nul).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = fs::create_dir(&nul).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);

        let e = fs::create_dir(&file).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert!(fs::create_dir_all(&file).await.is_err());
        let e = fs::create_dir_all(file.join("below")).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOTDIR));

        let e = fs::create_dir("").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        // As std: an empty path has nothing to create.
        assert!(std::fs::create_dir_all("").is_ok());
        fs::create_dir_all("").await.unwrap();
    });
}

#[test]
fn create_dir_all_under_a_read_only_directory() {
    if unsafe_is_root() {
        eprintln!("skipped: root ignores directory permissions");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ro = tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
    uring_rt::start(async {
        let e = fs::create_dir_all(ro.join("x/y")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    });
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o700)).unwrap();
}

fn unsafe_is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn metadata_matches_std() {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), b"foo bar").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(tmp.path(), &link).unwrap();
    uring_rt::start(async {
        let std_m = std::fs::metadata(tmp.path()).unwrap();
        let by_path = fs::metadata(tmp.path()).await.unwrap();
        let by_fd = File::open(tmp.path())
            .await
            .unwrap()
            .metadata()
            .await
            .unwrap();
        for m in [&by_path, &by_fd] {
            assert_eq!(m.len(), std_m.len());
            assert_eq!(m.modified().unwrap(), std_m.modified().unwrap());
            assert_eq!(m.accessed().unwrap(), std_m.accessed().unwrap());
            if let Ok(c) = std_m.created() {
                assert_eq!(m.created().unwrap(), c);
            }
            assert!(m.is_file() && !m.is_dir() && !m.is_symlink());
            assert_eq!(m.permissions(), std_m.permissions());
            assert_eq!(m.ino(), std_m.ino());
        }

        let d = fs::metadata(dir.path()).await.unwrap();
        let std_d = std::fs::metadata(dir.path()).unwrap();
        assert!(d.is_dir() && !d.is_file());
        assert_eq!(d.len(), std_d.len());
        assert_eq!(d.modified().unwrap(), std_d.modified().unwrap());

        let l = fs::symlink_metadata(&link).await.unwrap();
        let std_l = std::fs::symlink_metadata(&link).unwrap();
        assert!(l.is_symlink());
        assert_eq!(l.len(), std_l.len());
        assert!(fs::metadata(&link).await.unwrap().is_file());

        let e = fs::metadata(dir.path().join("none")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn rename_within_and_across_directories() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    uring_rt::start(async {
        let f = a.path().join("f");
        std::fs::write(&f, HELLO).unwrap();
        let g = a.path().join("g");
        fs::rename(&f, &g).await.unwrap();
        assert!(!f.exists() && g.exists());
        let h = b.path().join("g");
        fs::rename(&g, &h).await.unwrap();
        assert!(!g.exists());
        assert_eq!(std::fs::read(&h).unwrap(), HELLO);

        let e = fs::rename(a.path().join("none"), a.path().join("x"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn remove_file_and_remove_dir() {
    let tmp = tempfile::tempdir().unwrap();
    uring_rt::start(async {
        let target = tmp.path().join("test");
        File::create(&target).await.unwrap().close().await.unwrap();
        fs::remove_file(&target).await.unwrap();
        assert_eq!(
            File::open(&target).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs::remove_file(&target).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );

        let dir = tmp.path().join("dir");
        fs::create_dir(&dir).await.unwrap();
        let inner = dir.join("file");
        File::create(&inner).await.unwrap().close().await.unwrap();
        let e = fs::remove_dir(&dir).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DirectoryNotEmpty);
        let e = fs::remove_file(&dir).await.unwrap_err();
        assert_eq!(e.kind(), std::fs::remove_file(&dir).unwrap_err().kind());
        let e = fs::remove_dir(&inner).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotADirectory);
        fs::remove_file(&inner).await.unwrap();
        fs::remove_dir(&dir).await.unwrap();
        assert!(File::create(&inner).await.is_err());
        assert!(fs::remove_dir(&dir).await.is_err());
    });
}

#[test]
fn set_len_truncates_and_extends_with_zeros() {
    let tmp = hello_file();
    uring_rt::start(async {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(tmp.path())
            .await
            .unwrap();
        file.set_len(5).await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 5);
        file.set_len(8).await.unwrap();
        let (res, buf) = file.read_at(Vec::with_capacity(16), 0).await;
        assert_eq!(res.unwrap(), 8);
        assert_eq!(buf, b"hello\0\0\0");
        let ro = File::open(tmp.path()).await.unwrap();
        let e = ro.set_len(1).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    });
}
