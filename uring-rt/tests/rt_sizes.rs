//! The memory cost of a task, an in-flight op and a timer (the README's table).

use uring_rt::runtime::sizes;

#[test]
fn bookkeeping_sizes_are_small() {
    let task_nop = sizes::task::<std::future::Ready<()>>();
    println!("task header: {} bytes", sizes::TASK_HEADER);
    println!("task running a trivial future: {task_nop} bytes");
    println!("op slot: {} bytes", sizes::OP_SLOT);
    println!("timer: {} bytes", sizes::TIMER);
    // Read at run time (not const-asserted) so a regression names the new size.
    let (header, slot, timer) = (
        std::hint::black_box(sizes::TASK_HEADER),
        std::hint::black_box(sizes::OP_SLOT),
        std::hint::black_box(sizes::TIMER),
    );
    assert!(header <= 64, "task header grew to {header} bytes");
    assert!(slot <= 32, "op slot grew to {slot} bytes");
    assert!(timer <= 96, "timer grew to {timer} bytes");
    assert!(task_nop <= 128, "a trivial task takes {task_nop} bytes");
}
