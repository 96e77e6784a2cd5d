//! The alignment rules of `O_DIRECT` and the checks that turn a would-be `EINVAL` into a
//! clear `InvalidInput`.

use std::io;

use crate::op::{FileFd, Statx};

/// What `O_DIRECT` I/O on one file requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DioAlign {
    /// Buffer addresses must be multiples of this.
    pub(crate) mem: usize,
    /// File offsets and lengths must be multiples of this.
    pub(crate) offset: usize,
}

/// Used when the kernel reports nothing: safe for every common device.
pub(crate) const DEFAULT_ALIGN: usize = 4096;

impl DioAlign {
    /// Queries `fd`: `statx`'s `STATX_DIOALIGN` (Linux 6.1+), else the block device's logical
    /// block size (`BLKSSZGET`), else 4096 for both.
    pub(crate) async fn query(fd: &FileFd) -> io::Result<DioAlign> {
        let stx = Statx::fd(fd)?.await?;
        if stx.stx_mask & libc::STATX_DIOALIGN != 0 && stx.stx_dio_offset_align != 0 {
            return Ok(DioAlign {
                mem: stx.stx_dio_mem_align.max(1) as usize,
                offset: stx.stx_dio_offset_align as usize,
            });
        }
        if u32::from(stx.stx_mode) & libc::S_IFMT == libc::S_IFBLK {
            if let Some(size) = fd.block_size() {
                return Ok(DioAlign {
                    mem: size as usize,
                    offset: size as usize,
                });
            }
        }
        Ok(DioAlign {
            mem: DEFAULT_ALIGN,
            offset: DEFAULT_ALIGN,
        })
    }

    /// `Ok` when a transfer of `len` bytes at address `addr` and file offset `pos` is
    /// aligned as `O_DIRECT` needs.
    pub(crate) fn check(&self, addr: usize, len: usize, pos: u64) -> io::Result<()> {
        if addr % self.mem == 0 && len % self.offset == 0 && pos % self.offset as u64 == 0 {
            Ok(())
        } else {
            Err(self.error(&format!(
                "got buffer address {addr:#x}, length {len}, file offset {pos}"
            )))
        }
    }

    /// Turns the kernel's `EINVAL` on this `O_DIRECT` file into an explained `InvalidInput`.
    pub(crate) fn explain(&self, e: io::Error) -> io::Error {
        if e.raw_os_error() == Some(libc::EINVAL) {
            self.error("the kernel refused the transfer (EINVAL)")
        } else {
            e
        }
    }

    fn error(&self, detail: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "misaligned O_DIRECT I/O: this file needs buffers aligned to {} bytes and \
                 offsets and lengths that are multiples of {} bytes ({detail}); use \
                 File::aligned_buf",
                self.mem, self.offset
            ),
        )
    }
}
