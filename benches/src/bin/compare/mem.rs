//! The idle-connection memory test: peak RSS of a server holding many idle connections.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};

use super::{Config, Server, ServerProcess};

/// Idle-connection memory figures of one server.
pub(super) struct MemResult {
    pub(super) name: &'static str,
    pub(super) conns: usize,
    pub(super) rss_before_kib: u64,
    pub(super) hwm_kib: u64,
    pub(super) rss_after_kib: u64,
}

/// Peak RSS of a server holding `cfg.mem_conns` idle connections, each of which has done one
/// one-byte echo (so the server has accepted it and set up its per-connection state).
pub(super) fn run_mem(server: &Server, port: u16, cfg: &Config) -> io::Result<MemResult> {
    let process = ServerProcess::start(server, port, cfg.server_cpu)?;
    let pid = process.pid();
    let rss_before_kib = benches::status_kib(pid, "VmRSS")?;
    let mut conns = Vec::with_capacity(cfg.mem_conns);
    for i in 0..cfg.mem_conns {
        let mut stream = TcpStream::connect(process.addr)
            .map_err(|e| io::Error::other(format!("connection {i}: {e}")))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut byte = [i as u8];
        stream.write_all(&byte)?;
        stream.read_exact(&mut byte)?;
        conns.push(stream);
    }
    std::thread::sleep(Duration::from_millis(300));
    let result = MemResult {
        name: server.name,
        conns: conns.len(),
        rss_before_kib,
        hwm_kib: benches::status_kib(pid, "VmHWM")?,
        rss_after_kib: benches::status_kib(pid, "VmRSS")?,
    };
    // The server goes first, so the TIME_WAIT sockets are on its (per-run) port, not on the
    // client's ephemeral ports.
    drop(process);
    drop(conns);
    Ok(result)
}

pub(super) fn print_mem(results: &[MemResult]) {
    if results.is_empty() {
        return;
    }
    println!("\nidle connections: peak RSS (VmHWM) of the server");
    println!(
        "{:<16} {:>7} {:>12} {:>12} {:>12} {:>14}",
        "server", "conns", "RSS idle KiB", "VmHWM KiB", "VmRSS KiB", "bytes/conn"
    );
    for m in results {
        println!(
            "{:<16} {:>7} {:>12} {:>12} {:>12} {:>14.0}",
            m.name,
            m.conns,
            m.rss_before_kib,
            m.hwm_kib,
            m.rss_after_kib,
            per_conn_bytes(m)
        );
    }
    println!("bytes/conn: (VmHWM - RSS before any connection) / conns");
}

fn per_conn_bytes(m: &MemResult) -> f64 {
    m.hwm_kib.saturating_sub(m.rss_before_kib) as f64 * 1024.0 / m.conns.max(1) as f64
}

pub(super) fn mem_json(m: &MemResult) -> Value {
    json!({
        "server": m.name, "conns": m.conns, "rss_before_kib": m.rss_before_kib,
        "vm_hwm_kib": m.hwm_kib, "vm_rss_kib": m.rss_after_kib,
        "bytes_per_conn": per_conn_bytes(m),
    })
}
