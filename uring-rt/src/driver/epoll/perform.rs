//! The synchronous form of each emulated opcode: the syscall the kernel would have run for the
//! SQE, called nonblocking on the ring's thread (sockets, pipes, page-cache hits) or blocking
//! on a pool thread (file and path operations).
//!
//! Results mean what a CQE's result means: a count or new fd when `>= 0`, `-errno` otherwise.

use std::io;

use io_uring::opcode;

use super::bufs::BufGroups;
use super::sqe::{Sqe, BUFFER_SELECT};

/// `IORING_CQE_F_BUFFER`: the upper 16 bits of the flags name the buffer used.
const F_BUFFER: u32 = 1;
/// `IORING_CQE_F_MORE`: the multishot operation stays armed.
pub(crate) const F_MORE: u32 = 2;
/// `IORING_CQE_F_NOTIF`: a zero-copy send's notification that the buffer is free again.
pub(crate) const F_NOTIF: u32 = 8;
/// `IORING_ACCEPT_MULTISHOT` (in `ioprio`).
const ACCEPT_MULTISHOT: u16 = 1;
/// `IORING_RECV_MULTISHOT` (in `ioprio`).
const RECV_MULTISHOT: u16 = 2;
/// `IORING_FSYNC_DATASYNC`.
const FSYNC_DATASYNC: u32 = 1;

/// Which readiness an op waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interest {
    Read,
    Write,
}

/// What trying an op on the ring's thread led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// A completion: result and CQE flags (`F_MORE` when a multishot op stays armed).
    Done(i32, u32),
    /// Not ready: try again when the fd is ready for this.
    Wait(Interest),
    /// Would block the thread: run [`blocking`] on the pool.
    Blocking,
}

/// Whether `opcode` is emulated (the epoll driver's probe).
pub(crate) fn emulated(code: u8) -> bool {
    readiness_op(code)
        || blocking_op(code)
        || code == opcode::Nop::CODE
        || code == opcode::Close::CODE
        || code == opcode::AsyncCancel::CODE
}

/// Ops that wait for readiness when they would block.
fn readiness_op(code: u8) -> bool {
    matches!(
        code,
        opcode::Read::CODE
            | opcode::Write::CODE
            | opcode::Readv::CODE
            | opcode::Writev::CODE
            | opcode::ReadFixed::CODE
            | opcode::WriteFixed::CODE
            | opcode::Recv::CODE
            | opcode::Send::CODE
            | opcode::SendZc::CODE
            | opcode::RecvMsg::CODE
            | opcode::SendMsg::CODE
            | opcode::Accept::CODE
            | opcode::Connect::CODE
    )
}

/// Ops that always run on the pool (the per-op fallback of the io_uring driver uses these).
pub(crate) fn blocking_op(code: u8) -> bool {
    matches!(
        code,
        opcode::Fsync::CODE
            | opcode::SyncFileRange::CODE
            | opcode::Fallocate::CODE
            | opcode::OpenAt::CODE
            | opcode::Statx::CODE
            | opcode::RenameAt::CODE
            | opcode::UnlinkAt::CODE
            | opcode::MkDirAt::CODE
            | opcode::SymlinkAt::CODE
            | opcode::LinkAt::CODE
            | opcode::Ftruncate::CODE
    )
}

/// Flags of a receive that reads another queue than the socket's data (out-of-band data, the
/// error queue): its `EAGAIN` says nothing about the data.
const OTHER_QUEUE: u32 = (libc::MSG_OOB | libc::MSG_ERRQUEUE) as u32;

/// Whether `sqe` reads a descriptor's ordinary input, so that its `EAGAIN` means that input
/// is drained until the next readiness event (and a drained descriptor makes it wait).
pub(crate) fn drains(sqe: &Sqe) -> bool {
    let code = sqe.opcode;
    if code == opcode::Recv::CODE || code == opcode::RecvMsg::CODE {
        return sqe.op_flags & OTHER_QUEUE == 0;
    }
    code == opcode::Read::CODE
        || code == opcode::Readv::CODE
        || code == opcode::ReadFixed::CODE
        || code == opcode::Accept::CODE
}

/// Whether a plain `recv` returned fewer than the `res` bytes it asked for (on a TCP socket,
/// proof that it took all that was queued, as `tcp_recvmsg` copies until the queue or the
/// buffer is exhausted; a peek or a receive into a provided buffer does not count).
pub(crate) fn short_recv(sqe: &Sqe, res: i32) -> bool {
    const PLAIN: u32 = (libc::MSG_PEEK | libc::MSG_WAITALL) as u32 | OTHER_QUEUE;
    sqe.opcode == opcode::Recv::CODE
        && sqe.flags & BUFFER_SELECT == 0
        && sqe.op_flags & PLAIN == 0
        && (res as u32) < sqe.len
}

