//! Shared pieces of the echo benchmark: the servers' common arguments (clap), CPU pinning, file-descriptor limits,
//! the listening socket every server uses, and CPU-time accounting from `/proc`.
//!
//! Every echo server binary (`src/bin/echo_*.rs`) honours the same interface:
//!
//! ```text
//! echo_<name> --addr 127.0.0.1:PORT [--cpu N] [server-specific switches]
//! ```
//!
//! It binds `--addr` (with [`bind_listener`], backlog [`BACKLOG`]), pins itself to CPU `N`,
//! raises `RLIMIT_NOFILE` ([`raise_nofile_limit`]), sets `TCP_NODELAY` on each accepted
//! socket, gives each connection one [`BUF_SIZE`] buffer, and echoes every byte it reads until
//! the client closes. It runs until killed.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;

/// Size of the per-connection buffer every server uses (so memory figures compare like for like).
pub const BUF_SIZE: usize = 4096;

/// Listen backlog of every server's socket (the same for all, and large enough for the
/// 10,000-connection memory test).
pub const BACKLOG: i32 = 4096;

/// File-descriptor limit servers and clients ask for (the memory test holds 10,000 sockets).
pub const NOFILE_WANTED: u64 = 65_536;

/// The interface shared by all echo servers: `--addr` and `--cpu`. Each server's own
/// `clap::Parser` flattens it (`#[command(flatten)]`) next to its server-specific switches.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long)]
    pub addr: SocketAddr,
    /// CPU to pin the whole process to.
    #[arg(long)]
    pub cpu: Option<usize>,
}

impl ServerArgs {
    /// Pins the calling thread (and so every thread it spawns later) to `--cpu` and raises the
    /// file-descriptor limit. Call first thing in `main`, before any runtime starts threads.
    pub fn apply(&self) -> io::Result<()> {
        if let Some(cpu) = self.cpu {
            pin_to_cpu(cpu)?;
        }
        raise_nofile_limit(NOFILE_WANTED)?;
        Ok(())
    }
}

/// Pins the calling thread to one CPU; threads it creates afterwards inherit the mask.
pub fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    // SAFETY: cpu_set_t is plain data; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "cpu out of range",
        ));
    }
    // SAFETY: `cpu` was checked against CPU_SETSIZE just above.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid, initialised cpu_set_t and the size passed is its own.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Raises `RLIMIT_NOFILE` to at least `want` (or as far as allowed); returns the new soft limit.
pub fn raise_nofile_limit(want: u64) -> io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if lim.rlim_cur >= want {
        return Ok(lim.rlim_cur);
    }
    // Root may raise the hard limit too; others settle for the hard limit.
    let raised = libc::rlimit {
        rlim_cur: want,
        rlim_max: lim.rlim_max.max(want),
    };
    // SAFETY: `raised` is a valid rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        return Ok(want);
    }
    let capped = libc::rlimit {
        rlim_cur: lim.rlim_max,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: `capped` is a valid rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &capped) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(lim.rlim_max)
}

/// A listening TCP socket on `addr` (`SO_REUSEADDR`, backlog [`BACKLOG`]), blocking mode.
pub fn bind_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    // std listens with a backlog of 128; listening again only changes the backlog.
    // SAFETY: the fd belongs to `listener`, which is alive for the whole call.
    if unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(listener)
}

/// Sets `TCP_NODELAY` on a raw socket descriptor (for servers that hold plain fds).
pub fn set_nodelay_fd(fd: std::os::fd::RawFd) -> io::Result<()> {
    let one: libc::c_int = 1;
    // SAFETY: `one` is a live c_int and the length passed is its size; a bad fd only fails.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Total time on CPU, in ns, of every thread of process `pid`: the sum of the first field of
/// `/proc/PID/task/*/schedstat`. Threads that exited earlier are not counted.
pub fn process_cpu_ns(pid: u32) -> io::Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = task?.path().join("schedstat");
        // A thread may exit between listing and reading: skip it.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let first = text.split_whitespace().next().unwrap_or("0");
        total += first.parse::<u64>().map_err(io::Error::other)?;
    }
    Ok(total)
}

/// User and system CPU time of process `pid` in clock ticks (`utime` and `stime`, fields 14
/// and 15 of `/proc/PID/stat`, which include threads that already exited).
///
/// Ticks are coarse (usually 10 ms): callers use the ratio of their differences over a window
/// to split the precise total of [`process_cpu_ns`] into user and system time.
pub fn process_user_sys_ticks(pid: u32) -> io::Result<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    let rest = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| io::Error::other(format!("malformed /proc/{pid}/stat")))?;
    // `rest` starts at field 3 (state), so utime (14) and stime (15) are its 12th and 13th.
    let mut fields = rest.split_whitespace().skip(11);
    let mut next = || -> io::Result<u64> {
        fields
            .next()
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| io::Error::other(format!("malformed /proc/{pid}/stat")))
    };
    Ok((next()?, next()?))
}

/// A field of `/proc/PID/status` in KiB (`VmHWM`, `VmRSS`, ...).
pub fn status_kib(pid: u32, field: &str) -> io::Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .ok_or_else(|| io::Error::other(format!("no {field} in /proc/{pid}/status")))
}

pub mod server_metrics;

/// Shared accept-and-echo loop of the two tokio servers (they differ only in their runtime).
pub mod tokio_echo {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// Accepts forever, one task per connection.
    pub async fn serve(listener: std::net::TcpListener) -> std::io::Result<()> {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    // Best effort: a socket that already failed shows it at the first read.
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(echo(stream));
                }
                Err(e) => eprintln!("accept: {e}"),
            }
        }
    }

    /// Echoes until the peer closes or an error occurs.
    async fn echo(mut stream: TcpStream) {
        let mut buf = vec![0u8; super::BUF_SIZE];
        loop {
            let n = match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if stream.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }
}
