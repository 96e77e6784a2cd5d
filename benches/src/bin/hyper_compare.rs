//! The same hyper HTTP/1.1 service on uring-rt (through `uring_rt::compat`) and on tokio
//! `current_thread`, driven by `wrk`: requests per second and server CPU time per request.
//!
//! ```text
//! cargo run --release -p benches --bin hyper_compare [-- --rounds 5 --duration 5 --conns 64]
//! ```
//!
//! Each run starts a fresh server process (this binary, `serve-uring` or `serve-tokio`)
//! pinned to CPU 0 with `taskset`, warms it up for 1 s, then runs `wrk` pinned to CPU 1 and
//! reads the server's `utime + stime` from `/proc/PID/stat` before and after the measured
//! window. The two servers alternate within each round; figures are medians over the rounds.
//! Needs `wrk` and `taskset` (Debian: `apt-get install wrk util-linux`).

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

#[derive(Debug, Parser)]
#[command(
    name = "hyper_compare",
    about = "hyper on uring-rt (Compat) vs tokio current_thread"
)]
struct Cli {
    #[command(subcommand)]
    mode: Option<Mode>,
    /// Rounds (each runs both servers, alternating which goes first).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seconds measured per run (after a 1 s warm-up).
    #[arg(long, default_value_t = 5)]
    duration: u64,
    /// wrk connections.
    #[arg(long, default_value_t = 64)]
    conns: usize,
    /// CPU for the server.
    #[arg(long, default_value_t = 0)]
    server_cpu: usize,
    /// CPU for wrk.
    #[arg(long, default_value_t = 1)]
    client_cpu: usize,
    /// Print the result as one JSON object too.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Serve with hyper on a uring-rt runtime through `Compat` (one thread).
    ServeUring {
        #[arg(long)]
        addr: SocketAddr,
    },
    /// Serve with hyper on a tokio `current_thread` runtime.
    ServeTokio {
        #[arg(long)]
        addr: SocketAddr,
    },
}

type Body = BoxBody<Bytes, hyper::Error>;

/// The service of examples/hyper_server: GET / -> hello, POST /echo -> the body back.
async fn service(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    Ok(match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => Response::new(
            Full::new(Bytes::from_static(b"Hello, world!\n"))
                .map_err(|never| match never {})
                .boxed(),
        ),
        (&Method::POST, "/echo") => Response::new(req.into_body().boxed()),
        _ => {
            let mut r = Response::new(
                Full::new(Bytes::from_static(b"not found\n"))
                    .map_err(|never| match never {})
                    .boxed(),
            );
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    })
}

fn serve_uring(addr: SocketAddr) -> std::io::Result<()> {
    use uring_rt::compat::{Compat, HyperTimer};
    let rt = uring_rt::Runtime::new()?;
    rt.block_on(async move {
        let listener = uring_rt::net::TcpListener::bind(addr)?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            uring_rt::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(HyperTimer)
                    .serve_connection(Compat::new(stream), hyper::service::service_fn(service))
                    .await;
            });
        }
    })
}

fn serve_tokio(addr: SocketAddr) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::task::spawn_local(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(service))
                    .await;
            });
        }
    })
}

/// A server process, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(mode: &str, cpu: usize) -> Server {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new("taskset")
        .args(["-c", &cpu.to_string()])
        .arg(exe)
        .args([mode, "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("taskset must be installed");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("server's first line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{mode}: unexpected first line {line:?}"))
        .parse()
        .expect("address");
    Server { child, addr }
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn wrk(addr: SocketAddr, cpu: usize, conns: usize, secs: u64) -> (f64, u64) {
    let out = Command::new("taskset")
        .args(["-c", &cpu.to_string(), "wrk", "-t1"])
        .arg(format!("-c{conns}"))
        .arg(format!("-d{secs}s"))
        .arg(format!("http://{addr}/"))
        .output()
        .expect("wrk must be installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Socket errors") && !text.contains("Non-2xx"),
        "wrk reported errors:\n{text}"
    );
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk output:\n{text}"));
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no request count in wrk output:\n{text}"));
    (rps, requests)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    match cli.mode {
        Some(Mode::ServeUring { addr }) => return serve_uring(addr),
        Some(Mode::ServeTokio { addr }) => return serve_tokio(addr),
        None => {}
    }
    let hz = clk_tck() as f64;
    let sides = ["serve-uring", "serve-tokio"];
    let mut rps: [Vec<f64>; 2] = [vec![], vec![]];
    let mut cpu_us: [Vec<f64>; 2] = [vec![], vec![]];
    for round in 0..cli.rounds.max(1) {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for &i in &order {
            let server = start(sides[i], cli.server_cpu);
            wrk(server.addr, cli.client_cpu, cli.conns, 1); // warm-up
            let before = cpu_ticks(server.child.id());
            let (r, n) = wrk(server.addr, cli.client_cpu, cli.conns, cli.duration);
            let after = cpu_ticks(server.child.id());
            let us = (after - before) as f64 / hz * 1e6 / n.max(1) as f64;
            eprintln!(
                "round {} {:<12} {:>10.0} req/s {:>7.2} us CPU/request",
                round + 1,
                sides[i],
                r,
                us
            );
            rps[i].push(r);
            cpu_us[i].push(us);
        }
    }
    let (ru, rt) = (median(rps[0].clone()), median(rps[1].clone()));
    let (cu, ct) = (median(cpu_us[0].clone()), median(cpu_us[1].clone()));
    println!(
        "hyper GET / (HTTP/1.1), {} conns, server on CPU {}, wrk on CPU {}, {} rounds x {} s, medians",
        cli.conns, cli.server_cpu, cli.client_cpu, cli.rounds, cli.duration
    );
    println!("| server | requests/s | server CPU per request |");
    println!("|---|---|---|");
    println!(
        "| uring-rt + Compat | {ru:.0} | {cu:.2} µs ({:.2}x) |",
        cu / ct
    );
    println!("| tokio current_thread | {rt:.0} | {ct:.2} µs (1.00x) |");
    if cli.json {
        println!(
            "{{\"uring_rps\":{ru:.0},\"tokio_rps\":{rt:.0},\"uring_cpu_us\":{cu:.3},\"tokio_cpu_us\":{ct:.3}}}"
        );
    }
    Ok(())
}

/// Clock ticks per second of `/proc/PID/stat` (`getconf CLK_TCK`; 100 on Linux).
fn clk_tck() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}
