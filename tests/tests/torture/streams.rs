//! Sequence-numbered streams: a writer sends little-endian `u64` counters from a random base;
//! the reader checks every counter arrives once, in order, with no gap, while its reads are
//! cancelled by timeouts, aborted with their task, or dropped on another thread.

use std::future::{poll_fn, Future};
use std::io::{Read, Write};
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use uring_rt::net::{OwnedReadHalf, OwnedWriteHalf};
use uring_rt::time::timeout;

use crate::canary::Arena;
use crate::check::{Stats, STATS};
use crate::rng::Rng;

/// A read that waits this long is a wedged stream (liveness bound, not a timing assert).
pub(crate) const STALL: Duration = Duration::from_secs(10);

/// The byte at position `pos` of the counter stream that starts at `base`.
pub(crate) fn stream_byte(base: u64, pos: u64) -> u8 {
    (base.wrapping_add(pos / 8)).to_le_bytes()[(pos % 8) as usize]
}

pub(crate) fn stream_chunk(base: u64, pos: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| stream_byte(base, pos + i))
        .collect()
}

/// Checks a received byte stream against the counter stream.
#[derive(Debug)]
pub(crate) struct SeqCheck {
    base: u64,
    pub(crate) received: u64,
}

impl SeqCheck {
    pub(crate) fn new(base: u64) -> SeqCheck {
        SeqCheck { base, received: 0 }
    }

    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<(), String> {
        for &b in data {
            let want = stream_byte(self.base, self.received);
            if b != want {
                let counter = self.received / 8;
                return Err(format!(
                    "stream byte {} (counter {counter}, byte {}) is {b:#04x}, expected \
                     {want:#04x}: a byte was lost, duplicated or reordered",
                    self.received,
                    self.received % 8
                ));
            }
            self.received += 1;
        }
        Stats::add(&STATS.bytes_checked, data.len() as u64);
        Ok(())
    }
}

/// How a stream read ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum End {
    Eof,
    Error(std::io::ErrorKind),
}

/// Reads `rd` to its end with a random mix of plain, canary, timed-out, aborted and
/// off-thread-dropped reads; checks the counters. `errors_ok`: an error ends the stream
/// (faults, resets) instead of failing the run. `cancel: false` makes every read run to its
/// completion (with injected faults: a dropped read whose completion is rewritten to an error
/// loses its bytes, which no real kernel does, so the exactly-once check would not hold).
pub(crate) async fn read_all(
    rd: Arc<OwnedReadHalf>,
    mut rng: Rng,
    arena: Arena,
    check: &mut SeqCheck,
    errors_ok: bool,
    cancel: bool,
    off_thread: bool,
) -> Result<End, String> {
    loop {
        let cap = rng.range(1, 8192) as usize;
        let mut action = rng.below(12);
        if !cancel && (6..=9).contains(&action) {
            action = 0;
        }
        let outcome: Result<_, String> = async {
            Ok(match action {
                0..=4 => Some(guard(rd.read(Vec::with_capacity(cap))).await?),
                5 => match arena.buf(cap) {
                    Some(b) => {
                        let (res, b) = guard(rd.read(b)).await?;
                        Some((res, b.filled()))
                    }
                    None => None,
                },
                6 | 7 => {
                    let wait = Duration::from_micros(rng.below(2000));
                    let canary = rng.chance(0.5).then(|| arena.buf(cap)).flatten();
                    match canary {
                        Some(b) => match timeout(wait, rd.read(b)).await {
                            Ok((res, b)) => Some((res, b.filled())),
                            Err(_) => None,
                        },
                        None => timeout(wait, rd.read(Vec::with_capacity(cap))).await.ok(),
                    }
                }
                8 => {
                    let rd2 = rd.clone();
                    let task =
                        uring_rt::spawn(async move { rd2.read(Vec::with_capacity(cap)).await });
                    for _ in 0..rng.below(4) {
                        uring_rt::yield_now().await;
                    }
                    if rng.chance(0.8) {
                        task.abort();
                    }
                    match guard(task).await? {
                        Ok(out) => Some(out),
                        Err(e) if e.is_cancelled() => None,
                        Err(e) => return Err(format!("read task failed: {e}")),
                    }
                }
                9 if off_thread => {
                    // Arm a read, then drop its future on another thread.
                    let rd2 = rd.clone();
                    let mut fut: Pin<Box<dyn Future<Output = _> + Send>> =
                        Box::pin(async move { rd2.read(Vec::with_capacity(cap)).await });
                    let polled = poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
                    match polled {
                        Poll::Ready(out) => Some(out),
                        Poll::Pending => {
                            std::thread::spawn(move || drop(fut)).join().unwrap();
                            Stats::add(&STATS.off_thread_drops, 1);
                            None
                        }
                    }
                }
                _ => Some(guard(rd.read(Vec::with_capacity(cap))).await?),
            })
        }
        .await;
        let outcome = outcome.map_err(|e| {
            format!(
                "{e} (reading: action {action}, {} bytes received)",
                check.received
            )
        })?;
        let Some((res, data)) = outcome else {
            Stats::add(&STATS.cancelled, 1);
            continue;
        };
        Stats::add(&STATS.completed, 1);
        match res {
            Ok(0) => return Ok(End::Eof),
            Ok(n) => check.feed(&data[..n])?,
            Err(e) => {
                Stats::add(&STATS.errors, 1);
                if errors_ok {
                    return Ok(End::Error(e.kind()));
                }
                return Err(format!("read failed after {} bytes: {e}", check.received));
            }
        }
    }
}

