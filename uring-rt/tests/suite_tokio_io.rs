//! tokio's io-utility tests restated for `uring_rt::io`: `tokio/tests/io_copy.rs`,
//! `io_copy_bidirectional.rs` (tokio's own `copy_bidirectional` over two
//! [`Compat`](uring_rt::compat::Compat) TCP streams), `io_buf_reader.rs`,
//! `io_buf_writer.rs`, `io_read_to_end.rs`, `io_read_exact.rs`, `io_write_all.rs` and
//! `io_split.rs`.
//!
//! tokio's mock readers and writers become small `AsyncReadOwned`/`AsyncWriteOwned` types
//! here ([`Chunks`], [`Limited`]), with the same knobs: the size of each read or write, and
//! whether it waits a turn of the runtime first (tokio's "maybe pending" variants). tokio's
//! `std::io::Cursor` targets become files through a [`FileCursor`](uring_rt::io::FileCursor).
//!
//! Not translated: the vectored `BufWriter` tests (our traits have no vectored write), the
//! `ReadBuf` initialisation bookkeeping of `read_to_end_uninit` (owned buffers have none),
//! `split`/`unsplit` of any `AsyncRead + AsyncWrite` (ours splits sockets, and has no
//! `reunite`), and `copy_bidirectional` against tokio-test's mock (a reset socket stands in
//! for its read error).

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{ErrorKind, SeekFrom};
use std::net::Shutdown;
use std::rc::Rc;

use uring_rt::buf::{BufResult, IoBuf, IoBufMut};
use uring_rt::compat::Compat;
use uring_rt::fs::File;
use uring_rt::io::{
    self as uio, AsyncReadOwned, AsyncReadOwnedExt, AsyncWriteOwned, AsyncWriteOwnedExt, BufReader,
    BufWriter,
};
use uring_rt::net::{TcpListener, TcpStream, UnixStream};

/// Hands out one chunk per read (what does not fit stays for the next read; an empty chunk
/// is one read of 0), then 0 forever. With `wait`, each read first lets the runtime run.
struct Chunks {
    chunks: VecDeque<Vec<u8>>,
    wait: bool,
}

impl Chunks {
    fn new(chunks: &[&[u8]], wait: bool) -> Chunks {
        Chunks {
            chunks: chunks.iter().map(|c| c.to_vec()).collect(),
            wait,
        }
    }
}

impl AsyncReadOwned for Chunks {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        if self.wait {
            uring_rt::yield_now().await;
        }
        let Some(front) = self.chunks.front_mut() else {
            return (Ok(0), buf);
        };
        let mut src: &[u8] = front;
        let (res, buf) = src.read(buf).await;
        let n = res.unwrap();
        front.drain(..n);
        if front.is_empty() {
            self.chunks.pop_front();
        }
        (Ok(n), buf)
    }
}

/// Takes at most `limit` bytes per write (0: accepts nothing), counting writes. With `wait`,
/// each write first lets the runtime run.
#[derive(Default)]
struct Limited {
    data: Vec<u8>,
    limit: usize,
    writes: usize,
    wait: bool,
}

