//! The io_uring driver's per-op fallback: when the kernel's probe lacks an opcode, the op runs
//! its system call on the runtime's I/O threads and behaves as it would in the kernel (same
//! results, same errors, same ownership on cancellation and shutdown). Older kernels are
//! simulated by hiding opcodes from the probe (`FaultConfig::hide_opcode`). Its own test
//! binary: the fd count is process-wide.

use std::io::Write as _;
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;
use std::time::Duration;

use io_uring::opcode;
use uring_rt::fault::FaultConfig;
use uring_rt::fs::{self, File, OpenOptions};
use uring_rt::runtime::DriverKind;
use uring_rt::Runtime;

/// The tests of this binary count process-wide fds: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Every opcode the blocking pool can stand in for.
const POOL_OPS: [u8; 11] = [
    opcode::Fsync::CODE,
    opcode::SyncFileRange::CODE,
    opcode::Fallocate::CODE,
    opcode::OpenAt::CODE,
    opcode::Statx::CODE,
    opcode::RenameAt::CODE,
    opcode::UnlinkAt::CODE,
    opcode::MkDirAt::CODE,
    opcode::SymlinkAt::CODE,
    opcode::LinkAt::CODE,
    opcode::Ftruncate::CODE,
];

/// An io_uring runtime whose probe lacks `hidden`.
fn runtime(hidden: &[u8]) -> Runtime {
    let faults = hidden
        .iter()
        .fold(FaultConfig::new(1), |c, &code| c.hide_opcode(code));
    Runtime::builder()
        .driver(DriverKind::IoUring)
        .faults(faults)
        .build()
        .unwrap()
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn file_and_path_ops_run_on_the_pool_with_the_kernels_results() {
    let _serial = lock();
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(&POOL_OPS);
    let before = rt.metrics();
    let base = dir.path().to_path_buf();
    rt.block_on(async move {
        let sub = base.join("sub");
        fs::create_dir(&sub).await.unwrap();
        let path = sub.join("data");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .open(&path)
            .await
            .unwrap();
        let payload: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 251) as u8).collect();
        file.write_all_at(payload.clone(), 0).await.0.unwrap();
        file.sync_all().await.unwrap();
        file.sync_data().await.unwrap();
        file.sync_range(0, 4096, libc::SYNC_FILE_RANGE_WRITE)
            .await
            .unwrap();
        file.fallocate(0, 20_000, 0).await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 20_000);
        file.set_len(5_000).await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 5_000);
        file.close().await.unwrap();
        // Byte for byte against std.
        assert_eq!(std::fs::read(&path).unwrap(), payload[..5_000]);

        fs::hard_link(&path, sub.join("link")).await.unwrap();
        fs::symlink(&path, sub.join("sym")).await.unwrap();
        fs::rename(sub.join("link"), sub.join("moved"))
            .await
            .unwrap();
        // The flags of `renameat2` reach the pool's call too.
        let e = fs::rename_noreplace(sub.join("sym"), sub.join("moved"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        let m = fs::metadata(sub.join("moved")).await.unwrap();
        assert_eq!(m.len(), 5_000);
        assert_eq!(std::fs::metadata(&path).unwrap().nlink(), 2);
        assert_eq!(std::fs::read_link(sub.join("sym")).unwrap(), path);
        fs::remove_file(sub.join("moved")).await.unwrap();
        fs::remove_file(sub.join("sym")).await.unwrap();
        fs::remove_file(&path).await.unwrap();
        fs::remove_dir(&sub).await.unwrap();
        assert!(!sub.exists());
    });
    let done = rt.metrics().since(&before);
    // mkdir, open, fsync x2, sync_file_range, fallocate, statx, ftruncate, statx, link,
    // symlink, rename x2, statx, unlink x3, rmdir (an UNLINKAT too).
    assert_eq!(done.ops_fallback, 18, "{done:?}");
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn errors_are_the_kernels() {
    let _serial = lock();
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(&POOL_OPS);
    let base = dir.path().to_path_buf();
    rt.block_on(async move {
        let missing = base.join("missing");
        let e = File::open(&missing).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
        let e = fs::metadata(&missing).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        let e = fs::remove_dir(&missing).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
        fs::create_dir(base.join("d")).await.unwrap();
        let e = fs::create_dir(base.join("d")).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        // ftruncate on a read-only file: EINVAL, as from the kernel's opcode.
        std::fs::write(base.join("ro"), b"abc").unwrap();
        let ro = File::open(base.join("ro")).await.unwrap();
        let e = ro.set_len(1).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
        ro.close().await.unwrap();
    });
    assert_eq!(rt.in_flight_ops(), 0);
}

