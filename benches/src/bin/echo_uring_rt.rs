//! Echo server on uring-rt: the runtime under test.
//!
//! Usage: `echo_uring_rt --addr 127.0.0.1:PORT [--cpu N]`
//!
//! One runtime on one thread (pinned by `--cpu`), the listener from `benches::bind_listener`
//! adopted with `TcpListener::from_std`, one task per connection with one `BUF_SIZE` buffer
//! that goes to the kernel for each read and comes back with its result.

use std::time::Duration;

use benches::{Args, ServerArgs, BUF_SIZE};
use uring_rt::net::{TcpListener, TcpStream};

async fn echo(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(BUF_SIZE);
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

fn main() -> std::io::Result<()> {
    let mut args = Args::from_env();
    let server = ServerArgs::take(&mut args);
    args.finish();
    server.apply()?;

    let std_listener = benches::bind_listener(server.addr)?;
    let rt = uring_rt::Runtime::new()?;
    rt.block_on(async move {
        let listener = TcpListener::from_std(std_listener)?;
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    uring_rt::spawn(echo(stream));
                }
                Err(e) => {
                    eprintln!("echo_uring_rt: accept: {e}");
                    uring_rt::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }
    })
}
