//! Operations: the `Op` future and one file per kernel operation.
//!
//! An operation type (`Nop`, `Read`, `Accept`, ...) owns everything the kernel will touch and
//! builds the SQE from it; `Op<T>` submits it on first poll and turns the completion into the
//! operation's typed output. If the `Op` is dropped before the completion, its data moves into
//! the driver's slot and lives until the kernel is done with it.

mod nop;
// fs ops (one file each) go below this line.
mod close;
mod fallocate;
mod fd;
mod fd_blocking;
mod file_fd;
mod fsync;
mod ftruncate;
mod iovecs;
mod link_at;
mod mkdir_at;
mod open_at;
mod read;
mod read_fixed;
mod readv;
mod register_buffers;
mod register_files;
mod rename_at;
mod statx;
mod support;
mod symlink_at;
mod sync_file_range;
mod unlink_at;
mod write;
mod write_fixed;
mod writev;
pub(crate) use close::Close;
pub(crate) use fallocate::Fallocate;
use fd::socket_target;
pub(crate) use fd::{FdExt, InputPermit, SharedFd};
use file_fd::fd_target;
pub(crate) use file_fd::{file_fd, FileFd};
pub(crate) use fsync::Fsync;
pub(crate) use ftruncate::Ftruncate;
use iovecs::IoVecs;
pub(crate) use link_at::LinkAt;
pub(crate) use mkdir_at::MkDirAt;
pub(crate) use open_at::OpenAt;
pub(crate) use read::Read;
pub(crate) use read_fixed::ReadFixed;
pub(crate) use readv::Readv;
pub(crate) use register_buffers::register_pool;
pub(crate) use rename_at::RenameAt;
pub(crate) use statx::Statx;
pub(crate) use support::{has as is_supported, in_runtime};
pub(crate) use symlink_at::SymlinkAt;
pub(crate) use sync_file_range::SyncFileRange;
pub(crate) use unlink_at::UnlinkAt;
pub(crate) use write::Write;
pub(crate) use write_fixed::WriteFixed;
pub(crate) use writev::Writev;

// net ops (one file each) go below this line.
mod accept;
mod accept_multi;
mod buf_lending;
mod buf_ring;
mod connect;
mod msg;
mod raw_addr;
mod recv;
mod recv_msg;
mod recv_multi;
mod send;
mod send_msg;
mod send_zc;
mod socket;

pub(crate) use accept::Accept;
pub(crate) use accept_multi::{accepted, AcceptMulti};
pub(crate) use buf_ring::{LentBuf, ProvidedBufs};
pub(crate) use connect::Connect;
pub(crate) use msg::MsgHdr;
pub(crate) use raw_addr::{unix_addr, unix_sock, RawAddr};
pub(crate) use recv::Recv;
pub(crate) use recv_msg::RecvMsg;
pub(crate) use recv_multi::RecvMulti;
pub(crate) use send::Send;
pub(crate) use send_msg::SendMsg;
pub(crate) use send_zc::{send_zc_supported, SendZc};
pub(crate) use socket::{socket_supported, Socket};

pub(crate) use nop::Nop;

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use io_uring::squeue;

use crate::driver::{self, AssertSend, Completion, Driver, Mail, Observer, Orphan};
use crate::runtime::context;
use crate::task::coop;

/// An io_uring operation: its data, how to build its SQE and how to read its completion.
///
/// # Safety
///
/// Implementors promise that every pointer in the entry returned by `create_entry` points to
/// memory owned by `self` through a heap allocation (or to memory that outlives it), so the
/// pointers stay valid while `self` lives, even after `self` is moved. `Op` keeps `self` alive
/// until the final completion (in the future, or in the driver's slot after a drop).
pub(crate) unsafe trait OpCode: 'static {
    /// What the awaiting caller gets.
    type Output;

    /// Builds the SQE (user_data is set by the driver). Called once, at first poll.
    fn create_entry(&mut self) -> squeue::Entry;

    /// Builds the SQE for ring `ring` (its driver id; 0 names no ring): what `Op` calls. Ops
    /// on a socket that may have a direct-descriptor slot in that ring override it to name
    /// the socket by slot (see `SharedFd::fixed_on`); the default is `create_entry`.
    fn create_entry_on(&mut self, ring: u64) -> squeue::Entry {
        let _ = ring;
        self.create_entry()
    }

    /// Turns the completion into the output, giving the owned data back.
    fn complete(self, completion: Completion) -> Self::Output;

    /// The opcode the op needs (its code, name and first Linux version), checked against the
    /// ring's probe at first poll, where the ring is found anyway: the op then fails with
    /// `Unsupported` without a second lookup of the ring in its constructor.
    fn required(&self) -> Option<(u8, &'static str, &'static str)> {
        None
    }

    /// For a multishot op: what sees each completion as the driver reaps it, in
    /// completion-queue order across all ops (see `driver::Observer`), while the future
    /// lives. Default: nothing.
    fn observer(&self) -> Option<Rc<dyn Observer>> {
        None
    }

    /// The output of an op that never reached the kernel (no runtime on the polling thread,
    /// a faulted ring): `err`, with the owned data (a buffer) handed back.
    fn fail(self, err: io::Error) -> Self::Output;

    /// Sees a completion that arrived after the future was dropped: release what the kernel
    /// created (close a new fd). Must not use the driver.
    fn orphan_completion(&mut self, completion: Completion) {
        let _ = completion;
    }

    /// The ring is gone without proof that the kernel is done with this op: keep every byte
    /// the SQE points at allocated forever, but release what others wait for (an input
    /// permit), so that the stream is not wedged. Default: leak everything.
    fn leak(self)
    where
        Self: Sized,
    {
        std::mem::forget(self);
    }
}

