//! [`UCred`]: the credentials of a Unix socket's peer (`SO_PEERCRED`).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The process credentials of a Unix stream's peer, as the kernel recorded them when the
/// connection (or the pair) was made. As tokio's `UCred`.
///
/// # Examples
///
/// ```
/// let (a, _b) = uring_rt::net::UnixStream::pair().unwrap();
/// let cred = a.peer_cred().unwrap();
/// assert_eq!(cred.pid(), Some(std::process::id() as i32));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: Option<libc::pid_t>,
    uid: libc::uid_t,
    gid: libc::gid_t,
}

impl UCred {
    /// The peer's effective user id.
    ///
    /// # Examples
    ///
    /// See [`UCred`].
    pub fn uid(&self) -> libc::uid_t {
        self.uid
    }

    /// The peer's effective group id.
    ///
    /// # Examples
    ///
    /// See [`UCred`].
    pub fn gid(&self) -> libc::gid_t {
        self.gid
    }

    /// The peer's process id (`None` when the kernel did not record one).
    ///
    /// # Examples
    ///
    /// See [`UCred`].
    pub fn pid(&self) -> Option<libc::pid_t> {
        self.pid
    }
}

/// `SO_PEERCRED` of the socket `fd`.
pub(crate) fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<UCred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are live out-pointers, `len` holding `cred`'s size; `fd` is
    // open while borrowed.
    #[allow(unsafe_code)]
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred {
        pid: (cred.pid != 0).then_some(cred.pid),
        uid: cred.uid,
        gid: cred.gid,
    })
}
