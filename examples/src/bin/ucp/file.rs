//! Copying one regular file: open the source, create a temporary file next to the
//! destination, copy the data extents (holes stay holes) in `--bs` chunks with up to `--qd`
//! in flight (a large buffered file in the kernel: `kcopy`), set permissions and times, close
//! both and rename the temporary into place.

use std::cell::{Cell, RefCell};
use std::fs::{FileTimes, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use uring_rt::buf::{IoBuf, IoBufMut};
use uring_rt::fs::{self, File, FixedBuf, Metadata, OpenOptions};

use crate::bufs::Buf;
use crate::job::{error, At, Copied, Error, Job};

mod kcopy;

/// Copies the regular file `src` (described by `meta`) to `dst`. `fresh` says `dst`'s
/// directory was created by this copy, so nothing can be overwritten there.
pub(crate) async fn copy_file(
    job: &Rc<Job>,
    src: &Path,
    dst: &Path,
    meta: Metadata,
    fresh: bool,
) -> Result<(), Error> {
    job.check()?;
    if !fresh && !job.options.force {
        refuse_existing(dst).await?;
    }
    let len = meta.len();
    job.expect_bytes(len);
    let src_file = open_source(job, src, len).await?;
    let temp = job.temp_for(dst);
    let mode = meta.mode() & 0o7777;
    let create_mode = if job.options.preserve {
        mode & 0o777
    } else {
        0o666
    };
    let (dst_file, dst_direct) = open_temp(job, &temp, create_mode, len).await.at(dst)?;

    let extents = if len > 0 && meta.blocks() * 512 < len {
        data_extents(&src_file, len).await.at(src)?
    } else if len > 0 {
        vec![(0, len)]
    } else {
        Vec::new()
    };
    let pair = Rc::new(Pair {
        src: src_file,
        dst: dst_file,
        src_path: src.to_path_buf(),
        temp: temp.clone(),
        dst_path: dst.to_path_buf(),
        dst_direct,
        buffered_dst: RefCell::new(None),
        write_turn: WriteTurn::new(),
    });
    if kcopy::applies(job, &pair, len) {
        let left = kcopy::copy_extents(job, &pair, &extents).await?;
        copy_extents(job, &pair, &left).await?;
    } else {
        copy_extents(job, &pair, &extents).await?;
    }
    job.check()?;

    if extents.last().map_or(0, |&(_, end)| end) < len {
        // A hole at the end: only the length makes it.
        pair.dst.set_len(len).await.at(dst)?;
    }
    if job.options.preserve {
        if mode != create_mode & !job.umask {
            pair.dst
                .set_permissions(Permissions::from_mode(mode))
                .await
                .at(dst)?;
        }
        let mut times = FileTimes::new();
        if let Ok(t) = meta.accessed() {
            times = times.set_accessed(t);
        }
        if let Ok(t) = meta.modified() {
            times = times.set_modified(t);
        }
        pair.dst.set_times(times).await.at(dst)?;
    }
    // Every worker has finished; if a finished task still holds its clone, the files close
    // when it lets go (`File`'s drop), without reporting.
    if let Some(pair) = Rc::into_inner(pair) {
        if let Some(buffered) = pair.buffered_dst.into_inner().and_then(Rc::into_inner) {
            buffered.close().await.at(dst)?;
        }
        pair.dst.close().await.at(dst)?;
        // The source was only read: its close cannot lose data.
        let _ = pair.src.close().await;
    }
    job.check()?;
    place(job, &temp, dst, fresh).await?;
    job.forget_temp(&temp);
    job.add_file();
    if job.options.verify {
        job.copied.borrow_mut().push(Copied {
            src: src.to_path_buf(),
            dst: dst.to_path_buf(),
            len,
        });
    }
    Ok(())
}

/// Renames the finished temporary `temp` to `dst`. Without `-f` the rename refuses to
/// replace anything (`RENAME_NOREPLACE`), so a file created at `dst` while the copy ran is
/// never overwritten; on a filesystem without that flag (`EINVAL`), the existence check made
/// before the copy stands and a plain rename follows. (`fresh`: `dst`'s directory was made
/// by this run, nobody else's file can be there.)
pub(crate) async fn place(job: &Job, temp: &Path, dst: &Path, fresh: bool) -> Result<(), Error> {
    if fresh || job.options.force {
        return fs::rename(temp, dst).await.at(dst);
    }
    match fs::rename_noreplace(temp, dst).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::At(
            dst.to_path_buf(),
            error(
                io::ErrorKind::AlreadyExists,
                "was created while copying (use -f to overwrite)",
            ),
        )),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => fs::rename(temp, dst).await.at(dst),
        Err(e) => Err(Error::At(dst.to_path_buf(), e)),
    }
}