/// Owns an op's data inside the driver's slot after its future was dropped.
struct Orphaned<T: OpCode>(T);

impl<T: OpCode> Orphan for Orphaned<T> {
    fn orphan_completion(&mut self, completion: Completion) {
        self.0.orphan_completion(completion);
    }

    fn leak(self: Box<Self>) {
        self.0.leak();
    }
}

#[derive(Clone, Copy)]
enum State {
    Unsubmitted,
    /// In the ring `ring` (a driver id), slot `key`.
    Submitted {
        ring: u64,
        key: usize,
    },
    Done,
}

/// The future of one single-shot operation.
///
/// `Send` when its data is: it refers to its ring by id, not by pointer, so a `Send` future
/// doing I/O can be handed to another core with `Handle::spawn` before its first poll.
pub(crate) struct Op<T: OpCode> {
    state: State,
    data: Option<T>,
    /// Submit the SQE on its own at first poll (see [`Op::eager`]).
    eager: bool,
}

impl<T: OpCode> Unpin for Op<T> {}

impl<T: OpCode> fmt::Debug for Op<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Op")
            .field("submitted", &matches!(self.state, State::Submitted { .. }))
            .finish()
    }
}

impl<T: OpCode> Op<T> {
    /// An op submitted on first poll to the runtime of the polling thread. Without one, the
    /// first poll yields the op's error output (`ErrorKind::Other`, saying where to call from).
    pub(crate) fn new(data: T) -> Op<T> {
        Op {
            state: State::Unsubmitted,
            data: Some(data),
            eager: false,
        }
    }

    /// With `eager`, the first poll hands the SQE to the kernel at once, in an
    /// `io_uring_enter` of its own, instead of with the rest of the tick's batch.
    ///
    /// For block-device I/O (`O_DIRECT` files): the kernel issues the requests of one
    /// `io_uring_enter` under a block plug and dispatches none of them until the whole batch
    /// is issued, so a batch reaches the device as a burst, completes as a burst and is
    /// resubmitted as a burst; the ring falls into that lockstep and the device idles between
    /// bursts (4 KiB random reads at queue depth 32: ~20% fewer IOPS than one enter per read,
    /// which is what fio does). Not for ops that usually complete inside the enter (buffered
    /// reads from the page cache, sockets): there a batch saves a syscall per op.
    pub(crate) fn eager(mut self, eager: bool) -> Op<T> {
        self.eager = eager;
        self
    }

    fn finish(&mut self, c: Completion) -> T::Output {
        self.state = State::Done;
        let data = self.data.take().expect("op data present until completion");
        data.complete(c)
    }

    fn fail(&mut self, err: io::Error) -> T::Output {
        self.state = State::Done;
        let data = self.data.take().expect("op data present until completion");
        data.fail(err)
    }
}

/// The driver an op submitted to ring `ring` must be polled on: polling it anywhere else is
/// a misuse the op cannot recover from (its completion can only arrive on that ring).
fn check_ring(driver: &Driver, ring: u64) {
    if driver.id() != ring {
        panic!("uring-rt: an in-flight operation was polled on another runtime than its own");
    }
}

fn not_entered() -> ! {
    panic!(
        "uring-rt: an in-flight operation was polled outside of its runtime (after block_on \
         returned, or on another thread)"
    )
}

/// Hands the data of a dropped in-flight op back to its ring, wherever it is dropped.
///
/// On the ring's thread with the ring entered: straight into its slot. Elsewhere: through the
/// ring's mailbox (drained on the ring's next tick). The ring is gone: if it shut down cleanly
/// every completion arrived and the kernel holds no pointer into `data`, which is dropped;
/// otherwise it may, and leaking is the only safe choice.
fn release<T: OpCode>(ring: u64, key: usize, data: T) {
    if let Some(ctx) = context::current() {
        if ctx.driver.id() == ring {
            ctx.driver.drop_op(key, Orphaned(data));
            return;
        }
    }
    match driver::lookup(ring) {
        Some(driver::Ring::Live(mailbox)) => {
            // See `AssertSend`: on a thread other than the ring's, this op reached it by
            // being `Send`, so `T: Send`; on the ring's thread, the mail stays there.
            let data: Box<dyn Orphan + std::marker::Send> = Box::new(AssertSend(Orphaned(data)));
            // Closed between lookup and post: the ring is gone; ask again.
            if let Err(Mail::Op { data, .. }) = mailbox.post(Mail::Op { key, data }) {
                if driver::is_quiesced(ring) {
                    drop(data);
                } else {
                    data.leak();
                }
            }
        }
        Some(driver::Ring::Leaked) => data.leak(),
        None => drop(data),
    }
}

