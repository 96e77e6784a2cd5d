//! Shared pieces of the echo benchmark: argument parsing, CPU pinning, file-descriptor limits,
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

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::str::FromStr;

/// Size of the per-connection buffer every server uses (so memory figures compare like for like).
pub const BUF_SIZE: usize = 4096;

/// Listen backlog of every server's socket (the same for all, and large enough for the
/// 10,000-connection memory test).
pub const BACKLOG: i32 = 4096;

/// File-descriptor limit servers and clients ask for (the memory test holds 10,000 sockets).
pub const NOFILE_WANTED: u64 = 65_536;

/// Command-line arguments as `--name value` pairs and `--switch`es, consumed one by one.
#[derive(Debug)]
pub struct Args {
    program: String,
    rest: VecDeque<String>,
}

impl Args {
    /// The process's arguments (without the program name).
    pub fn from_env() -> Self {
        let mut all = std::env::args();
        let program = all.next().unwrap_or_default();
        Self {
            program,
            rest: all.collect(),
        }
    }

    /// Takes `--name VALUE` and parses VALUE; `None` when absent. Exits on a malformed value.
    pub fn value<T: FromStr>(&mut self, name: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        let pos = self.rest.iter().position(|a| a == name)?;
        self.rest.remove(pos);
        let Some(raw) = self.rest.remove(pos) else {
            self.fail(&format!("{name} needs a value"));
        };
        match raw.parse() {
            Ok(v) => Some(v),
            Err(e) => self.fail(&format!("{name} {raw}: {e}")),
        }
    }

    /// Takes `--name VALUE`, or exits when it is absent.
    pub fn required<T: FromStr>(&mut self, name: &str) -> T
    where
        T::Err: std::fmt::Display,
    {
        match self.value(name) {
            Some(v) => v,
            None => self.fail(&format!("missing {name}")),
        }
    }

    /// Takes the switch `--name`; true when it was given.
    pub fn switch(&mut self, name: &str) -> bool {
        match self.rest.iter().position(|a| a == name) {
            Some(pos) => {
                self.rest.remove(pos);
                true
            }
            None => false,
        }
    }

    /// Exits with a message if any argument was not consumed.
    pub fn finish(self) {
        if let Some(extra) = self.rest.front() {
            self.fail(&format!("unexpected argument {extra}"));
        }
    }

    fn fail(&self, msg: &str) -> ! {
        eprintln!("{}: {msg}", self.program);
        std::process::exit(2);
    }
}

/// The interface shared by all echo servers: `--addr` and `--cpu`.
#[derive(Debug, Clone, Copy)]
pub struct ServerArgs {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// CPU to pin the whole process to.
    pub cpu: Option<usize>,
}

impl ServerArgs {
    /// Takes `--addr` (required) and `--cpu` (optional) from `args`.
    pub fn take(args: &mut Args) -> Self {
        Self {
            addr: args.required("--addr"),
            cpu: args.value("--cpu"),
        }
    }

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