/// `Err` naming `dst` when it exists (without `-f`, nothing is overwritten).
pub(crate) async fn refuse_existing(dst: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(dst).await {
        Ok(_) => Err(Error::At(
            dst.to_path_buf(),
            error(
                io::ErrorKind::AlreadyExists,
                "already exists (use -f to overwrite)",
            ),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::At(dst.to_path_buf(), e)),
    }
}

/// Whether `--direct` applies to a file of `len` bytes (not worth it below one block).
fn want_direct(job: &Job, len: u64) -> bool {
    job.options.direct && len >= 4096
}

/// Opens the source, with `O_DIRECT` under `--direct` (buffered where the filesystem
/// refuses it).
async fn open_source(job: &Job, src: &Path, len: u64) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    options.read(true).custom_flags(libc::O_NOFOLLOW);
    if want_direct(job, len) {
        match options.clone().direct(true).open(src).await {
            Ok(file) => return Ok(file),
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {}
            Err(e) => return Err(Error::At(src.to_path_buf(), e)),
        }
    }
    options.open(src).await.at(src)
}

/// Creates the temporary file (it must not exist), `O_DIRECT` as for the source; says
/// whether it is `O_DIRECT`.
async fn open_temp(job: &Job, temp: &Path, mode: u32, len: u64) -> io::Result<(File, bool)> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(mode);
    if want_direct(job, len) {
        match options.clone().direct(true).open(temp).await {
            Ok(file) => return Ok((file, true)),
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                // The file was created before the kernel refused O_DIRECT: reopen it.
                let _ = fs::remove_file(temp).await;
            }
            Err(e) => return Err(e),
        }
    }
    Ok((options.open(temp).await?, false))
}

/// The data extents `[start, end)` of a sparse file (`SEEK_DATA`/`SEEK_HOLE`).
async fn data_extents(file: &File, len: u64) -> io::Result<Vec<(u64, u64)>> {
    let mut extents = Vec::new();
    let mut pos = 0;
    while pos < len {
        let Some(start) = file.seek_data(pos).await? else {
            break;
        };
        if start >= len {
            break;
        }
        let end = file.seek_hole(start).await?.unwrap_or(len).min(len);
        extents.push((start, end));
        pos = end;
    }
    Ok(extents)
}

/// One write at a time to a destination: buffered writes to one file through io_uring run on
/// the kernel's io-wq threads, where concurrent writes to one inode contend on its lock
/// (measured on ext4: 1.3 GiB/s at one write in flight, 0.8 at 4, 0.2 at 32). Reads stay
/// concurrent, and other files' writes proceed in parallel.
struct WriteTurn {
    tx: async_channel::Sender<()>,
    rx: async_channel::Receiver<()>,
}

impl WriteTurn {
    fn new() -> WriteTurn {
        let (tx, rx) = async_channel::bounded(1);
        tx.try_send(())
            .expect("an empty channel of capacity 1 has room");
        WriteTurn { tx, rx }
    }

    /// Waits for the turn; `done` gives it back.
    async fn take(&self) {
        // Both ends live in `self`: never closed.
        let _ = self.rx.recv().await;
    }

    fn done(&self) {
        let _ = self.tx.try_send(());
    }
}

/// A source and its temporary destination, shared by the chunk workers.
struct Pair {
    src: File,
    dst: File,
    src_path: PathBuf,
    temp: PathBuf,
    /// The destination's name, which errors report (the temporary's name means nothing to
    /// the user).
    dst_path: PathBuf,
    /// The temporary opened again without `O_DIRECT`, for an unaligned tail.
    buffered_dst: RefCell<Option<Rc<File>>>,
    /// Whether `dst` was opened with `O_DIRECT`.
    dst_direct: bool,
    /// Serializes writes (see [`WriteTurn`]).
    write_turn: WriteTurn,
}

