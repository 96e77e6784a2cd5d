//! Echo server on glommio (feature `glommio`): one pinned `LocalExecutor`.
//!
//! Usage: `echo_glommio --addr 127.0.0.1:PORT [--cpu N]`

use std::os::fd::{FromRawFd, IntoRawFd};

use benches::{ServerArgs, BUF_SIZE};
use clap::Parser;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::{TcpListener, TcpStream};
use glommio::{LocalExecutorBuilder, Placement};

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
    listener.set_nonblocking(true)?;
    let fd = listener.into_raw_fd();
    // glommio pins its executor thread itself.
    let placement = match server.cpu {
        Some(cpu) => Placement::Fixed(cpu),
        None => Placement::Unbound,
    };
    let executor = LocalExecutorBuilder::new(placement)
        .spawn(move || async move {
            // SAFETY: `fd` is a bound, listening socket whose ownership was released by
            // `into_raw_fd` above and is handed over exactly once here.
            let listener = unsafe { TcpListener::from_raw_fd(fd) };
            serve(listener).await;
        })
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    executor
        .join()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// Accepts forever, one task per connection.
async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok(stream) => {
                // Best effort: a socket that already failed shows it at the first read.
                let _ = stream.set_nodelay(true);
                glommio::spawn_local(echo(stream)).detach();
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
}

/// Echoes until the peer closes or an error occurs.
async fn echo(mut stream: TcpStream) {
    let mut buf = vec![0u8; BUF_SIZE];
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
