//! [`read_dir`] and [`ReadDir`]: a directory listing as a `Stream`.
//!
//! io_uring has no opcode to read a directory, so the listing runs `getdents64` (through
//! `std::fs::read_dir`) on the blocking pool, [`BATCH`] entries per trip; the runtime's
//! thread only waits for the batches.

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::DirEntry;
use crate::{spawn_blocking, JoinHandle};

/// Entries fetched per trip to the blocking pool.
const BATCH: usize = 128;

type Batch = (std::fs::ReadDir, VecDeque<io::Result<DirEntry>>, bool);

/// Lists the entries of the directory at `path` (without `.` and `..`), in the order the
/// filesystem returns them.
///
/// Opening and reading the directory run on the blocking pool (`getdents64` has no io_uring
/// opcode); see [`ReadDir`].
///
/// # Errors
///
/// `NotFound`, `NotADirectory`, `PermissionDenied`, ...; `Other` outside a runtime.
///
/// # Examples
///
/// ```
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     for name in ["a", "b", "c"] {
///         std::fs::write(dir.path().join(name), b"").unwrap();
///     }
///     let mut names = Vec::new();
///     let mut entries = uring_rt::fs::read_dir(dir.path()).await.unwrap();
///     while let Some(entry) = entries.next_entry().await.unwrap() {
///         names.push(entry.file_name().into_string().unwrap());
///     }
///     names.sort();
///     assert_eq!(names, ["a", "b", "c"]);
/// });
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path: PathBuf = path.as_ref().to_owned();
    let dir = super::blocking::blocking(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        buffered: VecDeque::new(),
        state: State::Idle(Some(dir)),
    })
}

/// The entries of a directory: a [`futures_core::Stream`] of `io::Result<DirEntry>`, or
/// call [`next_entry`](ReadDir::next_entry).
///
/// Entries are fetched in batches on the blocking pool. Dropping a `ReadDir` while a batch
/// is being fetched is fine: the batch is dropped when it arrives.
///
/// # Examples
///
/// ```
/// use futures_core::Stream;
/// use std::pin::Pin;
///
/// uring_rt::start(async {
///     let dir = tempfile::tempdir().unwrap();
///     std::fs::write(dir.path().join("only"), b"").unwrap();
///     let mut entries = uring_rt::fs::read_dir(dir.path()).await.unwrap();
///     let first = std::future::poll_fn(|cx| Pin::new(&mut entries).poll_next(cx)).await;
///     assert_eq!(first.unwrap().unwrap().file_name(), "only");
///     assert!(entries.next_entry().await.unwrap().is_none());
/// });
/// ```
pub struct ReadDir {
    buffered: VecDeque<io::Result<DirEntry>>,
    state: State,
}

enum State {
    /// `None` once the directory is exhausted.
    Idle(Option<std::fs::ReadDir>),
    /// A batch is being read on the blocking pool.
    Pending(JoinHandle<Batch>),
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("buffered", &self.buffered.len())
            .field("fetching", &matches!(self.state, State::Pending(_)))
            .finish()
    }
}

impl ReadDir {
    /// The next entry, or `None` at the end.
    ///
    /// # Errors
    ///
    /// When reading the directory fails; the stream may go on after an error.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let dir = tempfile::tempdir().unwrap();
    ///     let mut entries = uring_rt::fs::read_dir(dir.path()).await.unwrap();
    ///     assert!(entries.next_entry().await.unwrap().is_none());
    /// });
    /// ```
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_entry(cx)).await.transpose()
    }

    fn poll_entry(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<DirEntry>>> {
        loop {
            if let Some(entry) = self.buffered.pop_front() {
                return Poll::Ready(Some(entry));
            }
            match &mut self.state {
                State::Idle(None) => return Poll::Ready(None),
                State::Idle(dir) => {
                    let mut dir = dir.take().expect("matched Some above");
                    self.state = State::Pending(spawn_blocking(move || {
                        let mut batch = VecDeque::with_capacity(BATCH);
                        let mut done = true;
                        for entry in dir.by_ref() {
                            batch.push_back(entry.map(|e| DirEntry::from_std(&e)));
                            if batch.len() == BATCH {
                                done = false;
                                break;
                            }
                        }
                        (dir, batch, done)
                    }));
                }
                State::Pending(handle) => match Pin::new(handle).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok((dir, batch, done))) => {
                        self.buffered = batch;
                        self.state = State::Idle((!done).then_some(dir));
                    }
                    Poll::Ready(Err(e)) => {
                        self.state = State::Idle(None);
                        return Poll::Ready(Some(Err(io::Error::other(e.to_string()))));
                    }
                },
            }
        }
    }
}

impl futures_core::Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_entry(cx)
    }
}
