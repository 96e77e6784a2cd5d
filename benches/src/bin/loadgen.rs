//! Echo load generator: one thread, one epoll instance, `--conns` connections each doing
//! closed-loop ping-pong (write `--size` bytes, read them back and check them, repeat).
//!
//! Usage:
//! `loadgen --addr 127.0.0.1:PORT --conns C --size N --duration SECS --warmup SECS
//!          [--cpu N] [--server-pid PID [--signal-server]]`
//!
//! Requests completed during the warm-up are not counted. At the start and end of the measured
//! window it samples the CPU time of the server process (`--server-pid`, from
//! `/proc/PID/task/*/schedstat`) and of itself, so the server's CPU cost per request covers
//! exactly the requests counted. It prints one JSON line on stdout:
//!
//! ```text
//! {"requests":..,"elapsed_s":..,"rps":..,"p50_us":..,"p99_us":..,"server_cpu_ns":..,
//!  "server_user_ns":..,"server_sys_ns":..,"client_cpu_ns":..}
//! ```
//!
//! `server_user_ns` and `server_sys_ns` split `server_cpu_ns` in the ratio of the server's
//! `utime` and `stime` ticks (`/proc/PID/stat`) over the same window; they are `null` without
//! `--server-pid` or when the window was too short for a single tick. With `--signal-server`
//! it also sends the server `SIGUSR1` right after each of the two samples, for a server
//! started with `--metrics` to print its counters (`benches::server_metrics`).
//!
//! Per request it costs one `send`, one `recv` and a share of one `epoll_wait` (edge-triggered,
//! so ready sockets are not polled twice). On loopback most of that is the kernel's TCP path,
//! which is as long for the client as for the server: its own CPU time is reported so a run
//! bound by the load generator shows as such.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::exit;
use std::time::{Duration, Instant};

use clap::Parser;
use hdrhistogram::Histogram;

/// Events fetched per `epoll_wait`.
const MAX_EVENTS: usize = 1024;
/// Upper bound on one `epoll_wait`, so phase changes happen on time even if the server stalls.
const WAIT_MS: i32 = 10;

/// One client connection and its request in flight.
struct Conn {
    stream: TcpStream,
    /// The request being echoed: a per-connection pattern, the request number in front.
    out: Box<[u8]>,
    /// Bytes echoed back so far.
    back: Box<[u8]>,
    written: usize,
    read: usize,
    seq: u64,
    sent_at: Instant,
}

/// Counters of the measured window.
struct Window {
    requests: u64,
    latency_ns: Histogram<u64>,
}

/// Command line (see the module doc).
#[derive(Debug, Parser)]
struct Cli {
    /// Address of the echo server.
    #[arg(long)]
    addr: SocketAddr,
    /// Connections, each with one request in flight.
    #[arg(long)]
    conns: usize,
    /// Request size in bytes.
    #[arg(long)]
    size: usize,
    /// Seconds measured.
    #[arg(long)]
    duration: f64,
    /// Seconds of warm-up before the measured window (not counted).
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// CPU to pin the load generator to.
    #[arg(long)]
    cpu: Option<usize>,
    /// Server process whose CPU time is sampled over the measured window.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Send the server SIGUSR1 at the start and the end of the window (a `--metrics` server
    /// then prints its counters).
    #[arg(long, requires = "server_pid")]
    signal_server: bool,
}

fn main() {
    let Cli {
        addr,
        conns,
        size,
        duration,
        warmup,
        cpu,
        server_pid,
        signal_server,
    } = Cli::parse();
    // Only a server asked for it (`--metrics`) handles the signal; others would exit.
    let signal_pid = server_pid.filter(|_| signal_server);

    if let Err(e) = run(
        addr, conns, size, duration, warmup, cpu, server_pid, signal_pid,
    ) {
        eprintln!("loadgen: {e}");
        exit(1);
    }
}