impl AsyncWriteOwned for Limited {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        if self.wait {
            uring_rt::yield_now().await;
        }
        self.writes += 1;
        let slice = buf.slice(..);
        let n = slice.len().min(self.limit);
        self.data.extend_from_slice(&slice[..n]);
        (Ok(n), slice.into_inner())
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn copy_moves_every_byte_and_reports_errors() {
    uring_rt::start(async {
        let mut rd: &[u8] = b"hello world";
        let mut wr = Vec::new();
        assert_eq!(uio::copy(&mut rd, &mut wr).await.unwrap(), 11);
        assert_eq!(wr, b"hello world");
        assert!(rd.is_empty());

        // Many reads of odd sizes into a writer taking 7 bytes at a time.
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let pieces: Vec<&[u8]> = data.chunks(4099).collect();
        let mut wr = Limited {
            limit: 7,
            ..Limited::default()
        };
        let n = uio::copy(&mut Chunks::new(&pieces, true), &mut wr).await;
        assert_eq!(n.unwrap(), data.len() as u64);
        assert_eq!(wr.data, data);

        // A writer that takes nothing: WriteZero, not a hang.
        let mut rd: &[u8] = b"x";
        let err = uio::copy(&mut rd, &mut Limited::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
    });
}

#[test]
fn copy_into_a_buffered_socket_flushes_at_the_end() {
    // tokio's `proxy`: bytes written and flushed before the copy, then the copy's bytes,
    // which sit in the writer's buffer until `copy` flushes it.
    uring_rt::start(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut wd = BufWriter::new(a);
        wd.write_all(vec![0x42u8; 512]).await.0.unwrap();
        wd.flush().await.unwrap();
        let body = vec![0x17u8; 1024];
        let mut rd: &[u8] = &body;
        assert_eq!(uio::copy(&mut rd, &mut wd).await.unwrap(), 1024);
        assert!(wd.buffer().is_empty(), "copy left bytes in the buffer");
        let (res, got) = b.read_exact(Vec::with_capacity(1536)).await;
        res.unwrap();
        assert_eq!(&got[..512], &[0x42; 512][..]);
        assert_eq!(&got[512..], &body[..]);
    });
}

#[test]
fn copy_between_memory_ends_yields_to_other_tasks() {
    const BOUND: u32 = 200_000;
    uring_rt::start(async {
        let stop = Rc::new(Cell::new(false));
        let looping = uring_rt::spawn({
            let stop = stop.clone();
            async move {
                for i in 0..BOUND {
                    if stop.get() {
                        return i;
                    }
                    let mut rd: &[u8] = b"hello";
                    let mut wr = Vec::new();
                    uio::copy(&mut rd, &mut wr).await.unwrap();
                }
                BOUND
            }
        });
        uring_rt::yield_now().await;
        stop.set(true);
        assert!(looping.await.unwrap() < BOUND, "copy never yielded");
    });
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

type Copied = uring_rt::JoinHandle<std::io::Result<(u64, u64)>>;

/// `x` and `y`, whose peers tokio's `copy_bidirectional` joins; the handle yields its counts
/// as (x to y, y to x). `swap` hands the two ends to it in the other order, as tokio runs
/// each test both ways.
async fn proxied(swap: bool) -> (Copied, TcpStream, TcpStream) {
    let (x, x1) = tcp_pair().await;
    let (y, y1) = tcp_pair().await;
    // Fixed, small socket buffers (no autotuning, which lets a loopback receive buffer grow
    // to `tcp_rmem`'s maximum, 32 MiB here): what a stuck direction holds stays far below
    // what the tests write.
    for s in [&x, &x1, &y, &y1] {
        let s = socket2::SockRef::from(s);
        s.set_recv_buffer_size(64 << 10).unwrap();
        s.set_send_buffer_size(64 << 10).unwrap();
    }
    let (mut x1, mut y1) = (Compat::new(x1), Compat::new(y1));
    let handle = uring_rt::spawn(async move {
        if swap {
            tokio::io::copy_bidirectional(&mut y1, &mut x1)
                .await
                .map(|(yx, xy)| (xy, yx))
        } else {
            tokio::io::copy_bidirectional(&mut x1, &mut y1).await
        }
    });
    (handle, x, y)
}

#[test]
fn copy_bidirectional_transfers_and_finishes_after_both_close() {
    uring_rt::start(async {
        for swap in [false, true] {
            let (_handle, a, mut b) = proxied(swap).await;
            a.write_all(b"test").await.0.unwrap();
            let (res, got) = b.read_exact(vec![0u8; 4]).await;
            res.unwrap();
            assert_eq!(got, b"test");

            let (handle, mut a, mut b) = proxied(swap).await;
            a.shutdown(Shutdown::Write).unwrap();
            let (res, rest) = b.read_to_end(Vec::new()).await;
            assert_eq!(res.unwrap(), 0, "FIN passed through");
            assert!(rest.is_empty());
            b.write_all(b"quux").await.0.unwrap();
            let (res, got) = a.read_exact(vec![0u8; 4]).await;
            res.unwrap();
            assert_eq!(got, b"quux");
            drop(b);
            assert_eq!(handle.await.unwrap().unwrap(), (0, 4), "swap {swap}");
        }
    });
}

#[test]
fn copy_bidirectional_keeps_one_direction_moving_while_the_other_is_stuck() {
    const STUFFED: usize = 8 << 20;
    uring_rt::start(async {
        for swap in [false, true] {
            let (handle, a, mut b) = proxied(swap).await;
            let (mut a_rd, a_wr) = a.into_split();
            // Fill a -> b until the sockets' buffers are full: nobody reads b yet.
            let writer = uring_rt::spawn(async move {
                let res = a_wr.write_all(vec![7u8; STUFFED]).await.0;
                (res, a_wr)
            });
            for _ in 0..20 {
                uring_rt::yield_now().await;
            }
            assert!(!writer.is_finished(), "8 MiB fit in the socket buffers");
            b.write_all(b"quux").await.0.unwrap();
            let (res, got) = a_rd.read_exact(vec![0u8; 4]).await;
            res.unwrap();
            assert_eq!(got, b"quux");

            let (res, all) = b.read_exact(vec![0u8; STUFFED]).await;
            res.unwrap();
            assert!(all.iter().all(|&x| x == 7));
            let (res, a_wr) = writer.await.unwrap();
            res.unwrap();
            a_wr.shutdown().unwrap();
            let (res, _) = b.read_to_end(Vec::new()).await;
            assert_eq!(res.unwrap(), 0);
            drop(b);
            let counts = handle.await.unwrap().unwrap();
            assert_eq!(counts, (STUFFED as u64, 4), "swap {swap}");
        }
    });
}

#[test]
fn copy_bidirectional_returns_an_error_when_a_peer_resets() {
    use std::os::fd::AsRawFd;
    uring_rt::start(async {
        let (handle, a, _b) = proxied(false).await;
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket fd and a `linger` of the size passed.
        let rc = unsafe {
            libc::setsockopt(
                a.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0);
        drop(a); // RST instead of FIN
        let err = handle.await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    });
}

#[test]
fn buf_reader_serves_small_reads_from_its_buffer() {
    let inner: &[u8] = &[5, 6, 7, 0, 1, 2, 3, 4];
    uring_rt::start(async {
        for wait in [false, true] {
            let mut reader = BufReader::with_capacity(2, Chunks::new(&[inner], wait));
            // At least the capacity, nothing buffered: straight from the reader.
            let (res, buf) = reader.read(vec![0u8; 3]).await;
            assert_eq!((res.unwrap(), &buf[..]), (3, &[5, 6, 7][..]));
            assert!(reader.buffer().is_empty());
            let (res, buf) = reader.read(vec![0u8; 2]).await;
            assert_eq!((res.unwrap(), &buf[..]), (2, &[0, 1][..]));
            assert!(reader.buffer().is_empty());
            // Smaller: fill the buffer, hand out part of it.
            let (res, buf) = reader.read(vec![0u8; 1]).await;
            assert_eq!((res.unwrap(), &buf[..]), (1, &[2][..]));
            assert_eq!(reader.buffer(), [3]);
            // What is buffered first, even if the caller asked for more.
            let (res, buf) = reader.read(vec![0u8; 3]).await;
            assert_eq!((res.unwrap(), &buf[..]), (1, &[3, 0, 0][..]));
            assert!(reader.buffer().is_empty());
            let (res, buf) = reader.read(vec![0u8; 3]).await;
            assert_eq!((res.unwrap(), &buf[..]), (1, &[4, 0, 0][..]));
            assert_eq!(reader.read(vec![0u8; 3]).await.0.unwrap(), 0);
        }
    });
}

#[test]
fn buf_reader_passes_short_and_empty_reads_through() {
    uring_rt::start(async {
        let chunks: &[&[u8]] = &[b"", b"a", b"bc", b"", b"d", b""];
        let mut reader = BufReader::new(Chunks::new(chunks, false));
        for want in [0, 1, 2, 0, 1, 0, 0] {
            let (res, _) = reader.read(vec![0u8; 3]).await;
            assert_eq!(res.unwrap(), want);
        }

        // fill_buf / consume, and the "maybe pending" split reads of tokio's test.
        let chunks: &[&[u8]] = &[b"hello world", b"foo bar"];
        let mut reader = BufReader::new(Chunks::new(chunks, true));
        assert_eq!(reader.fill_buf().await.unwrap(), b"hello world");
        reader.consume(6);
        assert_eq!(reader.fill_buf().await.unwrap(), b"world");
        assert_eq!(
            reader.fill_buf().await.unwrap(),
            b"world",
            "no read while buffered"
        );
        reader.consume(5);
        assert_eq!(reader.fill_buf().await.unwrap(), b"foo bar");
        reader.consume(100); // more than buffered: clamps
        assert_eq!(reader.fill_buf().await.unwrap(), b"");

        let chunks: &[&[u8]] = &[&[0, 1, 2, 3, 1, 0]];
        let mut reader = BufReader::with_capacity(2, Chunks::new(chunks, true));
        for (delim, want) in [(3, &[0u8, 1, 2, 3][..]), (1, &[1]), (8, &[0]), (8, &[])] {
            let (res, line) = reader.read_until(delim, Vec::new()).await;
            assert_eq!(res.unwrap(), want.len());
            assert_eq!(line, want);
        }
    });
}

#[test]
fn buf_reader_seeks_from_the_position_it_hands_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, [5, 6, 7, 0, 1, 2, 3, 4]).unwrap();
    uring_rt::start(async {
        let file = File::open(&path).await.unwrap();
        let mut reader = BufReader::with_capacity(2, file.cursor());
        assert_eq!(reader.seek(SeekFrom::Start(3)).await.unwrap(), 3);
        assert_eq!(reader.fill_buf().await.unwrap(), [0, 1]);
        // The cursor is past the buffer; the reader's position is not.
        assert_eq!(reader.get_ref().position(), 5);
        assert_eq!(reader.position(), 3);
        let err = reader.seek(SeekFrom::Current(i64::MIN)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            reader.fill_buf().await.unwrap(),
            [0, 1],
            "a failed seek moved"
        );
        assert_eq!(reader.seek(SeekFrom::Current(1)).await.unwrap(), 4);
        assert_eq!(reader.fill_buf().await.unwrap(), [1, 2]);
        reader.consume(1);
        assert_eq!(reader.seek(SeekFrom::Current(-2)).await.unwrap(), 3);
        assert_eq!(reader.fill_buf().await.unwrap(), [0, 1]);
        assert_eq!(reader.seek(SeekFrom::End(-1)).await.unwrap(), 7);
        let (res, rest) = reader.read_to_end(Vec::new()).await;
        assert_eq!(res.unwrap(), 1);
        assert_eq!(rest, [4]);
        let err = reader.seek(SeekFrom::Current(-9)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn buf_writer_buffers_small_writes_and_passes_large_ones() {
    uring_rt::start(async {
        for wait in [false, true] {
            let inner = Limited {
                limit: usize::MAX,
                wait,
                ..Limited::default()
            };
            let mut w = BufWriter::with_capacity(2, inner);
            let step = |w: &BufWriter<Limited>, buffered: &[u8], written: &[u8]| {
                assert_eq!(w.buffer(), buffered);
                assert_eq!(w.get_ref().data, written);
            };
            assert_eq!(w.write(vec![0, 1]).await.0.unwrap(), 2);
            step(&w, &[], &[0, 1]);
            assert_eq!(w.write(vec![2]).await.0.unwrap(), 1);
            step(&w, &[2], &[0, 1]);
            assert_eq!(w.write(vec![3]).await.0.unwrap(), 1);
            step(&w, &[2, 3], &[0, 1]);
            w.flush().await.unwrap();
            step(&w, &[], &[0, 1, 2, 3]);
            assert_eq!(w.write(vec![4]).await.0.unwrap(), 1);
            assert_eq!(w.write(vec![5]).await.0.unwrap(), 1);
            step(&w, &[4, 5], &[0, 1, 2, 3]);
            assert_eq!(w.write(vec![6]).await.0.unwrap(), 1);
            step(&w, &[6], &[0, 1, 2, 3, 4, 5]);
            assert_eq!(w.write(vec![7, 8]).await.0.unwrap(), 2);
            step(&w, &[], &[0, 1, 2, 3, 4, 5, 6, 7, 8]);
            assert_eq!(w.write(vec![9, 10, 11]).await.0.unwrap(), 3);
            step(&w, &[], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
            w.flush().await.unwrap();
            step(&w, &[], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
            // [0, 1], [2, 3], [4, 5], [6], [7, 8], [9, 10, 11]
            assert_eq!(w.get_ref().writes, 6, "writes reaching the inner writer");
        }

        // Nothing reaches the inner writer before a flush.
        let mut w = BufWriter::with_capacity(1024, Vec::new());
        assert_eq!(w.write(vec![0, 1]).await.0.unwrap(), 2);
        assert!(w.get_ref().is_empty());
        w.flush().await.unwrap();
        let (inner, rest) = w.into_parts();
        assert_eq!(inner, [0, 1]);
        assert!(rest.is_empty());
    });
}

#[test]
fn buf_writer_flushes_before_it_seeks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    uring_rt::start(async {
        let file = File::create(&path).await.unwrap();
        let mut w = BufWriter::with_capacity(3, file.cursor());
        w.write_all(vec![0, 1, 2, 3, 4, 5]).await.0.unwrap();
        w.write_all(vec![6, 7]).await.0.unwrap();
        assert_eq!(w.seek(SeekFrom::Current(0)).await.unwrap(), 8);
        assert_eq!(std::fs::read(&path).unwrap(), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(w.seek(SeekFrom::Start(2)).await.unwrap(), 2);
        w.write_all(vec![8, 9]).await.0.unwrap();
        assert_eq!(w.buffer(), [8, 9]);
        w.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), [0, 1, 8, 9, 4, 5, 6, 7]);
        let err = w.seek(SeekFrom::Current(-5)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(w.get_ref().position(), 4);
    });
}

#[test]
fn read_to_end_fills_what_fits_without_reallocating() {
    uring_rt::start(async {
        let mut rd: &[u8] = b"hello world";
        let (res, buf) = rd.read_to_end(Vec::new()).await;
        assert_eq!(res.unwrap(), 11);
        assert_eq!(buf, b"hello world");
        // Appends after what is there.
        let mut rd: &[u8] = b" world";
        let (res, buf) = rd.read_to_end(b"hello".to_vec()).await;
        assert_eq!((res.unwrap(), &buf[..]), (6, &b"hello world"[..]));

        let arr: Vec<u8> = (0..100).collect();
        for len in 32..100 {
            let bytes = &arr[..len];
            for split in (0..len).step_by(5) {
                for cap in 0..101 {
                    let chunks: Vec<&[u8]> = if split == 0 {
                        vec![bytes]
                    } else {
                        vec![&bytes[..split], &bytes[split..]]
                    };
                    let mut rd = Chunks::new(&chunks, false);
                    let (res, buf) = rd.read_to_end(Vec::with_capacity(cap)).await;
                    assert_eq!(res.unwrap(), len);
                    assert_eq!(buf, bytes);
                    if cap >= len {
                        assert_eq!(buf.capacity(), cap, "len {len} split {split} cap {cap}");
                    }
                }
            }
        }

        // Too small: doubled when it does not fit, and again on the way to the end.
        let bytes = b"the_vector_startingcap_will_be_smaller";
        let initial = bytes.len() - 4;
        let mut rd = Chunks::new(&[bytes], false);
        let (res, buf) = rd.read_to_end(Vec::with_capacity(initial)).await;
        assert_eq!(res.unwrap(), bytes.len());
        assert_eq!(buf.capacity(), initial * 4);
    });
}

#[test]
fn read_exact_and_write_all_loop_over_partial_transfers() {
    uring_rt::start(async {
        let mut rd: &[u8] = b"hello world";
        let (res, buf) = rd.read_exact(Box::new([0u8; 8]) as Box<[u8]>).await;
        res.unwrap();
        assert_eq!(&buf[..], b"hello wo");
        assert_eq!(rd, b"rld");
        // Too short: UnexpectedEof, with what there was at the front of the buffer.
        let (res, buf) = rd.read_exact(vec![0u8; 5]).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
        assert_eq!(&buf[..3], b"rld");
        // Across reads of one byte each.
        let mut rd = Chunks::new(&[b"a", b"b", b"", b"c"], true);
        let (res, buf) = rd.read_exact(Vec::with_capacity(2)).await;
        res.unwrap();
        assert_eq!(buf, b"ab");

        let mut wr = Limited {
            limit: 4,
            ..Limited::default()
        };
        wr.write_all(b"hello world").await.0.unwrap();
        assert_eq!(wr.data, b"hello world");
        assert_eq!(wr.writes, 3);
        let err = Limited::default().write_all(b"x").await.0.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        // An empty buffer needs no write at all.
        let mut wr = Limited::default();
        wr.write_all(Vec::new()).await.0.unwrap();
        assert_eq!(wr.writes, 0);
    });
}

#[test]
fn split_halves_delegate_reads_writes_flush_and_shutdown() {
    fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<uring_rt::net::OwnedReadHalf>();
    send_and_sync::<uring_rt::net::OwnedWriteHalf>();
    uring_rt::start(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (r, mut w) = a.into_split();
        b.write_all(b"z").await.0.unwrap();
        let (res, buf) = r.read(vec![0u8; 1]).await;
        assert_eq!((res.unwrap(), buf[0]), (1, b'z'));
        assert_eq!(AsyncWriteOwned::write(&mut w, b"x").await.0.unwrap(), 1);
        w.flush().await.unwrap();
        AsyncWriteOwned::shutdown(&mut w).await.unwrap();
        let (res, got) = b.read_to_end(Vec::new()).await;
        assert_eq!(res.unwrap(), 1);
        assert_eq!(got, b"x");
    });
}
