//! Echo server on monoio (feature `monoio`), with its io_uring driver or, with `--legacy`, its
//! epoll (mio) driver.
//!
//! Usage: `echo_monoio --addr 127.0.0.1:PORT [--cpu N] [--legacy]`

use benches::{ServerArgs, BUF_SIZE};
use clap::Parser;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::{TcpListener, TcpStream};

/// Submission queue size of the io_uring driver (the same as the raw loop's).
const RING_ENTRIES: u32 = 4096;

/// Command line: the common server arguments and `--legacy`.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// Use monoio's legacy (epoll) driver instead of io_uring.
    #[arg(long)]
    legacy: bool,
}

fn main() -> std::io::Result<()> {
    let Cli { server, legacy } = Cli::parse();
    server.apply()?;

    let listener = benches::bind_listener(server.addr)?;
    listener.set_nonblocking(true)?;
    if legacy {
        monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .build()?
            .block_on(serve(listener))
    } else {
        monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
            .with_entries(RING_ENTRIES)
            .build()?
            .block_on(serve(listener))
    }
}

/// Accepts forever, one task per connection.
async fn serve(listener: std::net::TcpListener) -> std::io::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Best effort: a socket that already failed shows it at the first read.
                let _ = stream.set_nodelay(true);
                monoio::spawn(echo(stream));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

/// Echoes until the peer closes or an error occurs.
async fn echo(mut stream: TcpStream) {
    let mut buf = Vec::with_capacity(BUF_SIZE);
    loop {
        buf.clear();
        let (res, read) = stream.read(buf).await;
        buf = read;
        match res {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let (res, written) = stream.write_all(buf).await;
        buf = written;
        if res.is_err() {
            return;
        }
    }
}
