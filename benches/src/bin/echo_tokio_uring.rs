//! Echo server on tokio-uring (feature `tokio-uring`): io_uring driven from a tokio
//! `current_thread` runtime.
//!
//! Usage: `echo_tokio_uring --addr 127.0.0.1:PORT [--cpu N]`

use benches::{ServerArgs, BUF_SIZE};
use clap::Parser;
use tokio_uring::net::{TcpListener, TcpStream};

/// Command line: the common server arguments.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() -> std::io::Result<()> {
    let Cli { server } = Cli::parse();
    server.apply()?;

    let listener = benches::bind_listener(server.addr)?;
    tokio_uring::start(serve(listener))
}

/// Accepts forever, one task per connection.
async fn serve(listener: std::net::TcpListener) -> std::io::Result<()> {
    let listener = TcpListener::from_std(listener);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Best effort: a socket that already failed shows it at the first read.
                let _ = stream.set_nodelay(true);
                tokio_uring::spawn(echo(stream));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

/// Echoes until the peer closes or an error occurs.
async fn echo(stream: TcpStream) {
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
