//! A minimal HTTP/1.1 keep-alive server that answers `GET /` with "Hello, world!".
//!
//! ```text
//! cargo run --release -p examples --bin http_hello -- --addr 127.0.0.1:8080 --cores 2
//! wrk -t2 -c1000 -d10s http://127.0.0.1:8080/
//! ```
//!
//! It handles pipelined requests, answers other paths with 404, and closes the connection
//! after a request that asks for it (`Connection: close`). Request bodies are not supported.

use std::io;
use std::time::Duration;

use clap::Parser;
use uring_rt::net::{TcpListener, TcpStream};

const BODY: &[u8] = b"Hello, world!\n";

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "http_hello",
    about = "A minimal HTTP/1.1 server answering GET / with Hello, world!"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Runtimes (one per core), each with its own SO_REUSEPORT listener.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..))]
    cores: u16,
}

/// Where the header block of the first request in `buf` ends, if it is complete.
fn header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Appends the response to one request; returns whether to keep the connection open.
fn respond(request: &[u8], out: &mut Vec<u8>) -> bool {
    let text = String::from_utf8_lossy(request);
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (method, path, version) = (parts.next(), parts.next(), parts.next());
    let close = lines.any(|h| {
        let h = h.to_ascii_lowercase();
        h.starts_with("connection:") && h.contains("close")
    }) || version == Some("HTTP/1.0");
    let (status, body): (&str, &[u8]) = match (method, path) {
        (Some("GET"), Some("/")) => ("200 OK", BODY),
        _ => ("404 Not Found", b"not found\n"),
    };
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    !close
}

async fn serve_conn(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut pending: Vec<u8> = Vec::with_capacity(4096);
    let mut out = Vec::with_capacity(4096);
    loop {
        // Read into the free room after what is pending.
        if pending.capacity() - pending.len() < 1024 {
            pending.reserve(4096);
        }
        let start = pending.len();
        let (res, slice) = stream
            .read(uring_rt::buf::IoBuf::slice(pending, start..))
            .await;
        pending = slice.into_inner();
        match res {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if pending.len() > 64 * 1024 {
            return; // a header block this large is not a request we serve
        }
        let mut keep = true;
        let mut consumed = 0;
        while let Some(end) = header_end(&pending[consumed..]) {
            keep = respond(&pending[consumed..consumed + end], &mut out);
            consumed += end;
            if !keep {
                break;
            }
        }
        pending.drain(..consumed);
        if !out.is_empty() {
            let (res, o) = stream.write_all(out).await;
            out = o;
            out.clear();
            if res.is_err() {
                return;
            }
        }
        if !keep {
            return;
        }
    }
}

fn serve(listener: TcpListener) -> io::Result<()> {
    let rt = uring_rt::Runtime::new()?;
    rt.block_on(async move {
        let mut incoming = listener.incoming();
        loop {
            match incoming.next().await {
                Ok(stream) => {
                    uring_rt::spawn(serve_conn(stream));
                }
                Err(e) => {
                    eprintln!("http_hello: accept: {e}");
                    uring_rt::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    })
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let cores = usize::from(args.cores);
    // One runtime per core with SO_REUSEPORT listeners (ThreadPerCore will replace the
    // plain threads once it lands on this branch).
    let first = TcpListener::bind_reuseport(args.addr.as_str())?;
    let addr = first.local_addr()?;
    let mut listeners = vec![first];
    for _ in 1..cores {
        listeners.push(TcpListener::bind_reuseport(addr)?);
    }
    println!(
        "http_hello listening on http://{addr}/ with {} cores",
        cores
    );
    let threads: Vec<_> = listeners
        .into_iter()
        .map(|l| std::thread::spawn(move || serve(l)))
        .collect();
    for t in threads {
        t.join().expect("a core panicked")?;
    }
    Ok(())
}