#[test]
fn an_op_the_pool_cannot_run_is_unsupported() {
    let _serial = lock();
    let rt = runtime(&[opcode::Read::CODE]);
    let mut tmp = tempfile::NamedTempFile::new().unwrap();
    tmp.write_all(b"hello").unwrap();
    let path = tmp.path().to_path_buf();
    rt.block_on(async move {
        let file = File::open(&path).await.unwrap();
        let (res, buf) = file.read_at(Vec::with_capacity(5), 0).await;
        let e = res.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
        assert!(e.to_string().contains("IORING_OP_READ"), "{e}");
        // The buffer comes back.
        assert_eq!(buf.capacity(), 5);
    });
    assert_eq!(rt.metrics().ops_fallback, 0);
}

#[test]
fn registered_files_resolve_on_the_pool() {
    let _serial = lock();
    let rt = runtime(&[opcode::Ftruncate::CODE, opcode::Fsync::CODE]);
    let tmp = tempfile::tempfile().unwrap();
    let check = tmp.try_clone().unwrap();
    rt.block_on(async move {
        let file = File::from_std(tmp);
        file.register().unwrap();
        file.set_len(777).await.unwrap();
        file.sync_all().await.unwrap();
    });
    assert_eq!(check.metadata().unwrap().len(), 777);
    assert_eq!(rt.metrics().ops_fallback, 2);
}

/// Makes a FIFO: opening it for reading blocks until a writer opens it, which keeps an
/// `OPENAT` busy on the pool for as long as the test wants.
fn fifo(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("fifo");
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; plain syscall.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    path
}

/// Opens `path` for writing once the reader waits (a nonblocking writer open fails with
/// ENXIO while no reader has it open).
fn open_writer(path: &std::path::Path) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    for _ in 0..500 {
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            Ok(f) => return f,
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("open writer: {e}"),
        }
    }
    panic!("the reader never opened the FIFO");
}

#[test]
fn a_dropped_op_on_the_pool_keeps_its_data_and_closes_what_it_opened() {
    let _serial = lock();
    let dir = tempfile::tempdir().unwrap();
    let path = fifo(dir.path());
    let rt = runtime(&[opcode::OpenAt::CODE]);
    let baseline = open_fds();
    let reader_path = path.clone();
    rt.block_on(async move {
        // The open blocks on the pool; the timeout drops its future.
        let res =
            uring_rt::time::timeout(Duration::from_millis(50), File::open(&reader_path)).await;
        assert!(res.is_err(), "the FIFO open cannot finish without a writer");
    });
    // The op is still in flight: its path buffer lives in the driver's slot.
    assert_eq!(rt.in_flight_ops(), 1);
    let writer = open_writer(&path);
    // The open completes; the driver closes the fd nobody took.
    rt.block_on(async {
        for _ in 0..500 {
            if rt.in_flight_ops() == 0 {
                break;
            }
            uring_rt::time::sleep(Duration::from_millis(2)).await;
        }
    });
    drop(writer);
    assert_eq!(rt.in_flight_ops(), 0);
    assert_eq!(
        open_fds(),
        baseline,
        "the fd the orphaned open made was closed"
    );
    drop(rt);
}

#[test]
fn shutdown_waits_for_ops_on_the_pool() {
    let _serial = lock();
    let dir = tempfile::tempdir().unwrap();
    let path = fifo(dir.path());
    let baseline = open_fds();
    let rt = runtime(&[opcode::OpenAt::CODE]);
    let reader_path = path.clone();
    rt.block_on(async move {
        uring_rt::spawn(async move {
            let _ = File::open(&reader_path).await;
        });
        uring_rt::time::sleep(Duration::from_millis(20)).await;
    });
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        open_writer(&path)
    });
    // The task (and its op's future) drops; the driver waits for the pool's open and closes
    // the fd it made. Had it given up waiting, the op's data (and that fd) would leak.
    drop(rt);
    drop(writer.join().unwrap());
    assert_eq!(open_fds(), baseline, "nothing leaked");
}

#[test]
fn sockets_and_closes_without_their_opcodes_use_the_plain_calls() {
    let _serial = lock();
    let baseline = open_fds();
    let rt = runtime(&[opcode::Socket::CODE, opcode::Close::CODE]);
    rt.block_on(async {
        let listener = uring_rt::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        for round in 0..5u8 {
            let client = uring_rt::net::TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let msg: Vec<u8> = (0..1000u32).map(|i| (i as u8) ^ round).collect();
            client.write_all(msg.clone()).await.0.unwrap();
            let mut got = Vec::new();
            while got.len() < msg.len() {
                let (n, buf) = server.read(Vec::with_capacity(4096)).await;
                assert!(n.unwrap() > 0);
                got.extend_from_slice(&buf);
            }
            assert_eq!(got, msg);
        }
    });
    // Socket and close have their own synchronous forms (`socket(2)`, `close(2)`, neither
    // blocks): nothing went to the pool.
    assert_eq!(rt.metrics().ops_fallback, 0);
    assert_eq!(rt.in_flight_ops(), 0);
    drop(rt);
    assert_eq!(open_fds(), baseline);
}
