//! Drives the `hyper_server` example binary with real clients: `curl` and hyper's own client
//! on a tokio runtime, over HTTP/1.1 and HTTP/2, with request bodies up to 8 MiB echoed back
//! byte for byte.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// The server process, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hyper_server"))
            .args(["--addr", "127.0.0.1:0", "--cores", "2"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start hyper_server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "hyper_server listening on http://127.0.0.1:PORT/ (...)"
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .parse()
            .unwrap();
        Server { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Deterministic bytes that make a shifted or dropped chunk visible.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

const SIZES: [usize; 5] = [0, 1, 16 * 1024 + 3, 1 << 20, 8 << 20];

fn curl(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let mut child = Command::new("curl")
        .args(["-sS", "--fail", "--max-time", "60"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl must be installed (ci/test.sh installs it from Debian's packages)");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.map(<[u8]>::to_vec);
    let writer = std::thread::spawn(move || {
        if let Some(d) = data {
            input.write_all(&d).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "curl {args:?} failed: {:?}",
        out.status
    );
    out.stdout
}

fn curl_checks(server: &Server, h2: bool) {
    let base = format!("http://{}", server.addr);
    let mut proto = vec![];
    if h2 {
        proto.push("--http2-prior-knowledge");
    }
    let mut args = proto.clone();
    let root = format!("{base}/");
    args.push(&root);
    assert_eq!(curl(&args, None), b"Hello, world!\n");
    for (i, &len) in SIZES.iter().enumerate() {
        let body = pattern(len, i as u64 + 1);
        let mut args = proto.clone();
        let echo = format!("{base}/echo");
        args.extend([
            "--data-binary",
            "@-",
            "-H",
            "Content-Type: application/octet-stream",
        ]);
        args.push(&echo);
        let back = curl(&args, Some(&body));
        assert_eq!(back.len(), len, "curl echo of {len} bytes (h2: {h2})");
        assert!(back == body, "curl echo of {len} bytes differs (h2: {h2})");
    }
}

#[test]
fn curl_get_and_echo_http1() {
    let server = Server::start(&[]);
    curl_checks(&server, false);
}

#[test]
fn curl_get_and_echo_http2() {
    let server = Server::start(&["--h2"]);
    curl_checks(&server, true);
}

/// One keep-alive connection from hyper's client on a tokio current-thread runtime: GET,
/// then every body size echoed on the same connection.
fn hyper_client_checks(addr: SocketAddr, h2: bool) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let io = TokioIo::new(tcp);
        macro_rules! run {
            ($sender:expr) => {{
                let mut sender = $sender;
                let req = Request::get("/")
                    .header("host", "x")
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                let resp = sender.send_request(req).await.unwrap();
                assert_eq!(resp.status(), 200);
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(&body[..], b"Hello, world!\n");
                for (i, &len) in SIZES.iter().enumerate() {
                    let data = pattern(len, 100 + i as u64);
                    let req = Request::builder()
                        .method(Method::POST)
                        .uri("/echo")
                        .header("host", "x")
                        .body(Full::new(Bytes::from(data.clone())))
                        .unwrap();
                    let resp = sender.send_request(req).await.unwrap();
                    assert_eq!(resp.status(), 200);
                    let body = resp.into_body().collect().await.unwrap().to_bytes();
                    assert_eq!(body.len(), len, "hyper echo of {len} bytes (h2: {h2})");
                    assert!(body == data, "hyper echo of {len} bytes differs (h2: {h2})");
                }
            }};
        }
        if h2 {
            let (sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .unwrap();
            tokio::spawn(conn);
            run!(sender);
        } else {
            let (sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(conn);
            run!(sender);
        }
    });
}

#[test]
fn hyper_client_get_and_echo_http1() {
    let server = Server::start(&[]);
    // Two clients at once, each on its own tokio thread: both cores serve.
    let a = server.addr;
    let t = std::thread::spawn(move || hyper_client_checks(a, false));
    hyper_client_checks(server.addr, false);
    t.join().unwrap();
}

#[test]
fn hyper_client_get_and_echo_http2() {
    let server = Server::start(&["--h2"]);
    let a = server.addr;
    let t = std::thread::spawn(move || hyper_client_checks(a, true));
    hyper_client_checks(server.addr, true);
    t.join().unwrap();
}
