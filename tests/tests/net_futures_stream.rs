//! `futures_core::Stream` on `Incoming`, `RecvStream`, `Interval` and `ReadDir`: the
//! `StreamExt` combinators tokio users reach for.

use std::time::Duration;

use futures::StreamExt;
use uring_rt::net::{BufRing, TcpListener, TcpStream};

#[test]
fn incoming_is_a_stream_of_connections() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let mut clients = Vec::new();
        for _ in 0..3 {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        let accepted: Vec<_> = l.incoming().take(3).collect().await;
        let mut peers: Vec<_> = accepted
            .into_iter()
            .map(|s| s.unwrap().peer_addr().unwrap())
            .collect();
        let mut locals: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
        peers.sort();
        locals.sort();
        assert_eq!(peers, locals);
    });
}

#[test]
fn recv_stream_collects_every_byte_then_ends() {
    uring_rt::start(async {
        let ring = BufRing::new(8, 1024).unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        c.write_all(data.clone()).await.0.unwrap();
        drop(c);
        // Copy each buffer out and drop it, which hands it back to the 8-buffer ring.
        let got = s
            .recv_stream(&ring)
            .unwrap()
            .fold(Vec::new(), |mut acc, ch| async move {
                acc.extend_from_slice(&ch.unwrap());
                acc
            })
            .await;
        assert!(got == data);
    });
}

#[test]
fn interval_and_read_dir_are_streams() {
    uring_rt::start(async {
        let ticks: Vec<_> = uring_rt::time::interval(Duration::from_millis(2))
            .take(3)
            .collect()
            .await;
        assert_eq!(ticks.len(), 3);
        assert!(ticks.windows(2).all(|w| w[0] < w[1]));

        let dir = tempfile::tempdir().unwrap();
        for n in ["a", "b", "c"] {
            std::fs::write(dir.path().join(n), n).unwrap();
        }
        let rd = uring_rt::fs::read_dir(dir.path()).await.unwrap();
        let mut names: Vec<_> = rd
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
            .await;
        names.sort();
        assert_eq!(names, ["a", "b", "c"]);
    });
}