/// Whether `fd` is a TCP socket (asked once, when it joins the epoll set).
pub(crate) fn is_tcp(fd: i32) -> bool {
    let mut proto: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `proto` and `len` are live out-pointers of the sizes given.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PROTOCOL,
            (&mut proto as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    r == 0 && proto == libc::IPPROTO_TCP
}

fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// A syscall's return value as a CQE result.
fn ret(r: isize) -> i32 {
    if r < 0 {
        -errno()
    } else {
        i32::try_from(r).unwrap_or(i32::MAX)
    }
}

/// One iovec for a plain read or write.
fn iovec(sqe: &Sqe) -> libc::iovec {
    libc::iovec {
        iov_base: sqe.addr as *mut libc::c_void,
        iov_len: sqe.len as usize,
    }
}

/// `preadv2`/`pwritev2` at the SQE's offset (`-1`: the file position); on a stream, where an
/// offset means nothing to io_uring, with `-1`.
///
/// # Safety
/// `iov` points to `cnt` iovecs whose memory is valid for the transfer (the op's contract).
unsafe fn rw(write: bool, fd: i32, iov: *const libc::iovec, cnt: i32, off: u64, flags: i32) -> i32 {
    let call = |off: i64| -> i32 {
        // SAFETY: the caller's contract covers `iov`; the rest are plain integers.
        let r = unsafe {
            if write {
                libc::pwritev2(fd, iov, cnt, off, flags)
            } else {
                libc::preadv2(fd, iov, cnt, off, flags)
            }
        };
        ret(r)
    };
    let off = off as i64;
    match call(off) {
        r if r == -libc::ESPIPE && off != -1 => call(-1),
        r => r,
    }
}

/// Whether `fd` is a regular file or block device (where readiness means nothing).
fn is_file(fd: i32) -> bool {
    // SAFETY: `st` is a valid out-pointer; a zeroed `stat` is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return false;
    }
    matches!(st.st_mode & libc::S_IFMT, libc::S_IFREG | libc::S_IFBLK)
}

/// Makes `fd` nonblocking (for `accept4`/`connect`, which have no per-call flag); returns the
/// previous flags, or `-errno`.
pub(crate) fn set_nonblocking(fd: i32) -> Result<i32, i32> {
    // SAFETY: fcntl on an integer fd; no pointers.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if fl < 0 {
        return Err(-errno());
    }
    if fl & libc::O_NONBLOCK == 0 {
        // SAFETY: as above.
        let r = unsafe { libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK) };
        if r < 0 {
            return Err(-errno());
        }
    }
    Ok(fl)
}

/// Restores flags saved by [`set_nonblocking`].
pub(crate) fn restore_flags(fd: i32, fl: i32) {
    if fl & libc::O_NONBLOCK == 0 {
        // SAFETY: fcntl on an integer fd; no pointers.
        unsafe { libc::fcntl(fd, libc::F_SETFL, fl) };
    }
}

