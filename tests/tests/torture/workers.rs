//! The other workers of a run: files, a FIFO read cancelled before its data arrives, a peer
//! that resets its connection, timers, no-ops, connections past the fd limit.

use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use uring_rt::fs::{File, OpenOptions};
use uring_rt::net::{TcpListener, TcpStream};
use uring_rt::time::{sleep, timeout};

use crate::canary::{data_byte, Arena, PATTERN};
use crate::check::{Stats, STATS};
use crate::rng::Rng;
use crate::streams::{guard, read_all, std_peer, End, SeqCheck};

/// A file of `size` bytes written and read at random offsets; every read is compared with a
/// model of the file; some reads are cancelled by timeouts, some go into canary buffers.
pub(crate) async fn file_rw(
    path: PathBuf,
    mut rng: Rng,
    arena: Arena,
    ops: u64,
) -> Result<(), String> {
    let size = rng.range(1, 64) * 1024;
    let file = guard(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path),
    )
    .await?
    .map_err(|e| format!("io error: open {}: {e}", path.display()))?;
    let mut model = vec![0u8; size as usize];
    let (res, _) = guard(file.write_all_at(model.clone(), 0)).await?;
    res.map_err(|e| format!("io error: file write: {e}"))?;
    for _ in 0..ops {
        let pos = rng.below(size);
        let len = rng.range(1, (size - pos).min(8192));
        match rng.below(5) {
            0 | 1 => {
                let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
                model[pos as usize..(pos + len) as usize].copy_from_slice(&data);
                let (res, _) = guard(file.write_all_at(data, pos)).await?;
                res.map_err(|e| format!("io error: file write_all_at({pos}, {len}): {e}"))?;
                Stats::add(&STATS.completed, 1);
            }
            2 => {
                let (res, buf) = guard(file.read_at(Vec::with_capacity(len as usize), pos)).await?;
                let n = res.map_err(|e| format!("io error: file read_at({pos}, {len}): {e}"))?;
                compare(&model, pos, &buf[..n])?;
                Stats::add(&STATS.completed, 1);
            }
            3 => {
                let Some(b) = arena.buf(len as usize) else {
                    continue;
                };
                let (res, b) = guard(file.read_at(b, pos)).await?;
                let n = res.map_err(|e| format!("io error: file canary read_at({pos}): {e}"))?;
                compare(&model, pos, &b.filled()[..n])?;
                Stats::add(&STATS.completed, 1);
            }
            _ => {
                let wait = Duration::from_micros(rng.below(200));
                match timeout(wait, file.read_at(Vec::with_capacity(len as usize), pos)).await {
                    Ok((res, buf)) => {
                        let n = res.map_err(|e| format!("io error: file read_at({pos}): {e}"))?;
                        compare(&model, pos, &buf[..n])?;
                        Stats::add(&STATS.completed, 1);
                    }
                    Err(_) => Stats::add(&STATS.cancelled, 1),
                }
            }
        }
    }
    if rng.chance(0.5) {
        guard(file.close())
            .await?
            .map_err(|e| format!("io error: close: {e}"))?;
    }
    Ok(())
}

fn compare(model: &[u8], pos: u64, got: &[u8]) -> Result<(), String> {
    let want = &model[pos as usize..pos as usize + got.len()];
    if got != want {
        let at = got.iter().zip(want).position(|(a, b)| a != b).unwrap();
        return Err(format!(
            "file read at {pos} differs from what was written at byte {}",
            pos + at as u64
        ));
    }
    Ok(())
}

