//! Echo server on tokio's `current_thread` runtime: the epoll baseline of the comparison.
//!
//! Usage: `echo_tokio_ct --addr 127.0.0.1:PORT [--cpu N]`

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
    server.apply()?;

    let listener = benches::bind_listener(server.addr)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(benches::tokio_echo::serve(listener))
}
