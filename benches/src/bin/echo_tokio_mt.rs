//! Echo server on tokio's multi-thread runtime with a single worker thread (work-stealing
//! scheduler and cross-thread wake-ups, but no parallelism).
//!
//! Usage: `echo_tokio_mt --addr 127.0.0.1:PORT [--cpu N]`

use benches::ServerArgs;
use clap::Parser;

/// Command line: the common server arguments.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() -> std::io::Result<()> {
    let Cli { server } = Cli::parse();
    // Pins the main thread before the runtime exists, so the worker inherits the mask.
    server.apply()?;

    let listener = benches::bind_listener(server.addr)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_io()
        .build()?;
    // `serve` runs as a spawned task so that accepting happens on the worker, like the echoes.
    rt.block_on(async {
        tokio::spawn(benches::tokio_echo::serve(listener))
            .await
            .map_err(std::io::Error::other)?
    })
}