/// A read of an empty FIFO into a canary buffer is cancelled by a timeout; then data is
/// written. The canary must hold, from the moment the runtime dropped it, either nothing or a
/// prefix of the data (if the kernel completed the read before the cancel), and later reads
/// must return exactly the rest.
pub(crate) async fn fifo_canary(
    path: PathBuf,
    mut rng: Rng,
    faults: bool,
    arena: Arena,
    rounds: u64,
) -> Result<(), String> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(format!("mkfifo: {}", std::io::Error::last_os_error()));
    }
    // O_RDWR on a FIFO does not block and keeps a writer open, so the ring's open of the read
    // end does not block either.
    let mut writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("io error: open fifo writer: {e}"))?;
    let reader = guard(File::open(&path))
        .await?
        .map_err(|e| format!("io error: open fifo reader: {e}"))?;
    let mut sent = 0u64;
    for _ in 0..rounds {
        let Some(b) = arena.buf(rng.range(1, 4096) as usize) else {
            break;
        };
        let slot = b.slot();
        let wait = Duration::from_micros(rng.below(1000));
        if let Ok((res, b)) = timeout(wait, reader.read_at(b, 0)).await {
            // Nothing was written: a read can only fail or see nothing.
            let n = res.map_err(|e| format!("io error: fifo read with no data: {e}"))?;
            drop(b);
            return Err(format!(
                "fifo read returned {n} bytes before any was written"
            ));
        }
        Stats::add(&STATS.cancelled, 1);
        if rng.chance(0.5) {
            uring_rt::yield_now().await;
        }
        let len = rng.range(1, 2048);
        let data: Vec<u8> = (0..len).map(|i| data_byte(sent + i)).collect();
        writer
            .write_all(&data)
            .map_err(|e| format!("io error: fifo write: {e}"))?;
        // Wait (bounded) until the runtime has dropped the cancelled read's buffer.
        let mut snap = None;
        for _ in 0..2000 {
            snap = arena.released(slot);
            if snap.is_some() {
                break;
            }
            sleep(Duration::from_millis(1)).await;
        }
        let snap = snap.ok_or("a cancelled FIFO read still holds its buffer after 2 s")?;
        let taken = snap.iter().take_while(|&&b| b != PATTERN).count() as u64;
        if snap[taken as usize..].iter().any(|&b| b != PATTERN) || taken > len {
            return Err(
                "a cancelled FIFO read's buffer holds bytes that are not a data prefix".into(),
            );
        }
        if snap[..taken as usize] != data[..taken as usize] {
            return Err("a cancelled FIFO read's buffer holds the wrong bytes".into());
        }
        let mut got = taken;
        while got < len {
            let read = reader.read_at(Vec::with_capacity(4096), 0);
            let (res, buf) = if faults {
                // An injected short count on a FIFO read loses the bytes past it (the layer
                // shortens the count after the kernel consumed them; harmless only on
                // seekable files), so a missing rest ends the worker instead of failing it.
                timeout(Duration::from_millis(300), read)
                    .await
                    .map_err(|_| "io error: fifo bytes lost to an injected short count")?
            } else {
                guard(read).await?
            };
            let n = res.map_err(|e| format!("io error: fifo read: {e}"))? as u64;
            if n == 0 || buf[..] != data[got as usize..(got + n) as usize] {
                return Err(format!(
                    "fifo read after a cancelled read: {n} bytes, not the {} still expected",
                    len - got
                ));
            }
            got += n;
            Stats::add(&STATS.completed, 1);
        }
        sent += len;
    }
    Ok(())
}

/// A peer connects, sends counters, then resets the connection (`SO_LINGER` 0). Whatever the
/// runtime reads before the reset must be an exact prefix; then it must see an error or EOF,
/// and a write must fail or succeed without panicking.
pub(crate) async fn reset_peer(
    mut rng: Rng,
    faults: bool,
    arena: Arena,
    peers: &Rc<std::cell::RefCell<Vec<std::thread::JoinHandle<()>>>>,
) -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("io error: bind: {e}"))?;
    let addr = listener.local_addr().unwrap();
    let base = rng.next_u64();
    let len = rng.range(0, 200_000);
    let sock = std::net::TcpStream::connect(addr).map_err(|e| format!("io error: connect: {e}"))?;
    peers
        .borrow_mut()
        .push(std_peer(sock, rng.fork(), base, len, true));
    let (stream, _) = guard(listener.accept())
        .await?
        .map_err(|e| format!("io error: accept: {e}"))?;
    if rng.chance(0.5) {
        sleep(Duration::from_micros(rng.below(3000))).await;
    }
    let (rd, wr) = stream.into_split();
    let mut check = SeqCheck::new(base);
    let end = read_all(
        Arc::new(rd),
        rng.fork(),
        arena,
        &mut check,
        true,
        !faults,
        false,
    )
    .await?;
    if check.received > len {
        return Err(format!(
            "read {} bytes from a peer that sent {len}",
            check.received
        ));
    }
    // The reset discards what the peer's kernel had not sent yet, so only a prefix arrives;
    // but the ECONNRESET must reach a read before EOF, even when a dropped read received it
    // (the stream keeps it for the next read, as it keeps bytes).
    if end == End::Eof && !faults {
        return Err(format!(
            "EOF after {} of {len} bytes from a reset peer, without the reset error",
            check.received
        ));
    }
    let (res, _) = guard(wr.write(vec![1u8; 64])).await?;
    Stats::add(&STATS.completed, 1);
    if res.is_err() {
        Stats::add(&STATS.errors, 1);
    }
    Ok(())
}

