//! One run: a server process started and stopped, and `loadgen` against it.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::profile;
use super::report::Sample;
use super::{Case, Config, Server};

/// How long a `--metrics` server may take to print its last snapshot.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a server may take to start accepting.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server process, killed when dropped.
pub(super) struct ServerProcess {
    child: Child,
    pub(super) addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `server` on `port`, pinned to `cpu`, and waits until it accepts connections.
    pub(super) fn start(server: &Server, port: u16, cpu: usize) -> io::Result<Self> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(&server.path)
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--cpu")
            .arg(cpu.to_string())
            .args(server.args)
            .args(server.metrics.then_some("--metrics"))
            .stdin(Stdio::null())
            .stdout(if server.metrics {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .spawn()?;
        let mut process = Self { child, addr };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = process.child.try_wait()? {
                return Err(io::Error::other(format!("server exited: {status}")));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return Ok(process);
            }
            if Instant::now() > deadline {
                return Err(io::Error::other("server did not start accepting"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server and returns what it printed on stdout (empty if not piped). A
    /// `--metrics` server is given up to [`SNAPSHOT_TIMEOUT`] to print the snapshot that
    /// loadgen asked for last, before it is killed.
    pub(super) fn finish(mut self, snapshots: usize) -> io::Result<String> {
        let mut out = Vec::new();
        if let Some(stdout) = self.child.stdout.take() {
            let fd = stdout.as_raw_fd();
            // SAFETY: fcntl on a descriptor owned by `stdout`, alive for this call.
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
            }
            let mut stdout = stdout;
            let deadline = Instant::now() + SNAPSHOT_TIMEOUT;
            let mut chunk = [0u8; 4096];
            loop {
                match stdout.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => out.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        let lines = out.iter().filter(|&&b| b == b'\n').count();
                        if lines >= snapshots || Instant::now() > deadline {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One echo run: a fresh server, then `loadgen` against it.
pub(super) fn run_echo(
    server: &Server,
    case: Case,
    port: u16,
    loadgen: &Path,
    cfg: &Config,
) -> io::Result<Sample> {
    let process = ServerProcess::start(server, port, cfg.server_cpu)?;
    let recording = cfg
        .perf
        .then(|| profile::Recording::start(process.pid(), cfg.warmup, cfg.duration));
    let out = Command::new(loadgen)
        .arg("--addr")
        .arg(process.addr.to_string())
        .arg("--conns")
        .arg(case.conns.to_string())
        .arg("--size")
        .arg(case.size.to_string())
        .arg("--warmup")
        .arg(cfg.warmup.to_string())
        .arg("--duration")
        .arg(cfg.duration.to_string())
        .arg("--cpu")
        .arg(cfg.client_cpu.to_string())
        .arg("--server-pid")
        .arg(process.pid().to_string())
        .args(server.metrics.then_some("--signal-server"))
        .stdin(Stdio::null())
        .output()?;
    let split = recording.map(profile::Recording::finish).transpose()?;
    // Two snapshots: the start and the end of the measured window.
    let server_out = process.finish(if server.metrics { 2 } else { 0 })?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "loadgen {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(line.trim())?;
    let num = |key: &str| {
        v[key]
            .as_f64()
            .ok_or_else(|| io::Error::other(format!("loadgen output lacks {key}: {line}")))
    };
    Ok(Sample {
        requests: num("requests")? as u64,
        elapsed_s: num("elapsed_s")?,
        rps: num("rps")?,
        p50_us: num("p50_us")?,
        p99_us: num("p99_us")?,
        server_cpu_ns: num("server_cpu_ns")? as u64,
        server_split_ns: v["server_user_ns"]
            .as_u64()
            .zip(v["server_sys_ns"].as_u64()),
        client_cpu_ns: num("client_cpu_ns")? as u64,
        metrics: benches::server_metrics::window(&server_out),
        split,
        round: 0,
    })
}
