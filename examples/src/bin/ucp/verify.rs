//! `--verify`: re-reads every copied file, source and destination, and compares xxh3-128
//! checksums (with `O_DIRECT` under `--direct`, so the destination is read from the device;
//! otherwise through the page cache).

use std::io;
use std::path::Path;
use std::rc::Rc;

use uring_rt::buf::IoBufMut;
use uring_rt::fs::{File, OpenOptions};
use xxhash_rust::xxh3::Xxh3;

use crate::bufs::Buf;
use crate::file::read_full;
use crate::job::{error, At, Error, Job};

/// Checks every file recorded by the copy, several at once.
pub(crate) async fn verify_all(job: &Rc<Job>) -> Result<(), Error> {
    let copied = std::mem::take(&mut *job.copied.borrow_mut());
    for file in copied {
        job.check()?;
        job.acquire_slot().await;
        let job = job.clone();
        uring_rt::spawn(async move {
            let result = verify_one(&job, &file.src, &file.dst, file.len).await;
            if let Err(e) = &result {
                job.record(e);
            }
            job.release_slot();
        });
    }
    job.wait_all().await;
    job.check()
}

/// Compares the checksums of `src` and `dst`, both `len` bytes long.
async fn verify_one(job: &Job, src: &Path, dst: &Path, len: u64) -> Result<(), Error> {
    let dst_file = open(job, dst, len).await.at(dst)?;
    let dst_len = dst_file.metadata().await.at(dst)?.len();
    if dst_len != len {
        return Err(Error::At(
            dst.to_path_buf(),
            error(
                io::ErrorKind::InvalidData,
                &format!("verify: {dst_len} bytes, the source has {len}"),
            ),
        ));
    }
    let src_file = open(job, src, len).await.at(src)?;
    let a = checksum(job, &src_file, len).await.at(src)?;
    let b = checksum(job, &dst_file, len).await.at(dst)?;
    if a != b {
        return Err(Error::At(
            dst.to_path_buf(),
            error(
                io::ErrorKind::InvalidData,
                "verify: the checksum differs from the source's",
            ),
        ));
    }
    Ok(())
}

/// Opens for reading, `O_DIRECT` under `--direct` where the filesystem allows.
async fn open(job: &Job, path: &Path, len: u64) -> io::Result<File> {
    if job.options.direct && len >= 4096 {
        match OpenOptions::new().read(true).direct(true).open(path).await {
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {}
            other => return other,
        }
    }
    File::open(path).await
}

/// xxh3-128 of the first `len` bytes of `file`, read in `--bs` chunks.
async fn checksum(job: &Job, file: &File, len: u64) -> io::Result<u128> {
    let mut hasher = Xxh3::new();
    let bs = job.options.bs as u64;
    let mut pos = 0;
    while pos < len {
        job.check()
            .map_err(|_| error(io::ErrorKind::Interrupted, "stopped"))?;
        let n = bs.min(len - pos) as usize;
        let buf = job.bufs.get().await;
        let (res, buf) = match buf {
            Buf::Fixed(b) => {
                let (r, b) = hash_chunk(file, b, pos, n, &mut hasher).await;
                (r, Buf::Fixed(b))
            }
            Buf::Plain(b) => {
                let (r, b) = hash_chunk(file, b, pos, n, &mut hasher).await;
                (r, Buf::Plain(b))
            }
        };
        job.bufs.put(buf);
        res?;
        pos += n as u64;
    }
    Ok(hasher.digest128())
}

/// Reads `n` bytes at `pos` and feeds them to `hasher`.
async fn hash_chunk<B: IoBufMut + std::ops::Deref<Target = [u8]>>(
    file: &File,
    buf: B,
    pos: u64,
    n: usize,
    hasher: &mut Xxh3,
) -> (io::Result<()>, B) {
    let (res, buf) = read_full(file, buf, pos, n).await;
    if res.is_ok() {
        let bytes: &[u8] = &buf[..n];
        hasher.update(bytes);
    }
    (res, buf)
}
