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

use clap::Parser;
use uring_rt::net::{TcpListener, TcpStream};
use uring_rt::runtime::ThreadPerCore;

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "echo", about = "A TCP echo server on uring-rt")]
struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7878")]
    addr: String,
    /// Runtimes (one per core), each with its own SO_REUSEPORT listener.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..))]
    cores: u16,
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
    let args = Args::parse();
    let cores = usize::from(args.cores);
    // One SO_REUSEPORT listener per core on the same port: the kernel spreads connections.
    let first = TcpListener::bind_reuseport(args.addr.as_str())?;
    let addr: SocketAddr = first.local_addr()?;
    let mut listeners = vec![Some(first)];
    for _ in 1..cores {
        listeners.push(Some(TcpListener::bind_reuseport(addr)?));
    }
    println!("echo listening on {addr} with {} core(s)", cores);
    let listeners = Arc::new(Mutex::new(listeners));
    let pin = cores <= std::thread::available_parallelism().map_or(1, |n| n.get());
    ThreadPerCore::builder()
        .cores(cores)
        .pin(pin)
        .run(move |core| {
            let listener = listeners.lock().unwrap()[core.index()]
                .take()
                .expect("one listener per core");
            serve(listener)
        })?;
    Ok(())
}
