//! hyper 1.x on uring-rt: an HTTP/1.1 (or, with `--h2`, HTTP/2 prior-knowledge) server, one
//! runtime per core, each accepting on its own `SO_REUSEPORT` listener. The sockets are
//! uring-rt `TcpStream`s wrapped in `Compat`, hyper's executor and timer are uring-rt's.
//!
//! ```text
//! cargo run --release -p examples --bin hyper_server -- --addr 127.0.0.1:8080 --cores 2
//! curl http://127.0.0.1:8080/                                   # Hello, world!
//! curl --data-binary @some.file http://127.0.0.1:8080/echo      # the file back
//! wrk -t2 -c1000 -d10s http://127.0.0.1:8080/
//! ```
//!
//! `GET /` answers "Hello, world!"; `POST /echo` streams the request body back as it
//! arrives; anything else is 404.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Mutex;

use bytes::Bytes;
use clap::Parser;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use uring_rt::compat::{Compat, HyperExecutor, HyperTimer};
use uring_rt::net::TcpListener;
use uring_rt::runtime::ThreadPerCore;

/// hyper HTTP server on uring-rt.
#[derive(Parser, Debug)]
#[command(name = "hyper_server", version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port; the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Number of cores (one runtime and one listener each).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    cores: u16,
    /// Pin core i to CPU i (or to the CPUs given with --cpus).
    #[arg(long)]
    pin: bool,
    /// Pin the cores to these CPUs, in order (comma-separated); implies --pin.
    #[arg(long, value_delimiter = ',')]
    cpus: Vec<usize>,
    /// Serve HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1.
    #[arg(long)]
    h2: bool,
}

type Body = BoxBody<Bytes, hyper::Error>;

async fn service(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => Response::new(full("Hello, world!\n")),
        // Stream the body back frame by frame: no buffering of the whole request.
        (&Method::POST, "/echo") => Response::new(req.into_body().boxed()),
        _ => {
            let mut r = Response::new(full("not found\n"));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    };
    Ok(response)
}

fn full(text: &'static str) -> Body {
    Full::new(Bytes::from_static(text.as_bytes()))
        .map_err(|never| match never {})
        .boxed()
}

async fn serve(listener: TcpListener, h2: bool) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // EMFILE and friends: the listener keeps working once fds are freed.
                eprintln!("hyper_server: accept: {e}");
                uring_rt::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let io = Compat::new(stream);
        uring_rt::spawn(async move {
            let svc = hyper::service::service_fn(service);
            let res = if h2 {
                hyper::server::conn::http2::Builder::new(HyperExecutor)
                    .timer(HyperTimer)
                    .serve_connection(io, svc)
                    .await
            } else {
                hyper::server::conn::http1::Builder::new()
                    .timer(HyperTimer)
                    .serve_connection(io, svc)
                    .await
            };
            // Peers that reset or vanish mid-request are routine for a server.
            if let Err(e) = res {
                if !e.is_incomplete_message() {
                    eprintln!("hyper_server: connection: {e}");
                }
            }
        });
    }
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let cores = usize::from(args.cores);
    let first = TcpListener::bind_reuseport(args.addr)?;
    let addr = first.local_addr()?;
    let mut listeners = vec![Some(first)];
    for _ in 1..cores {
        listeners.push(Some(TcpListener::bind_reuseport(addr)?));
    }
    let listeners = Mutex::new(listeners);
    let proto = if args.h2 { "HTTP/2 (h2c)" } else { "HTTP/1.1" };
    println!("hyper_server listening on http://{addr}/ ({proto}, {cores} cores)");

    let mut builder = ThreadPerCore::builder().cores(cores).pin(args.pin);
    if !args.cpus.is_empty() {
        builder = builder.cpus(args.cpus.clone());
    }
    let h2 = args.h2;
    builder.run(move |core| {
        let listener = listeners.lock().unwrap_or_else(|e| e.into_inner())[core.index()]
            .take()
            .expect("one listener per core");
        serve(listener, h2)
    })?;
    Ok(())
}