/// Tries `sqe` without blocking. `fd` is the resolved descriptor (registered files looked up).
///
/// # Safety
/// Every pointer in `sqe` is valid as the op's contract promises (until its final completion).
pub(crate) unsafe fn attempt(sqe: &Sqe, fd: i32, groups: &mut BufGroups) -> Attempt {
    let dontwait = libc::MSG_DONTWAIT as u32;
    match sqe.opcode {
        c if c == opcode::Nop::CODE => Attempt::Done(0, 0),
        c if c == opcode::Read::CODE
            || c == opcode::Write::CODE
            || c == opcode::ReadFixed::CODE
            || c == opcode::WriteFixed::CODE
            || c == opcode::Readv::CODE
            || c == opcode::Writev::CODE =>
        {
            let write = c == opcode::Write::CODE
                || c == opcode::WriteFixed::CODE
                || c == opcode::Writev::CODE;
            let vectored = c == opcode::Readv::CODE || c == opcode::Writev::CODE;
            let one = iovec(sqe);
            let (iov, cnt) = if vectored {
                (sqe.addr as *const libc::iovec, sqe.len as i32)
            } else {
                (&one as *const libc::iovec, 1)
            };
            let flags = sqe.op_flags as i32 | libc::RWF_NOWAIT;
            // SAFETY: the op's contract keeps the iovecs and their buffers valid.
            match unsafe { rw(write, fd, iov, cnt, sqe.off, flags) } {
                r if r == -libc::EAGAIN => {
                    if is_file(fd) {
                        Attempt::Blocking
                    } else if write {
                        Attempt::Wait(Interest::Write)
                    } else {
                        Attempt::Wait(Interest::Read)
                    }
                }
                // No RWF_NOWAIT for this file (a FIFO, a terminal, some file systems).
                r if r == -libc::EOPNOTSUPP => {
                    if is_file(fd) {
                        return Attempt::Blocking;
                    }
                    // A stream: make it nonblocking (as for a listener) and wait for it.
                    if let Err(e) = set_nonblocking(fd) {
                        return Attempt::Done(e, 0);
                    }
                    let flags = sqe.op_flags as i32;
                    // SAFETY: as above.
                    match unsafe { rw(write, fd, iov, cnt, sqe.off, flags) } {
                        r if r == -libc::EAGAIN && write => Attempt::Wait(Interest::Write),
                        r if r == -libc::EAGAIN => Attempt::Wait(Interest::Read),
                        r => Attempt::Done(r, 0),
                    }
                }
                r => Attempt::Done(r, 0),
            }
        }
        c if c == opcode::Recv::CODE => {
            let multishot = sqe.ioprio & RECV_MULTISHOT != 0;
            let (addr, len, bid) = if sqe.flags & BUFFER_SELECT != 0 {
                match groups.peek(sqe.buf) {
                    Some((addr, len, bid)) => {
                        let len = if sqe.len == 0 { len } else { len.min(sqe.len) };
                        (addr, len, Some(bid))
                    }
                    None => return Attempt::Done(-libc::ENOBUFS, 0),
                }
            } else {
                (sqe.addr, sqe.len, None)
            };
            // SAFETY: `addr..addr+len` is the op's buffer, or a provided buffer the
            // application handed to the ring (owned by the ring until a CQE names it).
            let r = ret(unsafe {
                libc::recv(
                    fd,
                    addr as *mut libc::c_void,
                    len as usize,
                    (sqe.op_flags | dontwait) as i32,
                )
            });
            match (r, bid) {
                (r, _) if r == -libc::EAGAIN => Attempt::Wait(Interest::Read),
                (r, Some(bid)) if r > 0 => {
                    groups.consume(sqe.buf);
                    let more = if multishot { F_MORE } else { 0 };
                    Attempt::Done(r, F_BUFFER | more | (u32::from(bid) << 16))
                }
                (r, _) => Attempt::Done(r, 0),
            }
        }
        c if c == opcode::Send::CODE || c == opcode::SendZc::CODE => {
            let r = if sqe.off != 0 {
                // SAFETY: buffer and destination address are kept alive by the op.
                unsafe {
                    libc::sendto(
                        fd,
                        sqe.addr as *const libc::c_void,
                        sqe.len as usize,
                        (sqe.op_flags | dontwait) as i32,
                        sqe.off as *const libc::sockaddr,
                        (sqe.file_index & 0xffff) as libc::socklen_t,
                    )
                }
            } else {
                // SAFETY: the buffer is kept alive by the op.
                unsafe {
                    libc::send(
                        fd,
                        sqe.addr as *const libc::c_void,
                        sqe.len as usize,
                        (sqe.op_flags | dontwait) as i32,
                    )
                }
            };
            would_block(ret(r), Interest::Write)
        }
        c if c == opcode::RecvMsg::CODE => {
            // SAFETY: the msghdr and everything it points to are kept alive by the op.
            let r = unsafe {
                libc::recvmsg(
                    fd,
                    sqe.addr as *mut libc::msghdr,
                    (sqe.op_flags | dontwait) as i32,
                )
            };
            would_block(ret(r), Interest::Read)
        }
        c if c == opcode::SendMsg::CODE => {
            // SAFETY: as for RecvMsg.
            let r = unsafe {
                libc::sendmsg(
                    fd,
                    sqe.addr as *const libc::msghdr,
                    (sqe.op_flags | dontwait) as i32,
                )
            };
            would_block(ret(r), Interest::Write)
        }
        c if c == opcode::Accept::CODE => {
            let fl = match set_nonblocking(fd) {
                Ok(fl) => fl,
                Err(e) => return Attempt::Done(e, 0),
            };
            // SAFETY: `addr` and `addr2` (the length) are null or kept alive by the op.
            let r = unsafe {
                libc::accept4(
                    fd,
                    sqe.addr as *mut libc::sockaddr,
                    sqe.off as *mut libc::socklen_t,
                    sqe.op_flags as i32,
                )
            };
            let _ = fl; // the listener stays nonblocking: every later accept needs it too.
            let r = ret(r as isize);
            let more = if sqe.ioprio & ACCEPT_MULTISHOT != 0 && r >= 0 {
                F_MORE
            } else {
                0
            };
            match would_block(r, Interest::Read) {
                Attempt::Done(r, _) => Attempt::Done(r, more),
                wait => wait,
            }
        }
        c if c == opcode::Connect::CODE => {
            // SAFETY: the address is kept alive by the op; `off` is its length.
            let r = unsafe {
                libc::connect(
                    fd,
                    sqe.addr as *const libc::sockaddr,
                    sqe.off as libc::socklen_t,
                )
            };
            match ret(r as isize) {
                r if r == -libc::EINPROGRESS || r == -libc::EALREADY || r == -libc::EAGAIN => {
                    Attempt::Wait(Interest::Write)
                }
                // A retry after the connection completed.
                r if r == -libc::EISCONN => Attempt::Done(0, 0),
                r => Attempt::Done(r, 0),
            }
        }
        c if blocking_op(c) => Attempt::Blocking,
        _ => Attempt::Done(-libc::EINVAL, 0),
    }
}

