//! The ecosystem on uring-rt through `Compat`: tokio-util codecs, tokio-rustls, futures-io,
//! axum via hyper-util, tokio's `copy_bidirectional`, and what `Compat` promises when it is
//! dropped mid-read.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{Framed, LinesCodec};
use uring_rt::compat::{Compat, HyperExecutor};
use uring_rt::net::{TcpListener, TcpStream, UnixStream};
use uring_rt::Runtime;

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

async fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    let (s, _) = l.accept().await.unwrap();
    (c, s)
}

#[test]
fn framed_lines_codec_round_trip() {
    uring_rt::start(async {
        let (c, s) = pair().await;
        let server = uring_rt::spawn(async move {
            let mut framed = Framed::new(Compat::new(s), LinesCodec::new());
            let mut n = 0;
            while let Some(line) = framed.next().await {
                framed.send(line.unwrap().to_uppercase()).await.unwrap();
                n += 1;
            }
            n
        });
        let mut framed = Framed::new(Compat::new(c), LinesCodec::new());
        for i in 0..500 {
            let line = format!("line {i} {}", "x".repeat(i % 97));
            framed.send(line.clone()).await.unwrap();
            let back = framed.next().await.unwrap().unwrap();
            assert_eq!(back, line.to_uppercase());
        }
        // Close our side: the server's stream ends and it reports every line it saw.
        SinkExt::<String>::close(&mut framed).await.unwrap();
        drop(framed);
        assert_eq!(server.await.unwrap(), 500);
    });
}

fn tls_configs() -> (tokio_rustls::TlsAcceptor, tokio_rustls::TlsConnector) {
    use tokio_rustls::rustls::{self, pki_types};
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = ck.cert.der().clone();
    let key = pki_types::PrivateKeyDer::Pkcs8(pki_types::PrivatePkcs8KeyDer::from(
        ck.key_pair.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        tokio_rustls::TlsAcceptor::from(Arc::new(server)),
        tokio_rustls::TlsConnector::from(Arc::new(client)),
    )
}

#[test]
fn tokio_rustls_echo_over_compat() {
    let (acceptor, connector) = tls_configs();
    uring_rt::start(async move {
        let (c, s) = pair().await;
        let server = uring_rt::spawn(async move {
            let mut tls = acceptor.accept(Compat::new(s)).await.unwrap();
            let mut buf = vec![0u8; 32 * 1024];
            let mut total = 0;
            loop {
                let n = tls.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                tls.write_all(&buf[..n]).await.unwrap();
                total += n;
            }
            tls.shutdown().await.unwrap();
            total
        });
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, Compat::new(c)).await.unwrap();
        let (mut rd, mut wr) = tokio::io::split(tls);
        let data = pattern(1 << 20, 7);
        let expect = data.clone();
        // Write and read at once from two tasks: a read and a write in flight together.
        let writer = uring_rt::spawn(async move {
            for chunk in data.chunks(10_000) {
                wr.write_all(chunk).await.unwrap();
            }
            wr.shutdown().await.unwrap(); // TLS close_notify, then FIN
        });
        let mut back = Vec::new();
        rd.read_to_end(&mut back).await.unwrap();
        writer.await.unwrap();
        assert_eq!(back.len(), expect.len());
        assert!(back == expect, "TLS echo differs");
        assert_eq!(server.await.unwrap(), expect.len());
    });
}

#[test]
fn futures_io_copy_over_compat() {
    use futures::io::AsyncWriteExt as _;
    uring_rt::start(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (c, d) = UnixStream::pair().unwrap();
        let data = pattern(3 << 20, 11);
        let feed = data.clone();
        let producer = uring_rt::spawn(async move {
            let mut a = Compat::new(a);
            futures::io::AsyncWriteExt::write_all(&mut a, &feed)
                .await
                .unwrap();
            a.close().await.unwrap(); // FIN: the copy below ends
        });
        let copier = uring_rt::spawn(async move {
            let mut from = Compat::new(b);
            let mut to = Compat::new(c);
            let n = futures::io::copy(&mut from, &mut to).await.unwrap();
            to.close().await.unwrap();
            n
        });
        let mut out = Vec::new();
        futures::io::AsyncReadExt::read_to_end(&mut Compat::new(d), &mut out)
            .await
            .unwrap();
        producer.await.unwrap();
        assert_eq!(copier.await.unwrap(), data.len() as u64);
        assert!(out == data, "futures::io::copy output differs");
    });
}

