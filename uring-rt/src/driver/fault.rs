//! Fault injection (cargo feature `fault-injection`): a layer between the driver and the ring
//! that makes the kernel look worse than it is, driven by a seeded PRNG so that a failing
//! seed replays.
//!
//! It rewrites completion results (`-EIO`, `-ECONNRESET`, `-EINTR`, `-ECANCELED`), shortens
//! file reads and writes before the kernel sees them (so the kernel itself moves fewer bytes,
//! as a real short count does), delays completions by a few ticks (which reorders
//! completions of different ops, never those of one op), ends multishot receives with
//! `-ENOBUFS`, and makes `io_uring_enter` fail: transiently (`EINTR`, `EAGAIN`, `EBUSY`, the
//! SQEs stay queued) or for good (`EOWNERDEAD`, `ENXIO`, `EBADR`, after the SQEs were
//! published: either the kernel got them or, on rings without SQPOLL, it never will).
//!
//! # Invariants (the kernel's rules, kept)
//!
//! - Every SQE gets exactly one final completion: the layer holds or rewrites completions,
//!   never invents or drops one. A completion whose result created an fd (accept, open,
//!   socket) is rewritten to an error only after the layer closed that fd.
//! - Completions of one op keep their order (a later one is held behind a held earlier one).
//! - A multishot receive is ended for real: the layer lets the chosen completion through,
//!   cancels the op in the kernel, and gives its real final completion the `-ENOBUFS` result,
//!   so no completion of the op follows the one that ended it and its data stays alive until
//!   the kernel is done. (Rewriting a middle completion instead would make the kernel's later
//!   ones land on a recycled key.)
//! - A short count is real: the layer lowers the length of a read's or write's SQE (bytes, or
//!   iovecs of a vectored one) before it enters the SQ, and never rewrites a count the kernel
//!   reported. On a pipe, FIFO or socket the bytes past a short count stay where they were (in
//!   the pipe, or in the caller's buffer for the next write): none is lost or duplicated.
//! - Completions carrying a provided buffer are never rewritten (the buffer would be lost),
//!   nor are the driver's own (cancels, the wake-up read).

use std::collections::{HashMap, HashSet, VecDeque};

use io_uring::{opcode, squeue};

use super::lifecycle::Completion;

/// How often each fault is injected. All probabilities are in `0.0..=1.0`; the default
/// injects nothing.
///
/// The environment variable `URING_RT_FAULT_SEED` (a decimal `u64`) overrides `seed`, to
/// replay a failure; [`FaultStats::seed`] tells which seed a runtime used.
///
/// # Examples
///
/// ```
/// use uring_rt::fault::FaultConfig;
/// let config = FaultConfig::new(42).cqe_error(0.01).delay(0.1);
/// let rt = uring_rt::Runtime::builder().faults(config).build().unwrap();
/// rt.block_on(async {
///     // Some nops fail with an injected error; none is lost.
///     for _ in 0..100 {
///         let _ = uring_rt::io::nop().await;
///     }
/// });
/// assert_eq!(rt.in_flight_ops(), 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct FaultConfig {
    /// Seed of the PRNG.
    pub seed: u64,
    /// Probability that a completion's result is rewritten to an error (and that a multishot
    /// receive is ended with `-ENOBUFS`).
    pub cqe_error: f64,
    /// Probability that a file read or write is made to transfer fewer bytes: its length is
    /// lowered before submission (a vectored one loses trailing iovecs; an O_DIRECT-sized
    /// length stays a multiple of 4096), and the kernel reports what it really moved.
    pub short_count: f64,
    /// Probability that a completion is held back for one to four ticks.
    pub delay: f64,
    /// Probability that an `io_uring_enter` fails (one in ten of those failures is
    /// non-transient and faults the ring for good).
    pub enter_error: f64,
    /// Makes the `n`-th `io_uring_enter` of the ring (counting from 1) fail with `errno`
    /// without reaching the kernel, whatever the PRNG says: a deterministic fault. (On an
    /// SQPOLL ring `EOWNERDEAD` is turned into `ENXIO`: the driver takes `EOWNERDEAD` to mean
    /// the SQ thread died, which the layer cannot make true.)
    pub fail_enter: Option<(u64, i32)>,
    /// Opcodes the driver treats as missing from the kernel's probe (bit `code % 64` of word
    /// `code / 64`), as on an older kernel: such an op runs its system call on the blocking
    /// pool if the driver can, else fails with `Unsupported`.
    pub hidden_opcodes: [u64; 4],
}

