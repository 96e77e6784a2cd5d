//! Echo server written directly on the `io-uring` crate, with no runtime: one ring, one loop of
//! accept, recv and send. It is the ceiling a completion-based runtime can approach.
//!
//! Usage: `echo_raw_uring --addr 127.0.0.1:PORT [--cpu N] [--defer] [--metrics]`
//!
//! Without `--defer` the ring uses default setup flags. With `--defer` it is set up with
//! `SINGLE_ISSUER | DEFER_TASKRUN | COOP_TASKRUN | TASKRUN_FLAG`: completions are produced only
//! when this thread enters the kernel to wait for them, with no interrupting task work.
//!
//! Each connection has exactly one operation in flight (a recv, or a send of what the last
//! recv returned), so its buffer and socket are released only when that operation's
//! completion arrives.
//!
//! With `--metrics` it counts its `io_uring_enter` calls, the SQEs they submitted and the
//! completions it reaped, and prints them on `SIGUSR1` (see `benches::server_metrics`), so
//! `compare` shows its enters per request and SQEs per enter next to uring-rt's.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use benches::server_metrics::{self, SIGINFO_SIZE};
use benches::{ServerArgs, BUF_SIZE};
use clap::Parser;
use io_uring::{cqueue, opcode, squeue, types, IoUring, SubmissionQueue, Submitter};
use slab::Slab;

/// Submission (and completion) queue size.
const RING_ENTRIES: u32 = 4096;

/// `user_data` of the (single, re-armed) accept operation; connection ops use `index << 1 | kind`.
const ACCEPT: u64 = u64::MAX;
/// `user_data` of the (re-armed) read of the `--metrics` signalfd.
const SIGNAL: u64 = u64::MAX - 1;
const KIND_RECV: u64 = 0;
const KIND_SEND: u64 = 1;

/// `IORING_RECVSEND_POLL_FIRST` (in a recv's `ioprio`; the `io-uring` crate keeps its
/// constants private): wait for readiness before the first attempt.
const RECVSEND_POLL_FIRST: u16 = 1;

/// One accepted connection: its socket, its buffer, and how much of the buffer is being echoed.
struct Conn {
    fd: RawFd,
    buf: Box<[u8]>,
    /// Bytes received by the last recv (to be echoed).
    len: usize,
    /// Bytes of `buf[..len]` sent so far.
    sent: usize,
    /// The last recv's completion said more bytes were waiting (`IORING_CQE_F_SOCK_NONEMPTY`).
    nonempty: bool,
}

/// Command line: the common server arguments, `--defer` and `--metrics`.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// Set the ring up with SINGLE_ISSUER, DEFER_TASKRUN, COOP_TASKRUN and TASKRUN_FLAG.
    #[arg(long)]
    defer: bool,
    /// Count enters, SQEs and completions; print them on SIGUSR1 (for `compare`).
    #[arg(long)]
    metrics: bool,
    /// Arm a recv's poll without trying it first (`IORING_RECVSEND_POLL_FIRST`) when the
    /// connection's last recv left its socket empty.
    #[arg(long)]
    poll_first: bool,
}

fn main() -> io::Result<()> {
    let Cli {
        server,
        defer,
        metrics,
        poll_first,
    } = Cli::parse();
    server.apply()?;

    // Declared before the ring, so it is dropped after it: the kernel may write into its
    // buffer until the ring is gone.
    let mut signal = metrics
        .then(server_metrics::signal_fd)
        .transpose()?
        .map(|fd| Signal {
            fd,
            buf: Box::new([0; SIGINFO_SIZE]),
        });
    let listener = benches::bind_listener(server.addr)?;
    let mut ring = build_ring(defer)?;
    run(&mut ring, listener.as_raw_fd(), signal.as_mut(), poll_first)
}

/// What the loop counts (printed on `SIGUSR1` with `--metrics`).
#[derive(Default)]
struct Counters {
    enters: u64,
    sqes_submitted: u64,
    completions: u64,
}

impl Counters {
    /// Counts one `io_uring_enter` and what it submitted.
    fn entered(&mut self, result: &io::Result<usize>) {
        self.enters += 1;
        if let Ok(n) = result {
            self.sqes_submitted += *n as u64;
        }
    }

    fn print(&self) {
        server_metrics::print_snapshot(&[
            ("enters", self.enters),
            ("sqes_submitted", self.sqes_submitted),
            ("completions", self.completions),
        ]);
    }
}

/// The `--metrics` signalfd and the buffer its read lands in (boxed: its address is in the SQE).
struct Signal {
    fd: OwnedFd,
    buf: Box<[u8; SIGINFO_SIZE]>,
}

impl Signal {
    fn read_entry(&mut self) -> squeue::Entry {
        opcode::Read::new(
            types::Fd(self.fd.as_raw_fd()),
            self.buf.as_mut_ptr(),
            SIGINFO_SIZE as u32,
        )
        .build()
        .user_data(SIGNAL)
    }
}

/// The ring, with default flags or the single-issuer deferred-task-run set.
fn build_ring(defer: bool) -> io::Result<IoUring> {
    if !defer {
        return IoUring::new(RING_ENTRIES);
    }
    IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .setup_coop_taskrun()
        .setup_taskrun_flag()
        .build(RING_ENTRIES)
}

