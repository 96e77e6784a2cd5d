//! The owned-buffer I/O traits: `read_exact`, `read_to_end`, `write_all`, `copy`,
//! `BufReader`, `BufWriter` and `FileCursor`, checked byte for byte against std.

use std::io::{ErrorKind, SeekFrom};

use uring_rt::buf::IoBuf;
use uring_rt::fs::{File, OpenOptions};
use uring_rt::io::{
    copy, AsyncReadOwned, AsyncReadOwnedExt, AsyncWriteOwned, AsyncWriteOwnedExt, BufReader,
    BufWriter,
};
use uring_rt::net::{TcpListener, TcpStream, UnixStream};

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

#[test]
fn read_exact_fills_to_bytes_total_across_many_reads() {
    uring_rt::start(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let data = pattern(100_000, 1);
        let feed = data.clone();
        let w = uring_rt::spawn(async move {
            // Small pieces: read_exact must loop.
            for c in feed.chunks(777) {
                a.write_all(c.to_vec()).await.0.unwrap();
                uring_rt::yield_now().await;
            }
            a
        });
        let (res, buf) = b.read_exact(Vec::with_capacity(60_000)).await;
        res.unwrap();
        assert_eq!(buf.len(), 60_000);
        assert!(buf[..] == data[..60_000]);
        // A slice fills exactly its window of the buffer.
        let (res, s) = b.read_exact(vec![0u8; 50_000].slice(10_000..50_000)).await;
        res.unwrap();
        assert!(s.into_inner()[10_000..] == data[60_000..]);
        drop(w.await.unwrap());
        // At the end: UnexpectedEof, with what was read kept.
        let (res, buf) = b.read_exact(Vec::with_capacity(10)).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
        assert!(buf.is_empty());
    });
}

#[test]
fn read_to_end_and_write_all_over_tcp_halves() {
    uring_rt::start(async {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        let (mut rd, _keep) = s.into_split();
        let (_r, mut wr) = c.into_split();
        let data = pattern(1 << 20, 2);
        let feed = data.clone();
        let w = uring_rt::spawn(async move {
            let (res, buf) = AsyncWriteOwnedExt::write_all(&mut wr, feed).await;
            res.unwrap();
            assert_eq!(buf.len(), 1 << 20);
            AsyncWriteOwned::shutdown(&mut wr).await.unwrap();
        });
        let (res, got) = rd.read_to_end(b"prefix".to_vec()).await;
        assert_eq!(res.unwrap(), data.len());
        assert_eq!(&got[..6], b"prefix");
        assert!(got[6..] == data[..]);
        w.await.unwrap();
    });
}

#[test]
fn copy_file_to_socket_and_back_to_file() {
    uring_rt::start(async {
        let dir = tempfile::tempdir().unwrap();
        let src_path = dir.path().join("src");
        let dst_path = dir.path().join("dst");
        let data = pattern(700_001, 3);
        std::fs::write(&src_path, &data).unwrap();
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let dst = File::create(&dst_path).await.unwrap();
        let sink = uring_rt::spawn(async move {
            let mut cur = dst.cursor();
            let n = copy(&mut b, &mut cur).await.unwrap();
            (n, cur.position())
        });
        let mut src = File::open(&src_path).await.unwrap().cursor();
        assert_eq!(copy(&mut src, &mut a).await.unwrap(), data.len() as u64);
        AsyncWriteOwned::shutdown(&mut a).await.unwrap();
        let (n, pos) = sink.await.unwrap();
        assert_eq!((n, pos), (data.len() as u64, data.len() as u64));
        assert!(std::fs::read(&dst_path).unwrap() == data);
    });
}

#[test]
fn file_cursor_seeks_like_std() {
    uring_rt::start(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .open(&path)
            .await
            .unwrap();
        let mut cur = file.cursor();
        cur.write_all(b"hello world".to_vec()).await.0.unwrap();
        assert_eq!(cur.seek(SeekFrom::End(0)).await.unwrap(), 11);
        // Past the end: a hole, as std.
        assert_eq!(cur.seek(SeekFrom::Current(4)).await.unwrap(), 15);
        cur.write_all(b"!".to_vec()).await.0.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello world\0\0\0\0!");
        cur.seek(SeekFrom::Start(6)).await.unwrap();
        let (res, buf) = cur.read(Vec::with_capacity(5)).await;
        assert_eq!((res.unwrap(), &buf[..]), (5, &b"world"[..]));
        let err = cur.seek(SeekFrom::Current(-100)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(cur.position(), 11);
    });
}

#[test]
fn buf_reader_lines_and_bypass_match_the_data() {
    uring_rt::start(async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut text = Vec::new();
        for i in 0..2000 {
            text.extend_from_slice(format!("line number {i}\n").as_bytes());
        }
        let feed = text.clone();
        let w = uring_rt::spawn(async move {
            for c in feed.chunks(1000) {
                a.write_all(c.to_vec()).await.0.unwrap();
            }
        });
        let mut r = BufReader::with_capacity(256, b);
        let mut got = Vec::new();
        for i in 0..1000 {
            let (res, line) = r.read_until(b'\n', Vec::new()).await;
            assert_eq!(line, format!("line number {i}\n").as_bytes());
            assert_eq!(res.unwrap(), line.len());
            got.extend_from_slice(&line);
        }
        w.await.unwrap();
        // Large reads bypass the buffer once it is empty; small ones go through it.
        let want = text.len() - got.len();
        while got.len() < text.len() {
            let cap = if got.len() % 2 == 0 { 4096 } else { 7 };
            let (res, buf) = r.read(Vec::with_capacity(cap)).await;
            let n = res.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        assert!(want > 0);
        assert!(got == text);
    });
}

#[test]
fn buf_writer_batches_and_flushes_everything() {
    uring_rt::start(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut w = BufWriter::with_capacity(1000, a);
        let mut expect = Vec::new();
        for i in 0..5000usize {
            // Mostly small writes, some larger than the buffer.
            let piece = pattern(if i % 500 == 0 { 3000 } else { i % 13 }, i as u64);
            expect.extend_from_slice(&piece);
            w.write_all(piece).await.0.unwrap();
        }
        assert!(w.buffer().len() <= 1000);
        w.shutdown().await.unwrap(); // flushes, then FIN
        let (res, got) = b.read_to_end(Vec::new()).await;
        assert_eq!(res.unwrap(), expect.len());
        assert!(got == expect);
    });
}

#[test]
fn write_to_a_closed_peer_is_broken_pipe() {
    uring_rt::start(async {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        drop(b);
        let mut a = UnixStream::from_std(a).unwrap();
        let (res, buf) = AsyncWriteOwnedExt::write_all(&mut a, vec![1u8; 10]).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::BrokenPipe);
        assert_eq!(buf.len(), 10);
    });
}
