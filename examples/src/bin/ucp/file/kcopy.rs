//! A large buffered file copied inside the kernel: `File::copy_range_to`
//! (`copy_file_range(2)` on the runtime's blocking pool), in large chunks with two in flight
//! (`cp` makes one call for the whole file). The data never enters ucp's buffers. Where the
//! kernel cannot copy between the two files (`EXDEV`, `EINVAL`, `EOPNOTSUPP`, `ENOSYS`), the
//! chunks not yet copied go back to the read/write path through the ring.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

use uring_rt::fs::File;

use super::{run_workers, split_extents, Pair};
use crate::job::{error, Error, Job};

/// Files from this size are copied in the kernel; smaller ones stay on the ring, where their
/// reads and writes batch with other files' opens and closes.
const MIN_LEN: u64 = 4 << 20;

/// Chunks in flight per file, at most (and at most `--qd`). One and two in flight of 64 MiB
/// chunks, and four of 16 MiB, measured the same within this machine's noise (2 GiB file:
/// medians 1.57, 1.57 and 1.58 s over 5 rounds); with 1 MiB chunks one was as slow as `cp`
/// (3.1 s) and two were not (1.6 s), so two keep a small `--bs` fast too
/// (`bench-results/ucp-large-2026-12-02.txt`).
const WORKERS: usize = 2;

/// A kernel copy's chunk: 64 `--bs` blocks, at most 64 MiB (the default 1 MiB blocks give
/// 64 MiB chunks). Each chunk is one trip to the blocking pool; Ctrl-C and errors stop the
/// copy between chunks, and the progress bar moves by chunks.
fn chunk_len(bs: u64) -> u64 {
    (bs * 64).min(64 << 20)
}

/// Whether `pair` (of `len` bytes) is copied in the kernel: buffered on both sides, large
/// enough, and not turned off with `--no-kernel-copy`.
pub(super) fn applies(job: &Job, pair: &Pair, len: u64) -> bool {
    job.options.kernel_copy && !job.options.direct && !pair.dst_direct && len >= MIN_LEN
}

/// What the chunk workers share.
struct Plan {
    chunks: Vec<(u64, u64)>,
    next: Cell<usize>,
    /// Set once the kernel refused: later chunks go to `left` without a try.
    unsupported: Cell<bool>,
    /// Extents `[start, end)` the kernel did not copy.
    left: RefCell<Vec<(u64, u64)>>,
}

/// Copies `extents` in the kernel, in chunks of [`chunk_len`]; returns the extents left for the
/// read/write path (empty unless the kernel cannot copy between these files).
pub(super) async fn copy_extents(
    job: &Rc<Job>,
    pair: &Rc<Pair>,
    extents: &[(u64, u64)],
) -> Result<Vec<(u64, u64)>, Error> {
    let plan = Rc::new(Plan {
        chunks: split_extents(extents, chunk_len(job.options.bs as u64)),
        next: Cell::new(0),
        unsupported: Cell::new(false),
        left: RefCell::new(Vec::new()),
    });
    let workers = WORKERS.min(job.options.qd).min(plan.chunks.len());
    let result = run_workers(job, workers, || {
        let (job, pair, plan) = (job.clone(), pair.clone(), plan.clone());
        async move { worker(&job, &pair, &plan).await }
    })
    .await;
    result?;
    let left = plan.left.take();
    Ok(left)
}

/// Copies chunks until none is left.
async fn worker(job: &Job, pair: &Pair, plan: &Plan) -> Result<(), Error> {
    loop {
        let i = plan.next.get();
        let Some(&(pos, len)) = plan.chunks.get(i) else {
            return Ok(());
        };
        plan.next.set(i + 1);
        job.check()?;
        if plan.unsupported.get() {
            plan.left.borrow_mut().push((pos, pos + len));
            continue;
        }
        match pair.src.copy_range_to(&pair.dst, pos, pos, len).await {
            Ok(n) if n == len => job.add_bytes(len),
            Ok(_) => {
                return Err(Error::At(
                    pair.src_path.clone(),
                    error(
                        io::ErrorKind::UnexpectedEof,
                        "the file shrank while being copied",
                    ),
                ))
            }
            Err(e) if File::is_copy_unsupported(&e) => {
                plan.unsupported.set(true);
                plan.left.borrow_mut().push((pos, pos + len));
            }
            Err(e) => return Err(name(pair, e)),
        }
    }
}

/// `e` from a kernel copy, on the file it concerns: the destination for a full or read-only
/// filesystem or a file too large; otherwise the source, naming the destination too (an
/// `EIO` may come from either side).
fn name(pair: &Pair, e: io::Error) -> Error {
    match e.raw_os_error() {
        Some(libc::ENOSPC | libc::EDQUOT | libc::EFBIG | libc::EROFS) => {
            Error::At(pair.dst_path.clone(), e)
        }
        _ => Error::At(
            pair.src_path.clone(),
            io::Error::new(
                e.kind(),
                format!("{e} (copying to {})", pair.dst_path.display()),
            ),
        ),
    }
}