#[allow(clippy::too_many_arguments)] // one call, from `main`, with the parsed flags
fn run(
    addr: SocketAddr,
    nconns: usize,
    size: usize,
    duration: f64,
    warmup: f64,
    cpu: Option<usize>,
    server_pid: Option<u32>,
    signal_pid: Option<u32>,
) -> io::Result<()> {
    if nconns == 0 || size == 0 {
        return Err(io::Error::other("--conns and --size must be positive"));
    }
    if let Some(cpu) = cpu {
        benches::pin_to_cpu(cpu)?;
    }
    benches::raise_nofile_limit(benches::NOFILE_WANTED)?;

    let epoll = epoll_create()?;
    let mut conns = Vec::with_capacity(nconns);
    for i in 0..nconns {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        // Edge-triggered: each wake-up of the socket is reported once, not re-polled.
        let interest = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLET;
        epoll_add(&epoll, stream.as_raw_fd(), interest, i)?;
        let out: Box<[u8]> = (0..size).map(|j| (j * 31 + i * 7) as u8).collect();
        conns.push(Conn {
            stream,
            out,
            back: vec![0; size].into_boxed_slice(),
            written: 0,
            read: 0,
            seq: 0,
            sent_at: Instant::now(),
        });
    }

    let self_pid = std::process::id();
    let start = Instant::now();
    let warm_end = start + Duration::from_secs_f64(warmup);
    let mut window = Window {
        requests: 0,
        latency_ns: Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
            .map_err(io::Error::other)?,
    };
    // Set when the measured window starts: (start instant, server CPU, own CPU ns).
    let mut measuring: Option<(Instant, ServerCpu, u64)> = None;
    let server_cpu = || server_pid.map(ServerCpu::sample).transpose();
    let signal_server = || signal_pid.map(signal).transpose();

    for conn in &mut conns {
        start_request(conn)?;
    }

    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS];
    loop {
        let ready = epoll_wait(&epoll, &mut events)?;
        for ev in &events[..ready] {
            let i = ev.u64 as usize;
            let conn = &mut conns[i];
            if ev.events & libc::EPOLLOUT as u32 != 0 && conn.written < conn.out.len() {
                write_some(conn)?;
            }
            if ev.events & (libc::EPOLLIN | libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0
                && read_some(conn)?
            {
                let now = Instant::now();
                if measuring.is_some() {
                    window.requests += 1;
                    let ns = now.duration_since(conn.sent_at).as_nanos() as u64;
                    window.latency_ns.saturating_record(ns.max(1));
                }
                conn.seq += 1;
                start_request(conn)?;
            }
        }

        let now = Instant::now();
        match measuring {
            None if now >= warm_end => {
                let server0 = server_cpu()?.unwrap_or_default();
                signal_server()?;
                let self0 = benches::process_cpu_ns(self_pid)?;
                measuring = Some((Instant::now(), server0, self0));
                window.requests = 0;
                window.latency_ns.reset();
            }
            Some((t0, server0, self0)) if now.duration_since(t0).as_secs_f64() >= duration => {
                let elapsed = now.duration_since(t0).as_secs_f64();
                let server = server_cpu()?.map(|s1| s1.since(&server0));
                signal_server()?;
                let self_ns = benches::process_cpu_ns(self_pid)?.saturating_sub(self0);
                print_result(&window, elapsed, server, self_ns);
                return Ok(());
            }
            _ => {}
        }
    }
}

/// CPU time of the server process: the precise total and the user and system ticks.
#[derive(Clone, Copy, Default)]
struct ServerCpu {
    total_ns: u64,
    user_ticks: u64,
    sys_ticks: u64,
}

/// The server's CPU time over the window.
struct ServerCpuWindow {
    total_ns: u64,
    /// `(user, system)` ns, or `None` if no tick fell in the window.
    split_ns: Option<(u64, u64)>,
}

impl ServerCpu {
    fn sample(pid: u32) -> io::Result<Self> {
        let total_ns = benches::process_cpu_ns(pid)?;
        let (user_ticks, sys_ticks) = benches::process_user_sys_ticks(pid)?;
        Ok(Self {
            total_ns,
            user_ticks,
            sys_ticks,
        })
    }

    /// The difference from `start`, the total split in the ratio of the tick differences.
    fn since(&self, start: &Self) -> ServerCpuWindow {
        let total_ns = self.total_ns.saturating_sub(start.total_ns);
        let user = self.user_ticks.saturating_sub(start.user_ticks);
        let sys = self.sys_ticks.saturating_sub(start.sys_ticks);
        let split_ns = (user + sys > 0).then(|| {
            let user_ns = (total_ns as f64 * user as f64 / (user + sys) as f64) as u64;
            (user_ns, total_ns - user_ns.min(total_ns))
        });
        ServerCpuWindow { total_ns, split_ns }
    }
}