fn would_block(r: i32, interest: Interest) -> Attempt {
    if r == -libc::EAGAIN {
        Attempt::Wait(interest)
    } else {
        Attempt::Done(r, 0)
    }
}

/// Runs `sqe` to completion, blocking the calling (pool) thread.
///
/// # Safety
/// As [`attempt`]; the op's data stays alive until the result is posted.
pub(crate) unsafe fn blocking(sqe: &Sqe, fd: i32) -> i32 {
    let path = |a: u64| a as *const libc::c_char;
    // SAFETY: for every call below, the paths, buffers and out-pointers in the SQE are owned
    // by the op (or its slot, after a drop) until the result is posted.
    unsafe {
        match sqe.opcode {
            c if c == opcode::Read::CODE || c == opcode::ReadFixed::CODE => {
                let one = iovec(sqe);
                rw(false, fd, &one, 1, sqe.off, sqe.op_flags as i32)
            }
            c if c == opcode::Write::CODE || c == opcode::WriteFixed::CODE => {
                let one = iovec(sqe);
                rw(true, fd, &one, 1, sqe.off, sqe.op_flags as i32)
            }
            c if c == opcode::Readv::CODE => rw(
                false,
                fd,
                sqe.addr as *const libc::iovec,
                sqe.len as i32,
                sqe.off,
                sqe.op_flags as i32,
            ),
            c if c == opcode::Writev::CODE => rw(
                true,
                fd,
                sqe.addr as *const libc::iovec,
                sqe.len as i32,
                sqe.off,
                sqe.op_flags as i32,
            ),
            c if c == opcode::Fsync::CODE => {
                if sqe.op_flags & FSYNC_DATASYNC != 0 {
                    ret(libc::fdatasync(fd) as isize)
                } else {
                    ret(libc::fsync(fd) as isize)
                }
            }
            c if c == opcode::SyncFileRange::CODE => {
                ret(
                    libc::sync_file_range(fd, sqe.off as i64, i64::from(sqe.len), sqe.op_flags)
                        as isize,
                )
            }
            c if c == opcode::Fallocate::CODE => {
                ret(libc::fallocate(fd, sqe.len as i32, sqe.off as i64, sqe.addr as i64) as isize)
            }
            c if c == opcode::Ftruncate::CODE => ret(libc::ftruncate(fd, sqe.off as i64) as isize),
            c if c == opcode::OpenAt::CODE => {
                let flags = sqe.op_flags as i32 | libc::O_LARGEFILE;
                ret(libc::openat(sqe.fd, path(sqe.addr), flags, sqe.len as libc::c_uint) as isize)
            }
            c if c == opcode::Statx::CODE => ret(libc::syscall(
                libc::SYS_statx,
                sqe.fd,
                path(sqe.addr),
                sqe.op_flags as i32,
                sqe.len,
                sqe.off as *mut libc::c_void,
            ) as isize),
            c if c == opcode::RenameAt::CODE => ret(libc::syscall(
                libc::SYS_renameat2,
                sqe.fd,
                path(sqe.addr),
                sqe.len as i32,
                path(sqe.off),
                sqe.op_flags,
            ) as isize),
            c if c == opcode::UnlinkAt::CODE => {
                ret(libc::unlinkat(sqe.fd, path(sqe.addr), sqe.op_flags as i32) as isize)
            }
            c if c == opcode::MkDirAt::CODE => {
                ret(libc::mkdirat(sqe.fd, path(sqe.addr), sqe.len as libc::mode_t) as isize)
            }
            c if c == opcode::SymlinkAt::CODE => {
                ret(libc::symlinkat(path(sqe.addr), sqe.fd, path(sqe.off)) as isize)
            }
            c if c == opcode::LinkAt::CODE => ret(libc::linkat(
                sqe.fd,
                path(sqe.addr),
                sqe.len as i32,
                path(sqe.off),
                sqe.op_flags as i32,
            ) as isize),
            _ => -libc::EINVAL,
        }
    }
}