/// The event loop: submit what is queued, wait for one completion, handle all that arrived.
fn run(
    ring: &mut IoUring,
    listen_fd: RawFd,
    mut signal: Option<&mut Signal>,
    poll_first: bool,
) -> io::Result<()> {
    let mut conns: Slab<Conn> = Slab::with_capacity(1024);
    let mut counters = Counters::default();
    let (submitter, mut sq, mut cq) = ring.split();

    push(&submitter, &mut sq, accept_entry(listen_fd), &mut counters)?;
    if let Some(signal) = signal.as_deref_mut() {
        push(&submitter, &mut sq, signal.read_entry(), &mut counters)?;
    }
    loop {
        sq.sync();
        let result = submitter.submit_and_wait(1);
        counters.entered(&result);
        match result {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            // EBUSY: the completion queue is overflowing; reaping below makes room.
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {}
            Err(e) => return Err(e),
        }
        cq.sync();
        for cqe in &mut cq {
            counters.completions += 1;
            if cqe.user_data() == SIGNAL {
                if let Some(signal) = signal.as_deref_mut() {
                    counters.print();
                    push(&submitter, &mut sq, signal.read_entry(), &mut counters)?;
                }
                continue;
            }
            handle(
                &cqe,
                listen_fd,
                poll_first,
                &mut conns,
                &submitter,
                &mut sq,
                &mut counters,
            )?;
        }
    }
}

/// Reacts to one completion by queueing the connection's next operation.
fn handle(
    cqe: &cqueue::Entry,
    listen_fd: RawFd,
    poll_first: bool,
    conns: &mut Slab<Conn>,
    submitter: &Submitter<'_>,
    sq: &mut SubmissionQueue<'_>,
    counters: &mut Counters,
) -> io::Result<()> {
    let res = cqe.result();
    if cqe.user_data() == ACCEPT {
        if res >= 0 {
            let fd = res;
            // Best effort: a socket that already failed shows it at the first recv.
            let _ = benches::set_nodelay_fd(fd);
            let entry = conns.vacant_entry();
            let key = entry.key();
            let conn = entry.insert(Conn {
                fd,
                buf: vec![0u8; BUF_SIZE].into_boxed_slice(),
                len: 0,
                sent: 0,
                nonempty: true,
            });
            push(submitter, sq, recv_entry(key, conn, poll_first), counters)?;
        } else {
            eprintln!("accept: {}", io::Error::from_raw_os_error(-res));
        }
        return push(submitter, sq, accept_entry(listen_fd), counters);
    }

    let key = (cqe.user_data() >> 1) as usize;
    let kind = cqe.user_data() & 1;
    let conn = &mut conns[key];
    if res <= 0 {
        // End of stream or error: the op that completed was this connection's only one.
        let conn = conns.remove(key);
        // SAFETY: the fd was returned by accept, is owned by this connection and no
        // operation on it is in flight.
        unsafe { libc::close(conn.fd) };
        return Ok(());
    }
    let n = res as usize;
    if kind == KIND_RECV {
        conn.len = n;
        conn.sent = 0;
        conn.nonempty = cqueue::sock_nonempty(cqe.flags());
    } else {
        conn.sent += n;
    }
    let entry = if conn.sent < conn.len {
        send_entry(key, conn)
    } else {
        recv_entry(key, conn, poll_first)
    };
    push(submitter, sq, entry, counters)
}

fn accept_entry(listen_fd: RawFd) -> squeue::Entry {
    opcode::Accept::new(
        types::Fd(listen_fd),
        std::ptr::null_mut(),
        std::ptr::null_mut(),
    )
    .build()
    .user_data(ACCEPT)
}

/// A recv into the whole of the connection's buffer; with `poll_first`, one that waits for
/// readiness before trying when the last recv left the socket empty.
fn recv_entry(key: usize, conn: &mut Conn, poll_first: bool) -> squeue::Entry {
    let ioprio = if poll_first && !conn.nonempty {
        RECVSEND_POLL_FIRST
    } else {
        0
    };
    opcode::Recv::new(
        types::Fd(conn.fd),
        conn.buf.as_mut_ptr(),
        conn.buf.len() as u32,
    )
    .ioprio(ioprio)
    .build()
    .user_data((key as u64) << 1 | KIND_RECV)
}

/// A send of the part of the last recv's bytes not yet sent.
fn send_entry(key: usize, conn: &Conn) -> squeue::Entry {
    let rest = &conn.buf[conn.sent..conn.len];
    opcode::Send::new(types::Fd(conn.fd), rest.as_ptr(), rest.len() as u32)
        .flags(libc::MSG_NOSIGNAL)
        .build()
        .user_data((key as u64) << 1 | KIND_SEND)
}

/// Queues one entry, submitting first if the submission queue is full.
fn push(
    submitter: &Submitter<'_>,
    sq: &mut SubmissionQueue<'_>,
    entry: squeue::Entry,
    counters: &mut Counters,
) -> io::Result<()> {
    loop {
        // SAFETY: every pointer in the entries built above points into a `Conn`'s boxed
        // buffer (or is null for accept), or into the `Signal`'s boxed buffer, which `main`
        // drops only after the ring. A `Conn` is removed from the slab only
        // when the completion of its single in-flight operation has been reaped, so the
        // memory outlives the operation.
        if unsafe { sq.push(&entry) }.is_ok() {
            return Ok(());
        }
        sq.sync();
        let result = submitter.submit();
        counters.entered(&result);
        result?;
        sq.sync();
    }
}
