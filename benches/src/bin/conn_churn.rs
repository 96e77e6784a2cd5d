//! Connection churn: what a connection costs the runtime, with or without direct descriptors.
//!
//! Usage: `conn_churn [--pairs N] [--direct-descriptors SLOTS]`
//!
//! One runtime on one thread connects to its own listener, accepts, echoes 8 bytes and drops
//! both ends, `N` times (default 3,000); prints the wall time per pair. Measure CPU with
//! `perf stat -e task-clock` and syscalls with `strace -c`: with direct descriptors each stream
//! adds two `io_uring_register` calls (into the table and out of it).

use std::time::Instant;

use clap::Parser;
use uring_rt::net::{TcpListener, TcpStream};
use uring_rt::runtime::DriverKind;

#[derive(Debug, Parser)]
struct Cli {
    /// Connected pairs made and dropped.
    #[arg(long, default_value_t = 3000)]
    pairs: usize,
    /// `Builder::direct_descriptors` (0: off).
    #[arg(long, default_value_t = 0)]
    direct_descriptors: u32,
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let rt = uring_rt::Runtime::builder()
        .driver(DriverKind::IoUring)
        .direct_descriptors(cli.direct_descriptors)
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let start = Instant::now();
        for _ in 0..cli.pairs {
            let client = TcpStream::connect(addr).await?;
            let (server, _) = listener.accept().await?;
            client.write_all(vec![1u8; 8]).await.0?;
            let (res, buf) = server.read(vec![0u8; 8]).await;
            assert_eq!(res?, 8);
            assert_eq!(buf, [1u8; 8]);
        }
        let per_pair = start.elapsed().as_secs_f64() * 1e6 / cli.pairs.max(1) as f64;
        println!(
            "direct_descriptors {}: {per_pair:.1} µs per connected pair",
            cli.direct_descriptors
        );
        Ok(())
    })
}