impl FaultConfig {
    /// No faults yet, with `seed`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = uring_rt::fault::FaultConfig::new(7);
    /// assert_eq!(c.seed, 7);
    /// assert_eq!(c.cqe_error, 0.0);
    /// ```
    pub fn new(seed: u64) -> FaultConfig {
        FaultConfig {
            seed,
            ..FaultConfig::default()
        }
    }

    /// Sets [`FaultConfig::cqe_error`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = uring_rt::fault::FaultConfig::new(1).cqe_error(0.5);
    /// assert_eq!(c.cqe_error, 0.5);
    /// ```
    pub fn cqe_error(mut self, p: f64) -> FaultConfig {
        self.cqe_error = p;
        self
    }

    /// Sets [`FaultConfig::short_count`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = uring_rt::fault::FaultConfig::new(1).short_count(0.5);
    /// assert_eq!(c.short_count, 0.5);
    /// ```
    pub fn short_count(mut self, p: f64) -> FaultConfig {
        self.short_count = p;
        self
    }

    /// Sets [`FaultConfig::delay`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = uring_rt::fault::FaultConfig::new(1).delay(0.5);
    /// assert_eq!(c.delay, 0.5);
    /// ```
    pub fn delay(mut self, p: f64) -> FaultConfig {
        self.delay = p;
        self
    }

    /// Sets [`FaultConfig::enter_error`].
    ///
    /// # Examples
    ///
    /// ```
    /// let c = uring_rt::fault::FaultConfig::new(1).enter_error(0.5);
    /// assert_eq!(c.enter_error, 0.5);
    /// ```
    pub fn enter_error(mut self, p: f64) -> FaultConfig {
        self.enter_error = p;
        self
    }

    /// Sets [`FaultConfig::fail_enter`]: the `n`-th `io_uring_enter` fails with `errno`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = uring_rt::fault::FaultConfig::new(1).fail_enter(3, libc::EOWNERDEAD);
    /// assert_eq!(c.fail_enter, Some((3, libc::EOWNERDEAD)));
    /// ```
    pub fn fail_enter(mut self, n: u64, errno: i32) -> FaultConfig {
        self.fail_enter = Some((n, errno));
        self
    }

    /// Adds `code` (an `IORING_OP_*` number) to [`FaultConfig::hidden_opcodes`]: the ring
    /// behaves as if the kernel lacked it.
    ///
    /// # Examples
    ///
    /// ```
    /// // IORING_OP_FTRUNCATE (55): `set_len` then runs `ftruncate(2)` on the blocking pool.
    /// let rt = uring_rt::Runtime::builder()
    ///     .driver(uring_rt::runtime::DriverKind::IoUring)
    ///     .faults(uring_rt::fault::FaultConfig::new(1).hide_opcode(55))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     let file = uring_rt::fs::File::from_std(tempfile::tempfile().unwrap());
    ///     file.set_len(4096).await.unwrap();
    ///     assert_eq!(file.metadata().await.unwrap().len(), 4096);
    /// });
    /// assert_eq!(rt.metrics().ops_fallback, 1);
    /// ```
    pub fn hide_opcode(mut self, code: u8) -> FaultConfig {
        self.hidden_opcodes[usize::from(code / 64)] |= 1 << (code % 64);
        self
    }
}

