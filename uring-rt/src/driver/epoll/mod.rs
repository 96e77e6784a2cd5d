//! The readiness backend: a ring emulated with `epoll` and a thread pool, for hosts where
//! io_uring cannot be set up (seccomp profiles, `kernel.io_uring_disabled`, gVisor).
//!
//! It takes the very SQEs the op layer builds for the kernel and gives back CQEs with the
//! kernel's meaning, so everything above the driver (the slab, cancellation, the ownership
//! rule that an op's data lives until its final completion) is shared with io_uring.
//!
//! # Implementation
//!
//! - Submission runs each SQE as it is pushed, on the ring's thread, without blocking (the
//!   emulated ring consumes its SQ at once, so there is never an SQE left for `enter`):
//!   `recv`/`send`/`recvmsg`/`sendmsg` with `MSG_DONTWAIT`, `read`/`write` with
//!   `preadv2(RWF_NOWAIT)`, `accept4` and `connect` on a descriptor switched to nonblocking.
//!   Its completion waits in `cq` until the driver reaps it, which the driver does right
//!   after the push, so an op that does not block completes within the poll that submitted
//!   it (as a readiness runtime's `poll_read` does), and `enter` only collects readiness.
//! - An op that would block on a socket, pipe or eventfd waits in its descriptor's queue; the
//!   descriptor is registered once, edge-triggered, in the epoll set, and a readiness event
//!   retries the queue's ops in order. A dropped op's cancel removes it from the queue before
//!   any syscall consumed data for it.
//! - A registered descriptor remembers when its input was drained (a read's `EAGAIN`, or a
//!   TCP `recv` that returned less than it asked for, as tokio's `poll_read` assumes too);
//!   until its next readiness event a new read joins the queue without a syscall that would
//!   only fail with `EAGAIN`. Edge-triggered epoll queues an event for every arrival after
//!   that read, so nothing that arrives is missed. (A TCP read stops short before an urgent
//!   byte, `MSG_OOB`, with data behind it: that data waits for the next arrival or the FIN.)
//! - An op that would block on a regular file (a page-cache miss, `fsync`, `openat`, `statx`,
//!   ...) runs on a pool thread; its result is posted back and the ring's thread is woken
//!   through an eventfd in the epoll set. Its data stays in the op (or its driver slot) until
//!   that result is reaped, as with a kernel completion; a cancel answers `EALREADY`.
//! - Multishot accept and receive are loops of single calls; provided-buffer rings are read
//!   from the application's ring memory as the kernel would ([`bufs`]); registered files are a
//!   table of duplicated descriptors; registered buffers need nothing.
//! - `SEND_ZC` is a plain send followed at once by its notification. Not emulated (the
//!   probe says so, and the layer above falls back to `socket(2)`): `SOCKET`.
//!
//! Invariants: a pushed op is in exactly one of a descriptor queue (and `waiting`),
//! `in_pool`, or has its final CQE in `cq`; ops on one descriptor and direction run in the
//! order they were pushed; only the ring's thread touches the `Ring`.

mod bufs;
mod cancel;
mod closed;
mod perform;
mod pool;
mod register;
mod sqe;

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use io_uring::{opcode, squeue};

pub(crate) use closed::closing;
pub(crate) use perform::blocking_op;
use perform::{Attempt, Interest, F_MORE, F_NOTIF};
pub(crate) use pool::Pool;
use rustc_hash::{FxHashMap, FxHashSet};
pub(crate) use sqe::{Sqe, FIXED_FILE};

use super::lifecycle::Completion;

/// Event token of the pool's eventfd (descriptors use their own number).
const POOL_TOKEN: u64 = u64::MAX;
/// `IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY`.
const CANCEL_ANY: u32 = 4;

/// An op waiting for readiness.
#[derive(Debug)]
struct Waiter {
    sqe: Sqe,
    /// The descriptor's flags before `connect` made it nonblocking (restored when done).
    saved_flags: Option<i32>,
}

/// The ops waiting on one descriptor, and what the ring knows of its read readiness.
#[derive(Debug)]
struct Queues {
    read: VecDeque<Waiter>,
    write: VecDeque<Waiter>,
    /// False once a read found the input drained (see [`perform::drains`]); true again at the
    /// descriptor's next readiness event. While false, a new read waits for that event
    /// instead of trying a syscall that would fail with `EAGAIN`. Edge-triggered epoll makes
    /// this exact: every arrival after the read that drained the input queues an event.
    read_ready: bool,
    /// The input was shut down or failed (`EPOLLRDHUP`, `EPOLLHUP`, `EPOLLERR` seen): reads
    /// return at once from now on (0 or an error) and no event will come to retry them, so
    /// the input is never taken as drained again. A short read of the last bytes before a
    /// FIN must not make the read that would see the FIN wait.
    hup: bool,
    /// A TCP socket: a short `recv` means its input was drained.
    tcp: bool,
}