/// Awaits `fut`, failing the run if it takes longer than [`STALL`].
pub(crate) async fn guard<F: Future>(fut: F) -> Result<F::Output, String> {
    timeout(STALL, fut)
        .await
        .map_err(|_| format!("an operation stalled for {STALL:?}: the stream or ring is wedged"))
}

/// Writes `len` bytes of the counter stream from `base` in random chunks, then ends the
/// stream. Returns the bytes the runtime reported written (a write error stops early when
/// `errors_ok`).
pub(crate) async fn write_all(
    wr: OwnedWriteHalf,
    mut rng: Rng,
    base: u64,
    len: u64,
    errors_ok: bool,
) -> Result<u64, String> {
    let mut pos = 0;
    while pos < len {
        let n = rng.range(1, 16384).min(len - pos) as usize;
        let chunk = stream_chunk(base, pos, n);
        let (res, _) = guard(wr.write_all(chunk))
            .await
            .map_err(|e| format!("{e} (writing at byte {pos} of {len})"))?;
        Stats::add(&STATS.completed, 1);
        match res {
            Ok(()) => pos += n as u64,
            Err(e) if errors_ok => {
                Stats::add(&STATS.errors, 1);
                let _ = e;
                return Ok(pos);
            }
            Err(e) => return Err(format!("write failed at byte {pos}: {e}")),
        }
        if rng.chance(0.1) {
            uring_rt::yield_now().await;
        }
    }
    // Dropping the write half sends FIN as `shutdown` does (issue 9, defect 7).
    if rng.chance(0.5) {
        drop(wr);
    } else if let Err(e) = wr.shutdown() {
        if !errors_ok {
            return Err(format!("shutdown of the write half failed: {e}"));
        }
    }
    Ok(pos)
}

/// A peer on a plain thread: writes `len` counter bytes from `base` to `sock`, ends the
/// stream, then waits for the other side to close. With `reset`, sets `SO_LINGER` 0 and
/// closes after writing (the kernel sends RST instead of FIN).
pub(crate) fn std_peer(
    mut sock: std::net::TcpStream,
    mut rng: Rng,
    base: u64,
    len: u64,
    reset: bool,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        sock.set_write_timeout(Some(STALL)).unwrap();
        sock.set_read_timeout(Some(STALL)).unwrap();
        let mut pos = 0;
        while pos < len {
            let n = rng.range(1, 32768).min(len - pos) as usize;
            if sock.write_all(&stream_chunk(base, pos, n)).is_err() {
                return;
            }
            pos += n as u64;
            if rng.chance(0.05) {
                std::thread::sleep(Duration::from_micros(rng.below(500)));
            }
        }
        if reset {
            set_linger_zero(&sock);
            return; // dropping `sock` resets the connection
        }
        let _ = sock.shutdown(Shutdown::Write);
        let started = Instant::now();
        let mut sink = [0u8; 4096];
        while started.elapsed() < STALL {
            match sock.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
}

fn set_linger_zero(sock: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket fd and a `linger` of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_LINGER: {}", std::io::Error::last_os_error());
}
