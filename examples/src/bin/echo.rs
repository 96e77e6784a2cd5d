//! A TCP echo server on uring-rt.
//!
//! ```text
//! cargo run --release -p examples --bin echo -- --addr 127.0.0.1:7878 --cores 2
//! ```
//!
//! `--cores N` runs one runtime per core (`ThreadPerCore`, pinned when there are enough CPUs),
//! each with its own `SO_REUSEPORT` listener on the same port, so the kernel spreads
//! connections among them.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use std::sync::{Arc, Mutex};

use uring_rt::net::{TcpListener, TcpStream};
use uring_rt::runtime::ThreadPerCore;

struct Args {
    addr: String,
    cores: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:7878".to_owned(),
        cores: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => args.addr = value()?,
            "--cores" => {
                args.cores = value()?.parse().map_err(|e| format!("--cores: {e}"))?;
            }
            "-h" | "--help" => {
                println!("usage: echo [--addr HOST:PORT] [--cores N]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.cores == 0 {
        return Err("--cores must be at least 1".to_owned());
    }
    Ok(args)
}

/// Echoes until the peer closes or fails.
async fn echo(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(16 * 1024);
    loop {
        buf.clear();
        let (res, b) = stream.read(buf).await;
        match res {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let (res, b) = stream.write_all(b).await;
        if res.is_err() {
            return;
        }
        buf = b;
    }
}

/// Accepts and serves connections on this core's runtime, forever.
async fn serve(listener: TcpListener) {
    let mut incoming = listener.incoming();
    loop {
        match incoming.next().await {
            Ok(stream) => {
                uring_rt::spawn(echo(stream));
            }
            // Out of fds (EMFILE/ENFILE) or a transient error: back off, keep serving.
            Err(e) => {
                eprintln!("echo: accept: {e}");
                uring_rt::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

fn main() -> io::Result<()> {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("echo: {e}");
        std::process::exit(2);
    });
    // One SO_REUSEPORT listener per core on the same port: the kernel spreads connections.
    let first = TcpListener::bind_reuseport(args.addr.as_str())?;
    let addr: SocketAddr = first.local_addr()?;
    let mut listeners = vec![Some(first)];
    for _ in 1..args.cores {
        listeners.push(Some(TcpListener::bind_reuseport(addr)?));
    }
    println!("echo listening on {addr} with {} core(s)", args.cores);
    let listeners = Arc::new(Mutex::new(listeners));
    let pin = args.cores <= std::thread::available_parallelism().map_or(1, |n| n.get());
    ThreadPerCore::builder()
        .cores(args.cores)
        .pin(pin)
        .run(move |core| {
            let listener = listeners.lock().unwrap()[core.index()]
                .take()
                .expect("one listener per core");
            serve(listener)
        })?;
    Ok(())
}