impl Queues {
    /// Whether a read would only find `EAGAIN` until the next readiness event.
    fn drained(&self) -> bool {
        !self.read_ready && !self.hup
    }

    fn new(tcp: bool) -> Queues {
        Queues {
            read: VecDeque::new(),
            write: VecDeque::new(),
            read_ready: true,
            hup: false,
            tcp,
        }
    }
}

/// The emulated ring of one driver.
#[derive(Debug)]
pub(crate) struct Ring {
    epfd: OwnedFd,
    pool_efd: Arc<OwnedFd>,
    pool: Pool,
    cq: VecDeque<(u64, Completion)>,
    /// Descriptors in the epoll set and their waiting ops.
    fds: FxHashMap<RawFd, Queues>,
    /// `user_data` of each waiting op -> its descriptor.
    waiting: FxHashMap<u64, RawFd>,
    /// `user_data` of ops on the pool.
    in_pool: FxHashSet<u64>,
    /// Registered files: duplicated descriptors, `-1` for an empty slot.
    files: Vec<RawFd>,
    buffers_registered: bool,
    groups: bufs::BufGroups,
    events: Vec<libc::epoll_event>,
    done: Vec<pool::Done>,
    /// Descriptors closed elsewhere (see [`closed`]).
    closed: Arc<closed::Closed>,
    closed_fds: Vec<RawFd>,
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Writes 1 to an eventfd (a full counter still leaves it readable, which is all we need).
fn signal(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live u64.
    unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
}

impl Ring {
    /// An emulated ring.
    ///
    /// # Errors
    /// When `epoll_create1` or `eventfd` fail (out of descriptors or memory).
    pub(crate) fn new() -> io::Result<Ring> {
        // SAFETY: plain syscalls; the returned fds are checked, then owned.
        let epfd = unsafe { OwnedFd::from_raw_fd(cvt(libc::epoll_create1(libc::EPOLL_CLOEXEC))?) };
        // SAFETY: as above.
        let efd = unsafe {
            OwnedFd::from_raw_fd(cvt(libc::eventfd(
                0,
                libc::EFD_CLOEXEC | libc::EFD_NONBLOCK,
            ))?)
        };
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: POOL_TOKEN,
        };
        // SAFETY: both fds are ours; `ev` is a valid event.
        cvt(unsafe {
            libc::epoll_ctl(
                epfd.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                efd.as_raw_fd(),
                &mut ev,
            )
        })?;
        let pool_efd = Arc::new(efd);
        let notify = pool_efd.clone();
        Ok(Ring {
            epfd,
            pool_efd,
            pool: Pool::new(Box::new(move || signal(notify.as_raw_fd()))),
            cq: VecDeque::new(),
            fds: FxHashMap::default(),
            waiting: FxHashMap::default(),
            in_pool: FxHashSet::default(),
            files: Vec::new(),
            buffers_registered: false,
            groups: bufs::BufGroups::default(),
            events: Vec::with_capacity(256),
            done: Vec::new(),
            closed: closed::Closed::register(),
            closed_fds: Vec::new(),
        })
    }

    /// Whether the emulation runs `code`.
    pub(crate) fn is_supported(code: u8) -> bool {
        perform::emulated(code)
    }

    /// Consumes an SQE (never full): runs it now, or queues it on its descriptor or the pool.
    ///
    /// # Safety
    /// Every pointer in `entry` stays valid until its final completion is reaped.
    pub(crate) unsafe fn push(&mut self, entry: &squeue::Entry) {
        self.forget_closed();
        self.submit_one(Sqe::decode(entry));
    }

    /// Whether completions wait to be reaped.
    pub(crate) fn has_completions(&self) -> bool {
        !self.cq.is_empty()
    }

    /// Forgets the descriptors closed elsewhere since the last look (before anything runs
    /// that could name a reused number).
    fn forget_closed(&mut self) {
        self.closed.take(&mut self.closed_fds);
        while let Some(fd) = self.closed_fds.pop() {
            self.forget(fd);
        }
    }

    /// Whether ops wait for events only an `enter` collects.
    pub(crate) fn has_pending(&self) -> bool {
        !self.waiting.is_empty() || !self.in_pool.is_empty()
    }