/// What the fault layer of a runtime did so far ([`Runtime::fault_stats`]).
///
/// [`Runtime::fault_stats`]: crate::Runtime::fault_stats
///
/// # Examples
///
/// ```
/// let rt = uring_rt::Runtime::builder()
///     .faults(uring_rt::fault::FaultConfig::new(3).delay(1.0))
///     .build()
///     .unwrap();
/// rt.block_on(async { uring_rt::io::nop().await.unwrap() });
/// assert!(rt.fault_stats().cqes_delayed >= 1);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultStats {
    /// The seed in use (after `URING_RT_FAULT_SEED`).
    pub seed: u64,
    /// Completions whose result was rewritten (errors, ended multishots).
    pub cqes_rewritten: u64,
    /// Completions held back for some ticks.
    pub cqes_delayed: u64,
    /// `io_uring_enter` calls made to fail.
    pub enter_errors: u64,
    /// Of those, failures that faulted the ring for good.
    pub enter_faults: u64,
    /// Reads and writes shortened before submission (see [`FaultConfig::short_count`]).
    pub short_counts: u64,
    /// Multishot receives ended with `-ENOBUFS`.
    pub multishot_ended: u64,
}

/// What to do about one `io_uring_enter`.
pub(crate) enum EnterFault {
    /// Nothing: enter for real.
    None,
    /// Do not enter; report this errno (the SQEs stay in the SQ, unconsumed).
    Instead(i32),
    /// Enter for real, then report this errno.
    After(i32),
}

/// What becomes of one completion.
pub(crate) enum CqeFate {
    /// Dispatch this (maybe rewritten) completion now.
    Deliver(Completion),
    /// Held: released by a later tick.
    Held,
    /// Dispatch it, and end its multishot op (cancel it in the kernel).
    EndMultishot(Completion),
}

/// The layer's state, owned by the driver's submission side.
pub(crate) struct Faults {
    config: FaultConfig,
    rng: u64,
    stats: FaultStats,
    tick: u64,
    /// `io_uring_enter` calls so far.
    enters: u64,
    /// Held completions, oldest first: release tick, user_data, completion.
    held: VecDeque<(u64, u64, Completion)>,
    /// The opcode of each op in flight (for short counts and fd results).
    opcodes: HashMap<u64, u8>,
    /// Multishot ops being ended: their final completion gets `-ENOBUFS`.
    ending: HashSet<u64>,
}

impl Faults {
    pub(crate) fn new(config: FaultConfig) -> Faults {
        let seed = std::env::var("URING_RT_FAULT_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(config.seed);
        Faults {
            config,
            rng: seed,
            stats: FaultStats {
                seed,
                ..FaultStats::default()
            },
            tick: 0,
            enters: 0,
            held: VecDeque::new(),
            opcodes: HashMap::new(),
            ending: HashSet::new(),
        }
    }

    pub(crate) fn stats(&self) -> FaultStats {
        self.stats
    }

    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }

    /// An SQE enters the SQ.
    pub(crate) fn on_push(&mut self, user_data: u64, opcode: u8) {
        self.opcodes.insert(user_data, opcode);
    }

    /// Maybe lowers the length of a read's or write's SQE before it enters the SQ (called
    /// once per SQE), so that the kernel itself makes the transfer short.
    pub(crate) fn shorten(&mut self, entry: &mut squeue::Entry) {
        if self.config.short_count <= 0.0 {
            return;
        }
        let op = entry.get_opcode() as u8;
        let vectored = op == opcode::Readv::CODE || op == opcode::Writev::CODE;
        let bytes = [
            opcode::Read::CODE,
            opcode::Write::CODE,
            opcode::ReadFixed::CODE,
            opcode::WriteFixed::CODE,
        ]
        .contains(&op);
        // A provided-buffer read picks its buffer in the kernel: left alone.
        if !(vectored || bytes) || sqe_flags(entry) & squeue::Flags::BUFFER_SELECT.bits() != 0 {
            return;
        }
        let len = u64::from(sqe_len(entry));
        if len < 2 || !self.chance(self.config.short_count) {
            return;
        }
        let short = if vectored {
            // Whole iovecs: the caller's iovec array is not ours to change.
            1 + self.next() % (len - 1)
        } else if len % 4096 == 0 {
            // Possibly O_DIRECT: stay a multiple of the block size, or do not shorten.
            if len == 4096 {
                return;
            }
            (1 + self.next() % (len / 4096 - 1)) * 4096
        } else if len % 512 == 0 {
            // Possibly O_DIRECT on a 512-byte device, or not: leave it.
            return;
        } else {
            1 + self.next() % (len - 1)
        };
        set_sqe_len(entry, short as u32);
        self.stats.short_counts += 1;
    }

