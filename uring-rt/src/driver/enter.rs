//! `io_uring_enter` through a registered ring fd (`IORING_REGISTER_RING_FDS`, Linux 5.18+).
//!
//! Each `io_uring_enter` on a plain ring fd looks the fd up in the process's file table and
//! takes a reference on the file (and drops it on return). A ring fd registered with
//! `IORING_REGISTER_RING_FDS` sits in the calling thread's io_uring context instead, and
//! `IORING_ENTER_REGISTERED_RING` makes the enter use that index. The io-uring crate forgets
//! the registration with each `Submitter` it hands out, so the driver makes this syscall itself.
//!
//! The registration belongs to the thread that made it: only that thread may enter with the
//! index, and it must be undone ([`RegisteredRing::unregister`]) before the ring is dropped, or
//! the ring's file stays referenced until the thread exits.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// `IORING_REGISTER_RING_FDS` / `IORING_UNREGISTER_RING_FDS` (include/uapi/linux/io_uring.h).
const REGISTER_RING_FDS: libc::c_uint = 20;
const UNREGISTER_RING_FDS: libc::c_uint = 21;
/// `io_uring_enter` flags.
const ENTER_EXT_ARG: libc::c_uint = 1 << 3;
const ENTER_REGISTERED_RING: libc::c_uint = 1 << 4;

/// `struct io_uring_rsrc_update`.
#[repr(C)]
struct RsrcUpdate {
    offset: u32,
    resv: u32,
    data: u64,
}

/// `struct io_uring_getevents_arg`.
#[repr(C)]
struct GeteventsArg {
    sigmask: u64,
    sigmask_sz: u32,
    min_wait_usec: u32,
    ts: u64,
}

/// `struct __kernel_timespec`.
#[repr(C)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// A ring fd registered in this thread's io_uring context: its index there.
#[derive(Debug)]
pub(super) struct RegisteredRing {
    index: u32,
}

impl RegisteredRing {
    /// Registers `ring_fd` for the calling thread.
    ///
    /// # Errors
    ///
    /// The kernel's: `EINVAL` before Linux 5.18, `EBUSY` when the thread's 16 slots are taken.
    pub(super) fn register(ring_fd: RawFd) -> io::Result<RegisteredRing> {
        let mut update = RsrcUpdate {
            // "Any free slot": the kernel writes the slot it chose back here.
            offset: u32::MAX,
            resv: 0,
            data: ring_fd as u64,
        };
        // SAFETY: `update` is a live, writable io_uring_rsrc_update and the count passed is 1;
        // the kernel reads and writes only that struct.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                ring_fd,
                REGISTER_RING_FDS,
                &mut update as *mut RsrcUpdate,
                1 as libc::c_uint,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        if rc != 1 {
            return Err(io::Error::other(
                "IORING_REGISTER_RING_FDS registered nothing",
            ));
        }
        Ok(RegisteredRing {
            index: update.offset,
        })
    }

    /// Undoes the registration (on the thread that made it). `ring_fd` is any open fd of the
    /// ring (the register syscall needs one).
    pub(super) fn unregister(self, ring_fd: RawFd) {
        let update = RsrcUpdate {
            offset: self.index,
            resv: 0,
            data: 0,
        };
        // SAFETY: `update` is a live io_uring_rsrc_update and the count passed is 1; the
        // kernel only reads it. A failure leaves the file referenced until the thread exits,
        // which costs memory, never safety.
        unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                ring_fd,
                UNREGISTER_RING_FDS,
                &update as *const RsrcUpdate,
                1 as libc::c_uint,
            )
        };
    }

    /// One `io_uring_enter` through the registered index, with `flags` (`GETEVENTS`, ...):
    /// submits `to_submit` SQEs and, with `want > 0`, waits for `want` completions, at most
    /// `timeout`. Returns the number of SQEs consumed.
    pub(super) fn enter(
        &self,
        to_submit: u32,
        want: u32,
        flags: u32,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let mut flags = flags | ENTER_REGISTERED_RING;
        let ts;
        let arg;
        let (arg_ptr, arg_size): (*const libc::c_void, usize) = match timeout {
            Some(t) if want > 0 => {
                ts = KernelTimespec {
                    tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
                    tv_nsec: i64::from(t.subsec_nanos()),
                };
                arg = GeteventsArg {
                    sigmask: 0,
                    sigmask_sz: 0,
                    min_wait_usec: 0,
                    ts: &ts as *const KernelTimespec as u64,
                };
                flags |= ENTER_EXT_ARG;
                (
                    (&arg as *const GeteventsArg).cast(),
                    std::mem::size_of::<GeteventsArg>(),
                )
            }
            _ => (std::ptr::null(), 0),
        };
        // SAFETY: with EXT_ARG, `arg_ptr` points at a live io_uring_getevents_arg whose `ts`
        // points at a live timespec, both on this stack frame until the call returns; without
        // it the pointer is null and the size 0. The index was registered by this thread.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_io_uring_enter,
                self.index as libc::c_uint,
                to_submit as libc::c_uint,
                want as libc::c_uint,
                flags,
                arg_ptr,
                arg_size,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(rc as usize)
    }
}
