//! A file copied over TCP between two cores: fs + net + thread-per-core + timers together,
//! checked byte for byte against std.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use uring_rt::fs::{File, OpenOptions};
use uring_rt::net::{TcpListener, TcpStream};
use uring_rt::runtime::ThreadPerCore;

const SIZE: usize = 8 << 20;
const CHUNK: usize = 64 << 10;

fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x243f_6a88_85a3_08d3;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn a_file_sent_from_one_core_arrives_intact_on_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source.bin");
    let dst = dir.path().join("copy.bin");
    let data = pattern(SIZE);
    std::fs::write(&src, &data).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = Arc::new(Mutex::new(Some(listener)));
    let (src2, dst2) = (src.clone(), dst.clone());

    let sent = ThreadPerCore::builder()
        .cores(2)
        .run(move |core| {
            let listener = listener.clone();
            let (src, dst) = (src2.clone(), dst2.clone());
            async move {
                if core.index() == 0 {
                    // Sender: read the file in chunks with the ring, write them to the socket.
                    let stream = TcpStream::connect(addr).await.unwrap();
                    let file = File::open(&src).await.unwrap();
                    let mut pos = 0u64;
                    let mut buf = Vec::with_capacity(CHUNK);
                    loop {
                        buf.clear();
                        let (n, b) = file.read_at(buf, pos).await;
                        let n = n.unwrap();
                        if n == 0 {
                            break;
                        }
                        let (res, b) = stream.write_all(b).await;
                        res.unwrap();
                        buf = b;
                        pos += n as u64;
                    }
                    stream.shutdown(std::net::Shutdown::Write).unwrap();
                    file.close().await.unwrap();
                    pos
                } else {
                    // Receiver: accept (bounded in time), write what arrives at increasing
                    // offsets.
                    let listener = listener.lock().unwrap().take().unwrap();
                    let (stream, _) =
                        uring_rt::time::timeout(Duration::from_secs(20), listener.accept())
                            .await
                            .expect("the sender connects")
                            .unwrap();
                    let file = OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .open(&dst)
                        .await
                        .unwrap();
                    let mut pos = 0u64;
                    let mut buf = Vec::with_capacity(CHUNK);
                    loop {
                        buf.clear();
                        let (n, b) = stream.read(buf).await;
                        let n = n.unwrap();
                        if n == 0 {
                            break;
                        }
                        let (res, b) = file.write_all_at(b, pos).await;
                        res.unwrap();
                        buf = b;
                        pos += n as u64;
                    }
                    file.sync_all().await.unwrap();
                    file.close().await.unwrap();
                    pos
                }
            }
        })
        .unwrap();

    assert_eq!(sent, vec![SIZE as u64, SIZE as u64]);
    let copy = std::fs::read(&dst).unwrap();
    assert!(copy == data, "the copy differs from the source");
}