    /// Collects readiness and pool results, waiting up to `timeout` (`None`: no limit) when
    /// `want > 0` and no completion is ready. Returns the number of SQEs consumed: none, as
    /// [`Ring::push`] consumed them.
    ///
    /// # Errors
    /// `epoll_wait`'s error (`EINTR` is absorbed by the caller as for `io_uring_enter`).
    pub(crate) fn enter(&mut self, want: usize, timeout: Option<Duration>) -> io::Result<usize> {
        self.forget_closed();
        let block = want > 0 && self.cq.len() < want;
        if !block && !self.has_pending() {
            return Ok(0);
        }
        let ms = match timeout {
            _ if !block => 0,
            None => -1,
            Some(t) => i32::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX),
        };
        self.events.clear();
        // SAFETY: `events` has room for `capacity` entries; the kernel fills `n` of them.
        let n = unsafe {
            libc::epoll_wait(
                self.epfd.as_raw_fd(),
                self.events.as_mut_ptr(),
                self.events.capacity() as i32,
                ms,
            )
        };
        let n = cvt(n)? as usize;
        // SAFETY: the kernel initialised the first `n` entries.
        unsafe { self.events.set_len(n) };
        for i in 0..n {
            let ev = self.events[i];
            let (token, bits) = (ev.u64, ev.events);
            if token == POOL_TOKEN {
                self.reap_pool();
                continue;
            }
            let fd = token as RawFd;
            let err = (libc::EPOLLHUP | libc::EPOLLERR) as u32;
            let Some(q) = self.fds.get_mut(&fd) else {
                continue;
            };
            let readable = bits & (libc::EPOLLIN as u32 | libc::EPOLLRDHUP as u32 | err) != 0;
            let writable = bits & (libc::EPOLLOUT as u32 | err) != 0;
            q.read_ready |= readable;
            q.hup |= bits & (libc::EPOLLRDHUP as u32 | err) != 0;
            let (read, write) = (
                readable && !q.read.is_empty(),
                writable && !q.write.is_empty(),
            );
            if read {
                self.drive(fd, Interest::Read);
            }
            if write {
                self.drive(fd, Interest::Write);
            }
        }
        Ok(0)
    }

    /// Hands every completion to `f`, oldest first.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(u64, Completion)) {
        while let Some((user_data, c)) = self.cq.pop_front() {
            f(user_data, c);
        }
    }

    fn post(&mut self, user_data: u64, result: i32, flags: u32) {
        self.cq.push_back((user_data, Completion { result, flags }));
    }

    fn reap_pool(&mut self) {
        let mut buf = 0u64;
        // SAFETY: reads 8 bytes into a live u64 (resets the nonblocking eventfd).
        unsafe { libc::read(self.pool_efd.as_raw_fd(), (&mut buf as *mut u64).cast(), 8) };
        let mut done = std::mem::take(&mut self.done);
        self.pool.take_done(&mut done);
        for (user_data, res) in done.drain(..) {
            self.in_pool.remove(&user_data);
            self.post(user_data, res, 0);
        }
        self.done = done;
    }

    /// The descriptor an SQE names: its own, or a registered file's.
    fn resolve(&self, sqe: &Sqe) -> Option<RawFd> {
        if sqe.flags & sqe::FIXED_FILE == 0 {
            return Some(sqe.fd);
        }
        let fd = *self.files.get(usize::try_from(sqe.fd).ok()?)?;
        (fd >= 0).then_some(fd)
    }

    fn submit_one(&mut self, sqe: Sqe) {
        let code = sqe.opcode;
        if code == opcode::AsyncCancel::CODE {
            self.cancel(&sqe);
            return;
        }
        if code == opcode::Close::CODE {
            let res = self.close(&sqe);
            self.post(sqe.user_data, res, 0);
            return;
        }
        let Some(fd) = self.resolve(&sqe) else {
            self.post(sqe.user_data, -libc::EBADF, 0);
            return;
        };
        let interest = match code {
            opcode::Write::CODE
            | opcode::Writev::CODE
            | opcode::WriteFixed::CODE
            | opcode::Send::CODE
            | opcode::SendZc::CODE
            | opcode::SendMsg::CODE
            | opcode::Connect::CODE => Interest::Write,
            _ => Interest::Read,
        };
        // Ops already wait on this descriptor in this direction: keep the order. A read of
        // a descriptor known to be drained waits for its next event without a syscall.
        if let Some(q) = self.fds.get_mut(&fd) {
            let drained = q.drained() && perform::drains(&sqe);
            let queue = match interest {
                Interest::Read => &mut q.read,
                Interest::Write => &mut q.write,
            };
            if (!queue.is_empty() || drained) && !perform::blocking_op(code) {
                queue.push_back(Waiter {
                    sqe,
                    saved_flags: None,
                });
                self.waiting.insert(sqe.user_data, fd);
                return;
            }
        }
        let mut saved_flags = None;
        if code == opcode::Connect::CODE {
            match perform::set_nonblocking(fd) {
                Ok(fl) => saved_flags = Some(fl),
                Err(e) => {
                    self.post(sqe.user_data, e, 0);
                    return;
                }
            }
        }
        let mut waiter = Waiter { sqe, saved_flags };
        if let Some(interest) = self.run(fd, &mut waiter) {
            self.wait(fd, interest, waiter);
        }
    }

    /// Tries `w` until it is done (`None`) or would block (`Some(interest)`).
    fn run(&mut self, fd: RawFd, w: &mut Waiter) -> Option<Interest> {
        loop {
            // SAFETY: the SQE's pointers are valid until its final completion (the contract of
            // `push`), and it has none yet.
            match unsafe { perform::attempt(&w.sqe, fd, &mut self.groups) } {
                Attempt::Wait(interest) => return Some(interest),
                Attempt::Blocking => {
                    self.in_pool.insert(w.sqe.user_data);
                    // SAFETY: as above; the result comes back through `reap_pool`.
                    unsafe { self.pool.submit(w.sqe, fd) };
                    return None;
                }
                // A zero-copy send copied like a plain one: the buffer is free at once, so
                // the notification follows the result.
                Attempt::Done(res, _) if w.sqe.opcode == opcode::SendZc::CODE && res >= 0 => {
                    self.post(w.sqe.user_data, res, F_MORE);
                    self.post(w.sqe.user_data, 0, F_NOTIF);
                    return None;
                }
                Attempt::Done(res, flags) => {
                    if res > 0 && perform::short_recv(&w.sqe, res) {
                        if let Some(q) = self.fds.get_mut(&fd).filter(|q| q.tcp) {
                            // A TCP receive that returned less than asked for emptied the
                            // socket's queue: the next one waits for new data's event.
                            q.read_ready = false;
                        }
                    }
                    self.post(w.sqe.user_data, res, flags);
                    if flags & F_MORE == 0 {
                        if let Some(fl) = w.saved_flags.take() {
                            perform::restore_flags(fd, fl);
                        }
                        return None;
                    }
                }
            }
        }
    }

    fn wait(&mut self, fd: RawFd, interest: Interest, waiter: Waiter) {
        if !self.fds.contains_key(&fd) {
            let mut ev = libc::epoll_event {
                events: (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32,
                u64: fd as u64,
            };
            // SAFETY: `ev` is a valid event; `fd` is the op's descriptor.
            let mut r =
                unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) };
            if r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EEXIST) {
                // SAFETY: as above.
                r = unsafe {
                    libc::epoll_ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_MOD, fd, &mut ev)
                };
            }
            if r < 0 {
                let e = io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EIO);
                self.finish(fd, waiter, -e);
                return;
            }
            self.fds.insert(fd, Queues::new(perform::is_tcp(fd)));
        }
        self.waiting.insert(waiter.sqe.user_data, fd);
        if let Some(q) = self.fds.get_mut(&fd) {
            match interest {
                Interest::Read => {
                    if perform::drains(&waiter.sqe) {
                        q.read_ready = false;
                    }
                    q.read.push_back(waiter);
                }
                Interest::Write => q.write.push_back(waiter),
            }
        }
    }

    /// Posts `w`'s final completion (restoring what `connect` changed).
    fn finish(&mut self, fd: RawFd, mut w: Waiter, res: i32) {
        if let Some(fl) = w.saved_flags.take() {
            perform::restore_flags(fd, fl);
        }
        self.waiting.remove(&w.sqe.user_data);
        self.post(w.sqe.user_data, res, 0);
    }

    /// Retries the ops waiting on `fd` for `interest`, in order, until one would block.
    fn drive(&mut self, fd: RawFd, interest: Interest) {
        loop {
            let Some(q) = self.fds.get_mut(&fd) else {
                return;
            };
            let queue = match interest {
                Interest::Read => &mut q.read,
                Interest::Write => &mut q.write,
            };
            let Some(mut w) = queue.pop_front() else {
                return;
            };
            match self.run(fd, &mut w) {
                Some(again) => {
                    // Not ready after all (or ready the other way): back to its place.
                    if let Some(q) = self.fds.get_mut(&fd) {
                        match again {
                            Interest::Read => {
                                if perform::drains(&w.sqe) {
                                    q.read_ready = false;
                                }
                                q.read.push_front(w);
                            }
                            Interest::Write => q.write.push_front(w),
                        }
                    }
                    if again == interest {
                        return;
                    }
                }
                None => {
                    self.waiting.remove(&w.sqe.user_data);
                }
            }
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        for &fd in &self.files {
            if fd >= 0 {
                // SAFETY: the table owns its duplicates.
                unsafe { libc::close(fd) };
            }
        }
    }
}
