//! `AsRawFd`, `AsFd`, `IntoRawFd` and `FromRawFd` for every socket type (the macro each
//! type's module invokes, as the fd is a private field), so `socket2::SockRef` and other
//! fd-based APIs reach them.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use crate::op::{FdExt, SharedFd};

/// The fd of a socket given up by `into_raw_fd`: the fd itself when no operation holds it,
/// else a duplicate (operations whose futures were dropped may still use the original until
/// the kernel completes them; it is closed after them, as when the socket is dropped).
///
/// # Panics
///
/// When the duplicate cannot be made (the process is out of descriptors).
pub(crate) fn into_owned<X: FdExt>(fd: SharedFd<X>) -> OwnedFd {
    try_into_owned(fd).unwrap_or_else(|e| panic!("into_raw_fd: {e}"))
}

/// The socket of `fd` for a std type's `From<OwnedFd>`: alone in its owner's hands (see
/// [`try_into_owned`]) and in non-blocking mode, as tokio's `into_std` hands it over.
pub(crate) fn into_std_socket<X: FdExt, T: From<OwnedFd>>(fd: SharedFd<X>) -> std::io::Result<T> {
    let fd = try_into_owned(fd)?;
    socket2::SockRef::from(&fd).set_nonblocking(true)?;
    Ok(fd.into())
}

/// As [`into_owned`], with the duplicate's failure (`EMFILE`) as an error.
pub(crate) fn try_into_owned<X: FdExt>(fd: SharedFd<X>) -> std::io::Result<OwnedFd> {
    let keep = match fd.take_or_keep() {
        Ok(Some(owned)) => return Ok(owned),
        Ok(None) => {
            return Err(std::io::Error::other(
                "the socket's fd was already given up",
            ))
        }
        // Others (ops whose futures were dropped) still hold the fd: `keep` keeps it open
        // while it is duplicated.
        Err(keep) => keep,
    };
    let raw = keep.as_fd().as_raw_fd();
    // SAFETY: `raw` is open while `keep` lives; F_DUPFD_CLOEXEC makes a new fd we own alone.
    #[allow(unsafe_code)]
    let dup = unsafe { libc::fcntl(raw, libc::F_DUPFD_CLOEXEC, 0) };
    let err = std::io::Error::last_os_error();
    drop(keep);
    if dup < 0 {
        return Err(err);
    }
    // SAFETY: `dup` is a fresh descriptor that nothing else owns.
    #[allow(unsafe_code)]
    Ok(unsafe { OwnedFd::from_raw_fd(dup) })
}

/// Implements the four fd traits for `$t`, whose `SharedFd` is the field path `$field`
/// (`core.fd`) and which `$make` (a fn of `OwnedFd`) builds.
macro_rules! fd_traits {
    ($t:ty, $($field:ident).+, $make:expr) => {
        impl std::os::fd::AsRawFd for $t {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&std::os::fd::AsFd::as_fd(&self.$($field).+))
            }
        }

        impl std::os::fd::AsFd for $t {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.$($field).+)
            }
        }

        /// The socket's fd, now yours to close: the fd itself when no operation holds it,
        /// else a duplicate (an operation whose future was dropped may still use the
        /// original, which is closed after it). Bytes a dropped read left with the socket
        /// are not carried over. Panics only when the process is out of descriptors.
        impl std::os::fd::IntoRawFd for $t {
            fn into_raw_fd(self) -> std::os::fd::RawFd {
                let fd = self.$($field).+;
                std::os::fd::IntoRawFd::into_raw_fd($crate::net::fd_traits::into_owned(fd))
            }
        }

        /// Takes ownership of `fd`, which must be an open socket of this type's kind.
        impl std::os::fd::FromRawFd for $t {
            #[allow(unsafe_code)]
            unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> Self {
                // SAFETY: the caller hands over an open fd it owns (FromRawFd's contract).
                let owned = unsafe {
                    <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd)
                };
                let make: fn(std::os::fd::OwnedFd) -> $t = $make;
                make(owned)
            }
        }
    };
}
pub(crate) use fd_traits;