/// Chunk workers per file without `O_DIRECT`. Cold buffered reads of one file lose to
/// readahead with more in flight (measured on ext4 with `uring-iops --rw read --bs 1M`: 880
/// MiB/s at QD 1, 680 at 4, 440 at 32) and its writes are serialized anyway ([`WriteTurn`]);
/// a few keep a read in flight while another chunk is written. Other files proceed in
/// parallel, so `--qd` still bounds the total.
const BUFFERED_WORKERS: usize = 4;

/// Copies `extents` in chunks of `--bs`, with up to `--qd` workers pulling chunks.
async fn copy_extents(job: &Rc<Job>, pair: &Rc<Pair>, extents: &[(u64, u64)]) -> Result<(), Error> {
    let chunks = Rc::new(split_extents(extents, job.options.bs as u64));
    let next = Rc::new(Cell::new(0));
    let workers = job.options.qd.min(chunks.len()).min(if pair.dst_direct {
        usize::MAX
    } else {
        BUFFERED_WORKERS
    });
    run_workers(job, workers, || {
        let (job, pair, chunks, next) = (job.clone(), pair.clone(), chunks.clone(), next.clone());
        async move { chunk_worker(&job, &pair, &chunks, &next).await }
    })
    .await
}

/// The data extents `[start, end)` cut into `(pos, len)` chunks of at most `chunk` bytes.
fn split_extents(extents: &[(u64, u64)], chunk: u64) -> Vec<(u64, u64)> {
    let chunk = chunk.max(1);
    extents
        .iter()
        .flat_map(|&(start, end)| {
            (start..end)
                .step_by(chunk as usize)
                .map(move |pos| (pos, chunk.min(end - pos)))
        })
        .collect()
}

/// Runs `workers` copies of the worker `make` builds: all but one as tasks, one on this task.
/// Each failure is recorded with the job (so the others stop); the first error is returned,
/// a task that could not be joined counting as stopped.
async fn run_workers<F, W>(job: &Rc<Job>, workers: usize, make: F) -> Result<(), Error>
where
    F: Fn() -> W,
    W: std::future::Future<Output = Result<(), Error>> + 'static,
{
    let mut handles = Vec::with_capacity(workers.saturating_sub(1));
    for _ in 1..workers {
        let (job, worker) = (job.clone(), make());
        handles.push(uring_rt::spawn(async move {
            let result = worker.await;
            if let Err(e) = &result {
                job.record(e);
            }
            result
        }));
    }
    let mut result = if workers > 0 { make().await } else { Ok(()) };
    if let Err(e) = &result {
        job.record(e);
    }
    for handle in handles {
        let joined = handle.await.unwrap_or(Err(Error::Stopped));
        if result.is_ok() {
            result = joined;
        }
    }
    result
}

/// Copies chunks until none is left.
async fn chunk_worker(
    job: &Job,
    pair: &Pair,
    chunks: &[(u64, u64)],
    next: &Cell<usize>,
) -> Result<(), Error> {
    loop {
        let i = next.get();
        let Some(&(pos, len)) = chunks.get(i) else {
            return Ok(());
        };
        next.set(i + 1);
        let buf = job.bufs.get().await;
        if let Err(e) = job.check() {
            job.bufs.put(buf);
            return Err(e);
        }
        let (result, buf) = match buf {
            Buf::Fixed(b) => {
                let (r, b) = copy_chunk_fixed(pair, b, pos, len as usize).await;
                (r, Buf::Fixed(b))
            }
            Buf::Plain(b) => {
                let (r, b) = copy_chunk(pair, b, pos, len as usize).await;
                (r, Buf::Plain(b))
            }
        };
        job.bufs.put(buf);
        result?;
        job.add_bytes(len);
    }
}

