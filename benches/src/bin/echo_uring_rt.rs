//! Echo server on uring-rt: the runtime under test.
//!
//! Usage: `echo_uring_rt --addr 127.0.0.1:PORT [--cpu N] [--multishot] [--epoll] [--metrics]
//! [--register-ring-fd BOOL] [--no-sqarray BOOL] [--direct-descriptors N] [--bundle BOOL]
//! [--incremental BOOL]` (the builder's switches of the same names, `Runtime::builder()` for
//! the first three and `BufRing::builder` for the last two, which need `--multishot`; default
//! off as in the library, so `compare` can show each on and off)
//!
//! One runtime on one thread (pinned by `--cpu`), the listener from `benches::bind_listener`
//! adopted with `TcpListener::from_std`, one task per connection.
//!
//! - default: `read`/`write_all` with one `BUF_SIZE` buffer per connection that goes to the
//!   kernel for each read and comes back with its result (one recv and one send SQE per
//!   request);
//! - `--multishot`: `recv_stream` — one multishot recv per connection into a shared
//!   provided-buffer ring of `BUF_SIZE` buffers, each chunk written back with `write_all`
//!   and returned to the ring (one send SQE per request; no per-connection buffer).
//! - `--epoll`: the same server on the readiness driver (`DriverKind::Epoll`).

use std::time::Duration;

use benches::server_metrics::{self, SIGINFO_SIZE};
use benches::{ServerArgs, BUF_SIZE};
use clap::Parser;
use uring_rt::fs::File;
use uring_rt::net::{BufRing, TcpListener, TcpStream};

/// Buffers in the shared provided-buffer ring (`--multishot`).
const RING_ENTRIES: u16 = 4096;

async fn echo_multishot(stream: TcpStream, ring: BufRing) {
    let _ = stream.set_nodelay(true);
    let Ok(mut chunks) = stream.recv_stream(&ring) else {
        return;
    };
    while let Some(Ok(chunk)) = chunks.next().await {
        if stream.write_all(chunk).await.0.is_err() {
            return;
        }
    }
}

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

/// Command line: the common server arguments, `--multishot` and `--metrics`.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// Receive with one multishot recv per connection into a shared provided-buffer ring.
    #[arg(long)]
    multishot: bool,
    /// Run on the epoll driver instead of io_uring.
    #[arg(long)]
    epoll: bool,
    /// Print the runtime's counters (`Runtime::metrics`) on SIGUSR1 (for `compare`).
    #[arg(long)]
    metrics: bool,
    /// `Builder::register_ring_fd`: enter the kernel through a registered ring fd.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    register_ring_fd: bool,
    /// `Builder::no_sqarray`: set the ring up without the SQ index array.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    no_sqarray: bool,
    /// `Builder::direct_descriptors`: slots of the ring's file table for streams (0: off).
    #[arg(long, default_value_t = 0)]
    direct_descriptors: u32,
    /// `BufRingBuilder::bundle` (with `--multishot`): receive bundles.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    bundle: bool,
    /// `BufRingBuilder::incremental` (with `--multishot`): incremental buffer consumption.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    incremental: bool,
}

fn main() -> std::io::Result<()> {
    let Cli {
        server,
        multishot,
        epoll,
        metrics,
        register_ring_fd,
        no_sqarray,
        direct_descriptors,
        bundle,
        incremental,
    } = Cli::parse();
    server.apply()?;

    // Before the runtime starts its threads (the blocking pool), so all inherit the mask.
    let signal = metrics.then(server_metrics::signal_fd).transpose()?;
    let std_listener = benches::bind_listener(server.addr)?;
    let driver = if epoll {
        uring_rt::runtime::DriverKind::Epoll
    } else {
        uring_rt::runtime::DriverKind::IoUring
    };
    let rt = uring_rt::Runtime::builder()
        .driver(driver)
        .register_ring_fd(register_ring_fd)
        .no_sqarray(no_sqarray)
        .direct_descriptors(direct_descriptors)
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::from_std(std_listener)?;
        let ring = if multishot {
            let ring = BufRing::builder(RING_ENTRIES, BUF_SIZE)
                .bundle(bundle)
                .incremental(incremental)
                .build()?;
            if (bundle && !ring.is_bundle()) || (incremental && !ring.is_incremental()) {
                eprintln!("echo_uring_rt: asked for switches this ring lacks: {ring:?}");
            }
            Some(ring)
        } else {
            None
        };
        let Some(signal) = signal else {
            return serve(listener, ring).await;
        };
        uring_rt::spawn(serve(listener, ring));
        // One read in flight on the signalfd; each signal prints a snapshot.
        let signal = File::from_std(std::fs::File::from(signal));
        let mut buf = vec![0u8; SIGINFO_SIZE];
        loop {
            let (res, b) = signal.read_at(buf, 0).await;
            res?;
            buf = b;
            let m = rt.metrics();
            server_metrics::print_snapshot(&[
                ("tasks_polled", m.tasks_polled),
                ("ops_submitted", m.ops_submitted),
                ("ops_completed", m.ops_completed),
                ("ops_cancelled", m.ops_cancelled),
                ("enters", m.enters),
                ("sqes_submitted", m.sqes_submitted),
                ("parks", m.parks),
                ("remote_wakes", m.remote_wakes),
            ]);
        }
    })
}

/// Accepts forever, one task per connection.
async fn serve(listener: TcpListener, ring: Option<BufRing>) -> std::io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                match &ring {
                    Some(ring) => uring_rt::spawn(echo_multishot(stream, ring.clone())),
                    None => uring_rt::spawn(echo(stream)),
                };
            }
            Err(e) => {
                eprintln!("echo_uring_rt: accept: {e}");
                uring_rt::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}
