//! Dropping a runtime while its thread unwinds from a panic (defect 6 of issue 9): the
//! driver's drop frees the data of dropped in-flight ops, and a destructor that panics there
//! must not turn the unwinding into an abort.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use uring_rt::buf::{IoBuf, IoBufMut};
use uring_rt::net::UnixStream;
use uring_rt::Runtime;

/// A buffer whose destructor panics.
struct PanicOnDrop(Vec<u8>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("buffer destructor panics");
    }
}

// SAFETY: forwards to the `Vec`, whose heap bytes stay put when the value moves.
unsafe impl IoBuf for PanicOnDrop {
    fn stable_ptr(&self) -> *const u8 {
        self.0.stable_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.0.bytes_init()
    }
    fn bytes_total(&self) -> usize {
        self.0.bytes_total()
    }
}

// SAFETY: as above.
unsafe impl IoBufMut for PanicOnDrop {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.0.stable_mut_ptr()
    }
    unsafe fn set_init(&mut self, n: usize) {
        // SAFETY: the caller's contract is ours.
        unsafe { self.0.set_init(n) }
    }
}

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn runtime_dropped_while_unwinding_survives_a_panicking_destructor() {
    let joined = std::thread::spawn(|| {
        let rt = Runtime::new().unwrap();
        let (a, b) = rt.block_on(async { UnixStream::pair().unwrap() });
        let mut read = Box::pin(b.read(PanicOnDrop(Vec::with_capacity(16))));
        let waker = Waker::from(Arc::new(Noop));
        rt.block_on(async {
            let mut cx = Context::from_waker(&waker);
            assert!(read.as_mut().poll(&mut cx).is_pending());
        });
        // The read is in flight; its buffer moves into the driver's slot.
        drop(read);
        let _keep = (a, b);
        // Unwinding drops the runtime: the driver cancels the read and frees its buffer,
        // whose destructor panics. That must not abort the process.
        panic!("the thread panics while it owns the runtime");
    })
    .join();
    assert!(
        joined.is_err(),
        "the thread panicked, and the process is still here"
    );
}
