//! The hot path allocates nothing: a steady-state read and write on a socket, counted by a
//! counting global allocator (this thread's allocations only).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use uring_rt::net::UnixStream;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; counting touches a const thread-local `Cell`,
// which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

#[test]
fn steady_state_socket_read_and_write_allocate_nothing() {
    let rt = uring_rt::Runtime::new().unwrap();
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&[7u8; 64]);
        let mut inb = Vec::with_capacity(64);
        let round = |out: Vec<u8>, inb: Vec<u8>| {
            let a = &a;
            let b = &b;
            async move {
                let (res, out) = a.write(out).await;
                assert_eq!(res.unwrap(), 64);
                let mut inb = inb;
                inb.clear();
                let (res, inb) = b.read(inb).await;
                assert_eq!(res.unwrap(), 64);
                assert_eq!(inb, out);
                (out, inb)
            }
        };
        // Warm up: slab, queues and wakers reach their steady size.
        for _ in 0..64 {
            (out, inb) = round(out, inb).await;
        }
        let before = allocs();
        for _ in 0..1000 {
            (out, inb) = round(out, inb).await;
        }
        let after = allocs();
        assert_eq!(after - before, 0, "allocations in 1000 steady-state rounds");
    });
}
