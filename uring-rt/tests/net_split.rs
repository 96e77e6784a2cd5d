//! Split streams: dropping the write half ends the stream for the peer (FIN), as tokio's
//! `OwnedWriteHalf` does, while the read half keeps receiving.

use std::time::Duration;

use uring_rt::net::{TcpListener, TcpStream, UnixStream};
use uring_rt::time::timeout;

/// Long enough for anything on loopback; a hang (no FIN) runs into it instead of forever.
const BOUND: Duration = Duration::from_secs(10);

fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Reads `$stream` to end of stream (each read bounded): every byte, in order.
macro_rules! read_to_eof {
    ($stream:expr) => {{
        let mut got = Vec::new();
        let mut eof = false;
        for _ in 0..100_000 {
            let (res, buf) = timeout(BOUND, $stream.read(Vec::with_capacity(4096)))
                .await
                .expect("no end of stream: the write half dropped without a FIN");
            if res.unwrap() == 0 {
                eof = true;
                break;
            }
            got.extend_from_slice(&buf);
        }
        assert!(eof, "no end of stream after 100,000 reads");
        got
    }};
}

#[test]
fn dropping_the_tcp_write_half_sends_fin_and_the_read_half_keeps_working() {
    uring_rt::start(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let (rd, wr) = server.into_split();
        let sent = pattern(1, 100_000);
        wr.write_all(sent.clone()).await.0.unwrap();
        drop(wr);

        // The peer reads every byte, then end of stream, though the read half is alive.
        let got = read_to_eof!(client);
        assert_eq!(got, sent);

        // The other direction still works through the read half.
        client.write_all(b"still open".to_vec()).await.0.unwrap();
        let (res, buf) = timeout(BOUND, rd.read(Vec::with_capacity(64)))
            .await
            .unwrap();
        assert_eq!(res.unwrap(), 10);
        assert_eq!(buf, b"still open");
        drop(client);
        assert_eq!(rd.read(Vec::with_capacity(8)).await.0.unwrap(), 0);
    });
}

#[test]
fn dropping_the_unix_write_half_sends_fin_and_the_read_half_keeps_working() {
    uring_rt::start(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (rd, wr) = a.into_split();
        let sent = pattern(2, 50_000);
        // Written from a task so the peer can drain a payload larger than the socket buffer.
        let writer = uring_rt::spawn(async move {
            wr.write_all(sent).await.0.unwrap();
            // `wr` drops here.
        });
        let got = read_to_eof!(b);
        writer.await.unwrap();
        assert_eq!(got, pattern(2, 50_000));

        b.write_all(b"back".to_vec()).await.0.unwrap();
        let (res, buf) = rd.read(Vec::with_capacity(8)).await;
        assert_eq!(res.unwrap(), 4);
        assert_eq!(buf, b"back");
    });
}

/// The shape of tokio's split tests: a peer echoes until end of stream, then closes; the
/// client writes from one task through the write half and drops it, reads the echo to end
/// of stream through the read half in another. Without a FIN on drop this deadlocks.
#[test]
fn echo_peer_until_eof_with_writer_dropped_in_its_own_task() {
    uring_rt::start(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let echo = uring_rt::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let mut total = 0usize;
            loop {
                let (res, buf) = timeout(BOUND, s.read(Vec::with_capacity(8192)))
                    .await
                    .expect("echo peer: no end of stream from the client");
                match res.unwrap() {
                    0 => break,
                    n => total += n,
                }
                s.write_all(buf).await.0.unwrap();
            }
            total // `s` drops: end of stream for the client
        });

        let stream = TcpStream::connect(addr).await.unwrap();
        let (rd, wr) = stream.into_split();
        let sent: Vec<u8> = (0..64)
            .flat_map(|i| pattern(i as u8, 4096))
            .collect::<Vec<_>>();
        let to_send = sent.clone();
        let writer = uring_rt::spawn(async move {
            for chunk in to_send.chunks(4096) {
                wr.write_all(chunk.to_vec()).await.0.unwrap();
            }
            // Dropped here: the only way this client says it is done.
        });
        let got = read_to_eof!(rd);
        writer.await.unwrap();
        assert_eq!(echo.await.unwrap(), sent.len());
        assert_eq!(got, sent);
    });
}

#[test]
fn explicit_shutdown_then_drop_of_the_write_half_is_harmless() {
    uring_rt::start(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (rd, wr) = a.into_split();
        wr.shutdown().unwrap();
        drop(wr); // a second shutdown, its error ignored
        assert_eq!(b.read(Vec::with_capacity(4)).await.0.unwrap(), 0);
        b.write_all(b"ok".to_vec()).await.0.unwrap();
        assert_eq!(rd.read(Vec::with_capacity(4)).await.1, b"ok");
    });
}