/// Stamps the next request and writes as much of it as the socket takes.
fn start_request(conn: &mut Conn) -> io::Result<()> {
    let seq = conn.seq.to_le_bytes();
    let n = seq.len().min(conn.out.len());
    conn.out[..n].copy_from_slice(&seq[..n]);
    conn.written = 0;
    conn.read = 0;
    conn.sent_at = Instant::now();
    write_some(conn)
}

/// Writes the unwritten rest of the request, until done or the socket is full (then an
/// EPOLLOUT edge resumes it).
fn write_some(conn: &mut Conn) -> io::Result<()> {
    while conn.written < conn.out.len() {
        match conn.stream.write(&conn.out[conn.written..]) {
            Ok(0) => return Err(io::Error::new(ErrorKind::WriteZero, "server closed")),
            Ok(n) => conn.written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads what has arrived, until the whole request is back or the socket is drained (the
/// next EPOLLIN edge resumes it). Returns true when the whole request came back, after
/// checking it byte for byte. The server sends nothing more until the next request, so
/// stopping at a complete echo leaves no data behind the edge.
fn read_some(conn: &mut Conn) -> io::Result<bool> {
    while conn.read < conn.back.len() {
        match conn.stream.read(&mut conn.back[conn.read..]) {
            Ok(0) => return Err(io::Error::new(ErrorKind::UnexpectedEof, "server closed")),
            Ok(n) => conn.read += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if conn.back != conn.out {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!("echo mismatch on request {}", conn.seq),
        ));
    }
    Ok(true)
}

fn print_result(
    window: &Window,
    elapsed: f64,
    server: Option<ServerCpuWindow>,
    client_cpu_ns: u64,
) {
    let quantile_us = |q: f64| window.latency_ns.value_at_quantile(q) as f64 / 1000.0;
    let num = |v: Option<u64>| v.map_or_else(|| "null".to_string(), |ns| ns.to_string());
    let total = server.as_ref().map(|s| s.total_ns);
    let split = server.as_ref().and_then(|s| s.split_ns);
    println!(
        "{{\"requests\":{},\"elapsed_s\":{:.6},\"rps\":{:.1},\"p50_us\":{:.2},\"p99_us\":{:.2},\
         \"server_cpu_ns\":{},\"server_user_ns\":{},\"server_sys_ns\":{},\"client_cpu_ns\":{}}}",
        window.requests,
        elapsed,
        window.requests as f64 / elapsed,
        quantile_us(0.50),
        quantile_us(0.99),
        num(total),
        num(split.map(|s| s.0)),
        num(split.map(|s| s.1)),
        client_cpu_ns,
    );
}

/// Asks the server for a snapshot of its counters.
fn signal(pid: u32) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(io::Error::other)?;
    // SAFETY: plain syscall; the signal is one the server blocked and waits for.
    if unsafe { libc::kill(pid, benches::server_metrics::SIGNAL) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn epoll_create() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with a valid flag.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by epoll_create1 and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn epoll_add(epoll: &OwnedFd, fd: RawFd, interest: i32, key: usize) -> io::Result<()> {
    let mut ev = libc::epoll_event {
        events: interest as u32,
        u64: key as u64,
    };
    // SAFETY: both descriptors are open (owned by the caller) and `ev` is a valid event.
    if unsafe { libc::epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Waits up to [`WAIT_MS`] for events; returns how many entries of `events` were filled.
fn epoll_wait(epoll: &OwnedFd, events: &mut [libc::epoll_event]) -> io::Result<usize> {
    // SAFETY: `events` is a writable buffer of the length passed.
    let n = unsafe {
        libc::epoll_wait(
            epoll.as_raw_fd(),
            events.as_mut_ptr(),
            events.len() as i32,
            WAIT_MS,
        )
    };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == ErrorKind::Interrupted {
            Ok(0)
        } else {
            Err(e)
        };
    }
    Ok(n as usize)
}
