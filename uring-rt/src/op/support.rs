//! Whether this thread's ring supports an opcode, as an `io::Result` ops can `?`.

use std::io;

use crate::runtime::context;

/// `Ok` when the current ring runs `code`: its probe lists it, or the driver runs the op's
/// system call on its blocking pool instead.
///
/// # Errors
/// `ErrorKind::Unsupported` naming the opcode and the kernel it needs; `ErrorKind::Other`
/// when no runtime is entered on this thread.
pub(crate) fn require(code: u8, name: &str, kernel: &str) -> io::Result<()> {
    if context::driver()?.can_run(code) {
        Ok(())
    } else {
        Err(unsupported(name, kernel))
    }
}

/// The error of an opcode the kernel lacks.
pub(crate) fn unsupported(name: &str, kernel: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{name} is not supported by this kernel (needs Linux {kernel} or newer)"),
    )
}

/// Whether the current ring runs `code`, in the kernel or on its blocking pool (false
/// outside a runtime).
pub(crate) fn has(code: u8) -> bool {
    context::driver().is_ok_and(|d| d.can_run(code))
}

/// `Ok` when a runtime is entered on this thread.
///
/// # Errors
/// `ErrorKind::Other` with a message saying where to call from.
pub(crate) fn in_runtime() -> io::Result<()> {
    if context::is_entered() {
        Ok(())
    } else {
        Err(context::no_runtime())
    }
}
