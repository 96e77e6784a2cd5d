//! Echo server on tokio's `current_thread` runtime: the epoll baseline of the comparison.
//!
//! Usage: `echo_tokio_ct --addr 127.0.0.1:PORT [--cpu N]`

use benches::{Args, ServerArgs};

fn main() -> std::io::Result<()> {
    let mut args = Args::from_env();
    let server = ServerArgs::take(&mut args);
    args.finish();
    server.apply()?;

    let listener = benches::bind_listener(server.addr)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(benches::tokio_echo::serve(listener))
}