#[test]
fn copy_bidirectional_proxy_between_compats() {
    uring_rt::start(async {
        // echo server <- proxy (copy_bidirectional) <- client
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let echo_addr = echo.local_addr().unwrap();
        uring_rt::spawn(async move {
            let (s, _) = echo.accept().await.unwrap();
            let mut s = Compat::new(s);
            let (mut r, mut w) = tokio::io::split(&mut s);
            tokio::io::copy(&mut r, &mut w).await.unwrap();
            w.shutdown().await.unwrap();
        });
        let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_addr = proxy.local_addr().unwrap();
        let proxied = uring_rt::spawn(async move {
            let (inbound, _) = proxy.accept().await.unwrap();
            let outbound = TcpStream::connect(echo_addr).await.unwrap();
            let (mut a, mut b) = (Compat::new(inbound), Compat::new(outbound));
            tokio::io::copy_bidirectional(&mut a, &mut b).await.unwrap()
        });
        let client = TcpStream::connect(proxy_addr).await.unwrap();
        let mut client = Compat::new(client);
        let data = pattern(2 << 20, 5);
        let (mut r, mut w) = tokio::io::split(&mut client);
        let send = async {
            w.write_all(&data).await.unwrap();
            w.shutdown().await.unwrap();
        };
        let mut back = Vec::new();
        let recv = r.read_to_end(&mut back);
        let ((), res) = futures::join!(send, recv);
        res.unwrap();
        assert!(back == data, "proxied echo differs");
        let (up, down) = proxied.await.unwrap();
        assert_eq!((up, down), (data.len() as u64, data.len() as u64));
    });
}

#[test]
fn axum_router_through_hyper_util_over_compat() {
    use axum::routing::{get, post};
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;

    uring_rt::start(async {
        let app = axum::Router::new()
            .route("/", get(|| async { "hello from axum" }))
            .route(
                "/len",
                post(|body: Bytes| async move { body.len().to_string() }),
            );
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        uring_rt::spawn(async move {
            loop {
                let (s, _) = l.accept().await.unwrap();
                let svc = hyper_util::service::TowerToHyperService::new(app.clone());
                uring_rt::spawn(async move {
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(Compat::new(s), svc)
                        .await
                        .unwrap();
                });
            }
        });
        // hyper's client, also over Compat, on the same runtime.
        let c = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(Compat::new(c))
            .await
            .unwrap();
        uring_rt::spawn(conn);
        let req = hyper::Request::get("/")
            .header("host", "x")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"hello from axum");
        let req = hyper::Request::post("/len")
            .header("host", "x")
            .body(Full::new(Bytes::from(vec![1u8; 300_000])))
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"300000");
        let _ = HyperExecutor; // the executor type is in scope for HTTP/2 users
    });
}

/// A `Compat` dropped (through `into_parts`) while its read is in flight loses no byte: the
/// bytes it buffered come back from `into_parts`, what the kernel received for the
/// cancelled read is returned by the stream's next read, and no op is left in the slab.
#[test]
fn compat_into_parts_mid_read_loses_no_bytes() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut compat = Compat::with_capacity(4, b);
        a.write_all(b"0123456789".to_vec()).await.0.unwrap();
        // Read 2 bytes: Compat reads 4 ("0123") and hands out 2.
        let mut two = [0u8; 2];
        compat.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"01");
        // Consume "23" too, then start a read that stays in flight (nothing buffered).
        compat.read_exact(&mut two).await.unwrap();
        let mut one = [0u8; 1];
        // Poll once: a recv for "4567" goes to the kernel; the peer's bytes are there, but
        // we drop the future before taking them. (The epoll driver runs the recv within this
        // poll, which then returns the first byte: it counts as read.)
        let mut fut = Box::pin(compat.read(&mut one));
        let first = futures::poll!(fut.as_mut());
        drop(fut);
        let mut got = match first {
            std::task::Poll::Ready(res) => one[..res.unwrap()].to_vec(),
            std::task::Poll::Pending => Vec::new(),
        };
        let (b, unread) = compat.into_parts();
        got.extend_from_slice(&unread);
        let rest = async {
            while got.len() < 6 {
                let (res, buf) = b.read(Vec::with_capacity(16)).await;
                got.extend_from_slice(&buf[..res.unwrap()]);
            }
        };
        // A lost byte would leave the read waiting: bound it.
        uring_rt::time::timeout(Duration::from_secs(5), rest)
            .await
            .expect("bytes of the cancelled read were lost");
        assert_eq!(got, b"456789");
    });
    // Every op finished or was reaped once the futures were dropped.
    for _ in 0..100 {
        if rt.in_flight_ops() == 0 {
            break;
        }
        rt.block_on(uring_rt::time::sleep(Duration::from_millis(1)));
    }
    assert_eq!(rt.in_flight_ops(), 0);
}

/// The error of a send that completed after `poll_write` returned comes back from the next
/// `poll_flush`, not lost.
#[test]
fn compat_reports_a_deferred_write_error_on_flush() {
    uring_rt::start(async {
        // The peer is a std socket, closed synchronously before the write.
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        drop(b);
        let mut a = Compat::new(UnixStream::from_std(a).unwrap());
        // The first write may be accepted (copied, send started); its EPIPE shows up by the
        // flush at the latest.
        let first = a.write(b"lost").await;
        let err = match first {
            Err(e) => e,
            Ok(n) => {
                assert_eq!(n, 4);
                a.flush().await.unwrap_err()
            }
        };
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn compat_shutdown_sends_fin() {
    uring_rt::start(async {
        let (c, s) = pair().await;
        let mut c = Compat::new(c);
        c.write_all(b"bye").await.unwrap();
        c.shutdown().await.unwrap();
        let mut s = Compat::new(s);
        let mut all = Vec::new();
        s.read_to_end(&mut all).await.unwrap(); // ends: FIN arrived
        assert_eq!(all, b"bye");
    });
}