    /// Whether completions are held (then nobody may block waiting for the kernel).
    pub(crate) fn holds(&self) -> bool {
        !self.held.is_empty()
    }

    /// Decides the fate of the next `io_uring_enter`.
    pub(crate) fn before_enter(&mut self, sqpoll: bool, submits: bool) -> EnterFault {
        self.enters += 1;
        if let Some((n, mut errno)) = self.config.fail_enter {
            if n == self.enters {
                if sqpoll && errno == libc::EOWNERDEAD {
                    // The driver trusts EOWNERDEAD to mean the SQPOLL thread is dead and
                    // frees what is still in the SQ; a live thread would consume it.
                    errno = libc::ENXIO;
                }
                self.stats.enter_errors += 1;
                if !matches!(
                    errno,
                    libc::EINTR | libc::EAGAIN | libc::EBUSY | libc::ETIME
                ) {
                    self.stats.enter_faults += 1;
                }
                return EnterFault::Instead(errno);
            }
        }
        if !self.chance(self.config.enter_error) {
            return EnterFault::None;
        }
        self.stats.enter_errors += 1;
        if self.next() % 10 != 0 {
            return EnterFault::Instead(self.pick(&[libc::EINTR, libc::EAGAIN, libc::EBUSY]));
        }
        self.stats.enter_faults += 1;
        let mut errno = self.pick(&[libc::EOWNERDEAD, libc::ENXIO, libc::EBADR]);
        if sqpoll && errno == libc::EOWNERDEAD {
            // See `fail_enter` above: never claim a live SQPOLL thread died.
            errno = libc::ENXIO;
        }
        // Unconsumed SQEs on an SQPOLL ring would still be taken by its live thread, which
        // the driver cannot tell from a dead one: there, the kernel always gets them first.
        if !sqpoll && submits && self.next() % 2 == 0 {
            EnterFault::Instead(errno)
        } else {
            EnterFault::After(errno)
        }
    }

    /// Decides the fate of one completion from the kernel. `own`: the driver's own SQE.
    pub(crate) fn on_cqe(&mut self, user_data: u64, c: Completion, own: bool) -> CqeFate {
        if own {
            return CqeFate::Deliver(c);
        }
        let mut c = c;
        let more = c.has_more();
        let buffer = io_uring::cqueue::buffer_select(c.flags).is_some();
        if !more && self.ending.remove(&user_data) {
            // The real end of a multishot op we chose to end.
            if c.result == -libc::ECANCELED {
                c.result = -libc::ENOBUFS;
                self.stats.cqes_rewritten += 1;
            }
        } else if more && buffer && !self.ending.contains(&user_data) {
            if self.chance(self.config.cqe_error) {
                self.ending.insert(user_data);
                self.stats.multishot_ended += 1;
                return self.hold_or(user_data, c, true);
            }
        } else if !more && !buffer {
            c = self.rewrite(user_data, c);
        }
        if !more {
            self.opcodes.remove(&user_data);
        }
        self.hold_or(user_data, c, false)
    }

    /// Maybe rewrites the final completion of a single-shot op.
    fn rewrite(&mut self, user_data: u64, mut c: Completion) -> Completion {
        let Some(&op) = self.opcodes.get(&user_data) else {
            return c;
        };
        if io_uring::cqueue::notif(c.flags) {
            return c;
        }
        if !self.chance(self.config.cqe_error) {
            return c;
        }
        let makes_fd = [
            opcode::Accept::CODE,
            opcode::OpenAt::CODE,
            opcode::OpenAt2::CODE,
            opcode::Socket::CODE,
        ];
        if c.result >= 0 && makes_fd.contains(&op) {
            // SAFETY: the kernel just created this fd for an op whose result we replace: no
            // one else knows it.
            unsafe { libc::close(c.result) };
        }
        c.result = -self.pick(&[libc::EIO, libc::ECONNRESET, libc::EINTR, libc::ECANCELED]);
        self.stats.cqes_rewritten += 1;
        c
    }

