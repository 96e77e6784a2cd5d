//! Reading an SQE's fields back: the emulated ring executes the entries the op layer built
//! for the kernel, so it decodes them with the kernel's ABI layout (`struct io_uring_sqe`).

use io_uring::squeue;

/// The fields of one 64-byte SQE that the emulated opcodes use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sqe {
    pub(crate) opcode: u8,
    /// `IOSQE_*` flags.
    pub(crate) flags: u8,
    pub(crate) ioprio: u16,
    pub(crate) fd: i32,
    /// `off` / `addr2`.
    pub(crate) off: u64,
    /// `addr` / `splice_off_in`.
    pub(crate) addr: u64,
    pub(crate) len: u32,
    /// The per-opcode flags word (`rw_flags`, `msg_flags`, `open_flags`, ...).
    pub(crate) op_flags: u32,
    pub(crate) user_data: u64,
    /// `buf_index` / `buf_group`.
    pub(crate) buf: u16,
    /// `splice_fd_in` / `file_index` / `addr_len` (low 16 bits).
    pub(crate) file_index: u32,
}

/// `IOSQE_FIXED_FILE`: `fd` is an index into the registered-file table.
pub(crate) const FIXED_FILE: u8 = 1 << 0;
/// `IOSQE_BUFFER_SELECT`: the data goes to a buffer of the group `buf`.
pub(crate) const BUFFER_SELECT: u8 = 1 << 5;

impl Sqe {
    /// Decodes `entry`.
    pub(crate) fn decode(entry: &squeue::Entry) -> Sqe {
        const _: () = assert!(std::mem::size_of::<squeue::Entry>() == 64);
        // SAFETY: `squeue::Entry` is `#[repr(C)]` around the kernel's 64-byte
        // `io_uring_sqe` (size checked above), plain integers with no padding bytes left
        // uninitialised (the crate builds every entry from a zeroed SQE).
        let b: [u8; 64] = unsafe { std::mem::transmute_copy(entry) };
        let u16_at = |i: usize| u16::from_ne_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_ne_bytes(b[i..i + 4].try_into().unwrap_or([0; 4]));
        let u64_at = |i: usize| u64::from_ne_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        Sqe {
            opcode: b[0],
            flags: b[1],
            ioprio: u16_at(2),
            fd: u32_at(4) as i32,
            off: u64_at(8),
            addr: u64_at(16),
            len: u32_at(24),
            op_flags: u32_at(28),
            user_data: u64_at(32),
            buf: u16_at(40),
            file_index: u32_at(44),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use io_uring::{opcode, types};

    #[test]
    fn decodes_the_fields_the_builders_set() {
        let e = opcode::Read::new(types::Fd(7), 0x1000 as *mut u8, 33)
            .offset(99)
            .build()
            .user_data(5);
        let s = Sqe::decode(&e);
        assert_eq!(s.opcode, opcode::Read::CODE);
        assert_eq!(
            (s.fd, s.addr, s.len, s.off, s.user_data),
            (7, 0x1000, 33, 99, 5)
        );

        let e = opcode::RecvMulti::new(types::Fixed(3), 9).build();
        let s = Sqe::decode(&e);
        assert_eq!(
            s.flags & (FIXED_FILE | BUFFER_SELECT),
            FIXED_FILE | BUFFER_SELECT
        );
        assert_eq!((s.fd, s.buf), (3, 9));

        let e = opcode::Send::new(types::Fd(1), std::ptr::null(), 0)
            .dest_addr(0x2000 as *const libc::sockaddr)
            .dest_addr_len(16)
            .flags(libc::MSG_NOSIGNAL)
            .build();
        let s = Sqe::decode(&e);
        assert_eq!(
            (s.off, s.file_index & 0xffff, s.op_flags),
            (0x2000, 16, libc::MSG_NOSIGNAL as u32)
        );
    }
}