impl<T: OpCode> Future for Op<T> {
    type Output = T::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T::Output> {
        let this = self.get_mut();
        // The one context lookup of this poll.
        let ctx = context::current();
        let key = match (this.state, ctx.as_deref()) {
            (State::Unsubmitted, None) => {
                return Poll::Ready(this.fail(context::no_runtime()));
            }
            (State::Unsubmitted, Some(ctx)) => {
                // A poll that has completed its share of operations yields first (the epoll
                // driver completes them inline; see `task::coop`).
                if coop::poll_proceed(cx.waker()).is_pending() {
                    return Poll::Pending;
                }
                let driver = &ctx.driver;
                let data = this
                    .data
                    .as_mut()
                    .expect("op data present until completion");
                if let Some((code, name, kernel)) = data.required() {
                    if !driver.can_run(code) {
                        return Poll::Ready(this.fail(support::unsupported(name, kernel)));
                    }
                }
                let entry = data.create_entry_on(driver.id());
                // SAFETY: `T: OpCode` keeps the entry's pointers valid while `data` lives;
                // `data` stays in this future until the completion is taken, or moves into
                // the slot through `release` (our Drop) until the final completion.
                let (key, inline) = unsafe { driver.submit_waiting(entry, cx.waker()) };
                this.state = State::Submitted {
                    ring: driver.id(),
                    key,
                };
                if this.eager {
                    driver.submit_now();
                }
                if !inline {
                    // The slot holds our waker already; no completion before the next enter.
                    return Poll::Pending;
                }
                key
            }
            (State::Submitted { ring, key }, Some(ctx)) => {
                check_ring(&ctx.driver, ring);
                key
            }
            (State::Submitted { .. }, None) => not_entered(),
            (State::Done, _) => panic!("uring-rt: operation polled after it completed"),
        };
        let driver = &ctx.as_deref().expect("checked above").driver;
        match driver.poll_op(key, cx) {
            Poll::Ready(c) => Poll::Ready(this.finish(c)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: OpCode> Drop for Op<T> {
    fn drop(&mut self) {
        if let State::Submitted { ring, key } = self.state {
            if let Some(data) = self.data.take() {
                release(ring, key, data);
            }
        }
    }
}

/// The stream of completions of one multishot operation.
pub(crate) struct MultiOp<T: OpCode> {
    /// `(ring, key)` while an SQE is in the kernel.
    armed: Option<(u64, usize)>,
    data: Option<T>,
}

impl<T: OpCode> fmt::Debug for MultiOp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiOp")
            .field("armed", &self.armed.is_some())
            .finish()
    }
}

impl<T: OpCode> MultiOp<T> {
    /// A multishot op, submitted on first poll to the runtime of the polling thread.
    pub(crate) fn new(data: T) -> MultiOp<T> {
        MultiOp {
            armed: None,
            data: Some(data),
        }
    }

    /// The op's data (to read state between completions).
    pub(crate) fn data_mut(&mut self) -> Option<&mut T> {
        self.data.as_mut()
    }

    /// The next completion. `Ready(None)` once the kernel ended the operation (its final
    /// completion, without `F_MORE`, was returned before); polling again re-arms it with a
    /// fresh SQE.
    ///
    /// # Errors
    ///
    /// `Ready(Some(Err(_)))` when the op could not be armed: no runtime on this thread, or the
    /// ring is faulted. The op stays unarmed; polling again tries again.
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Completion>>> {
        let Some(ctx) = context::current() else {
            if self.armed.is_some() {
                not_entered();
            }
            return Poll::Ready(Some(Err(context::no_runtime())));
        };
        if coop::poll_proceed(cx.waker()).is_pending() {
            return Poll::Pending;
        }
        let driver = &ctx.driver;
        let key = match self.armed {
            Some((ring, key)) => {
                check_ring(driver, ring);
                key
            }
            None => {
                let data = self
                    .data
                    .as_mut()
                    .expect("multishot data lives with the op");
                let entry = data.create_entry_on(driver.id());
                // SAFETY: as in `Op::poll`, until the final completion; `Drop` moves `data`
                // into the slot if we go first.
                let key = unsafe { driver.submit_multi(entry, data.observer()) };
                self.armed = Some((driver.id(), key));
                key
            }
        };
        match driver.poll_multi(key, cx) {
            Poll::Ready(None) => {
                self.armed = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(c)) => Poll::Ready(Some(Ok(c))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: OpCode> Drop for MultiOp<T> {
    fn drop(&mut self) {
        if let (Some((ring, key)), Some(data)) = (self.armed, self.data.take()) {
            release(ring, key, data);
        }
    }
}

/// Converts a completion result to `io::Result<u32>`.
pub(crate) fn cqe_result(c: Completion) -> io::Result<u32> {
    if c.result < 0 {
        Err(io::Error::from_raw_os_error(-c.result))
    } else {
        Ok(c.result as u32)
    }
}