    fn hold_or(&mut self, user_data: u64, c: Completion, end: bool) -> CqeFate {
        // Behind a held completion of the same op: held too, in order.
        let behind = self.held.iter().any(|&(_, ud, _)| ud == user_data);
        if end {
            // The op must be cancelled now, so the completion is not held.
            if !behind {
                return CqeFate::EndMultishot(c);
            }
        }
        if behind || self.chance(self.config.delay) {
            let ticks = 1 + self.next() % 4;
            let release = self
                .held
                .iter()
                .filter(|&&(_, ud, _)| ud == user_data)
                .map(|&(t, _, _)| t)
                .max()
                .unwrap_or(0)
                .max(self.tick + ticks);
            self.held.push_back((release, user_data, c));
            self.stats.cqes_delayed += 1;
            return CqeFate::Held;
        }
        if end {
            CqeFate::EndMultishot(c)
        } else {
            CqeFate::Deliver(c)
        }
    }

    /// One tick: the held completions now due, in order (per op).
    pub(crate) fn release(&mut self) -> Vec<(u64, Completion)> {
        self.tick += 1;
        if self.held.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut blocked = HashSet::new();
        let mut keep = VecDeque::with_capacity(self.held.len());
        for (release, ud, c) in self.held.drain(..) {
            if release <= self.tick && !blocked.contains(&ud) {
                out.push((ud, c));
            } else {
                blocked.insert(ud);
                keep.push_back((release, ud, c));
            }
        }
        self.held = keep;
        out
    }
}

/// Byte offset of `flags` (u8) in the kernel's `struct io_uring_sqe`.
const SQE_FLAGS: usize = 1;
/// Byte offset of `len` (u32) in the kernel's `struct io_uring_sqe`.
const SQE_LEN: usize = 24;
// `squeue::Entry` is `repr(C)` around the kernel's 64-byte `io_uring_sqe`.
const _: () = assert!(std::mem::size_of::<squeue::Entry>() == 64);

fn sqe_flags(entry: &squeue::Entry) -> u8 {
    // SAFETY: `Entry` is a `repr(C)` wrapper of the 64-byte `io_uring_sqe` (size checked
    // above), whose `flags` byte is at offset 1 in the kernel ABI: the read is in bounds.
    unsafe {
        (entry as *const squeue::Entry)
            .cast::<u8>()
            .add(SQE_FLAGS)
            .read()
    }
}

fn sqe_len(entry: &squeue::Entry) -> u32 {
    // SAFETY: as in `sqe_flags`; `len` is a u32 at offset 24 (read unaligned, in bounds).
    unsafe {
        (entry as *const squeue::Entry)
            .cast::<u8>()
            .add(SQE_LEN)
            .cast::<u32>()
            .read_unaligned()
    }
}

fn set_sqe_len(entry: &mut squeue::Entry, len: u32) {
    // SAFETY: as in `sqe_len`; the entry is borrowed mutably and not yet in the SQ, and every
    // bit pattern of the u32 `len` is a valid field value.
    unsafe {
        (entry as *mut squeue::Entry)
            .cast::<u8>()
            .add(SQE_LEN)
            .cast::<u32>()
            .write_unaligned(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqe_len_is_the_kernel_field() {
        let mut buf = [0u8; 8];
        let mut e = opcode::Read::new(io_uring::types::Fd(0), buf.as_mut_ptr(), 8).build();
        assert_eq!(sqe_len(&e), 8);
        set_sqe_len(&mut e, 3);
        assert_eq!(sqe_len(&e), 3);
        assert_eq!(sqe_flags(&e), 0);
        let e = e.flags(squeue::Flags::BUFFER_SELECT);
        assert_eq!(sqe_flags(&e), squeue::Flags::BUFFER_SELECT.bits());
        let e = opcode::Readv::new(io_uring::types::Fd(0), std::ptr::null(), 5).build();
        assert_eq!(sqe_len(&e), 5);
    }
}