/// Timers: sleeps, timeouts that fire, aborted sleeping tasks, a `Sleep` dropped on another
/// thread.
pub(crate) async fn timers(mut rng: Rng, n: u64, off_thread: bool) -> Result<(), String> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let d = Duration::from_micros(rng.below(3000));
        tasks.push(uring_rt::spawn(async move { sleep(d).await }));
    }
    for t in tasks {
        if rng.chance(0.3) {
            t.abort();
            Stats::add(&STATS.cancelled, 1);
        } else {
            guard(t)
                .await?
                .map_err(|e| format!("io error: sleep task: {e}"))?;
            Stats::add(&STATS.completed, 1);
        }
    }
    let r = timeout(
        Duration::from_micros(rng.below(500)),
        sleep(Duration::from_secs(30)),
    )
    .await;
    if r.is_ok() {
        return Err("a 30 s sleep finished inside a timeout under 1 ms".into());
    }
    if off_thread {
        let s = sleep(Duration::from_millis(rng.below(50)));
        std::thread::spawn(move || drop(s)).join().unwrap();
        Stats::add(&STATS.off_thread_drops, 1);
    }
    Ok(())
}

/// Many no-ops at once (fills tiny rings: the SQ backlog path), some cancelled.
pub(crate) async fn nops(mut rng: Rng, n: u64) -> Result<(), String> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let cancel = rng.chance(0.2);
        tasks.push(uring_rt::spawn(async move {
            if cancel {
                timeout(Duration::ZERO, uring_rt::io::nop()).await.ok()
            } else {
                Some(uring_rt::io::nop().await)
            }
        }));
    }
    for t in tasks {
        match guard(t)
            .await?
            .map_err(|e| format!("io error: nop task: {e}"))?
        {
            Some(Ok(())) => Stats::add(&STATS.completed, 1),
            Some(Err(e)) => {
                Stats::add(&STATS.errors, 1);
                Stats::add(&STATS.completed, 1);
                let _ = e;
            }
            None => Stats::add(&STATS.cancelled, 1),
        }
    }
    Ok(())
}

/// Opens connections until the fd limit refuses one; every refusal must be an error
/// (`EMFILE`/`ENFILE`), never a panic or a hang. Returns how many were refused.
pub(crate) async fn exhaust_fds(max: u64) -> Result<u64, String> {
    let listener = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) if is_fd_limit(&e) => return Ok(1),
        Err(e) => return Err(format!("bind: {e}")),
    };
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..max {
        match guard(TcpStream::connect(addr)).await? {
            Ok(s) => held.push(s),
            Err(e) if is_fd_limit(&e) => refused += 1,
            Err(e) => return Err(format!("connect: {e}")),
        }
        Stats::add(&STATS.completed, 1);
        match guard(timeout(Duration::from_millis(50), listener.accept())).await? {
            Ok(Ok((s, _))) => {
                held.push(s);
                Stats::add(&STATS.completed, 1);
            }
            Ok(Err(e)) if is_fd_limit(&e) => refused += 1,
            Ok(Err(e)) => return Err(format!("accept: {e}")),
            Err(_) => Stats::add(&STATS.cancelled, 1),
        }
        // A file open under the limit.
        match guard(File::open("/proc/self/stat")).await? {
            Ok(f) => drop(f),
            Err(e) if is_fd_limit(&e) => refused += 1,
            Err(e) => return Err(format!("open: {e}")),
        }
    }
    Ok(refused)
}

fn is_fd_limit(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE))
}