/// Reads `len` bytes at `pos` from the source and writes them at `pos` to the destination.
async fn copy_chunk<B: IoBufMut>(
    pair: &Pair,
    buf: B,
    pos: u64,
    len: usize,
) -> (Result<(), Error>, B) {
    let (res, buf) = read_full(&pair.src, buf, pos, len).await;
    if let Err(e) = res {
        return (Err(Error::At(pair.src_path.clone(), e)), buf);
    }
    pair.write_turn.take().await;
    let (res, buf) = write_chunk(pair, buf, pos, len).await;
    pair.write_turn.done();
    (res, buf)
}

/// Writes the first `len` bytes of `buf` at `pos` to the destination.
async fn write_chunk<B: IoBufMut>(
    pair: &Pair,
    buf: B,
    pos: u64,
    len: usize,
) -> (Result<(), Error>, B) {
    let aligned = len % pair.dst.alignment() == 0;
    let (res, slice) = if aligned {
        pair.dst.write_all_at(buf.slice(..len), pos).await
    } else {
        // Only the last chunk of an O_DIRECT file can be unaligned: write it buffered.
        let buffered = match buffered_dst(pair).await {
            Ok(file) => file,
            Err(e) => return (Err(Error::At(pair.dst_path.clone(), e)), buf),
        };
        buffered.write_all_at(buf.slice(..len), pos).await
    };
    (res.at(&pair.dst_path), slice.into_inner())
}

/// The destination without `O_DIRECT` (the same file when it was opened buffered).
async fn buffered_dst(pair: &Pair) -> io::Result<Rc<File>> {
    if let Some(file) = pair.buffered_dst.borrow().as_ref() {
        return Ok(file.clone());
    }
    let file = Rc::new(OpenOptions::new().write(true).open(&pair.temp).await?);
    *pair.buffered_dst.borrow_mut() = Some(file.clone());
    Ok(file)
}

/// As [`copy_chunk`], with `IORING_OP_READ_FIXED`/`WRITE_FIXED` for a full, aligned chunk.
async fn copy_chunk_fixed(
    pair: &Pair,
    buf: FixedBuf,
    pos: u64,
    len: usize,
) -> (Result<(), Error>, FixedBuf) {
    if len != buf.capacity() || len % pair.dst.alignment() != 0 {
        return copy_chunk(pair, buf, pos, len).await;
    }
    let (res, buf) = pair.src.read_fixed_at(buf, pos).await;
    match res {
        Ok(n) if n == len => {}
        // A short read: the general path reads the rest.
        Ok(_) => return copy_chunk(pair, buf, pos, len).await,
        Err(e) => return (Err(Error::At(pair.src_path.clone(), e)), buf),
    }
    pair.write_turn.take().await;
    let (res, buf) = pair.dst.write_fixed_at(buf, pos).await;
    let result = match res {
        Ok(n) if n == len => (Ok(()), buf),
        Ok(n) => {
            let (res, slice) = pair
                .dst
                .write_all_at(buf.slice(n..len), pos + n as u64)
                .await;
            (res.at(&pair.dst_path), slice.into_inner())
        }
        Err(e) => (Err(Error::At(pair.dst_path.clone(), e)), buf),
    };
    pair.write_turn.done();
    result
}

/// Reads exactly `len` bytes at `pos` into the start of `buf`. On an `O_DIRECT` file the
/// read length is rounded up to the alignment (the file ends within it).
pub(crate) async fn read_full<B: IoBufMut>(
    file: &File,
    buf: B,
    pos: u64,
    len: usize,
) -> (io::Result<()>, B) {
    let align = file.alignment();
    let want = len.div_ceil(align) * align;
    let want = want.min(buf.bytes_total()).max(len);
    let mut buf = buf;
    let mut done = 0;
    while done < len {
        let (res, slice) = file.read_at(buf.slice(done..want), pos + done as u64).await;
        buf = slice.into_inner();
        match res {
            Ok(0) => {
                return (
                    Err(error(
                        io::ErrorKind::UnexpectedEof,
                        "the file shrank while being copied",
                    )),
                    buf,
                )
            }
            Ok(n) => done += n,
            Err(e) => return (Err(e), buf),
        }
    }
    (Ok(()), buf)
}
