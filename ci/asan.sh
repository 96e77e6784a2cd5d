#!/usr/bin/env bash
# The library's unit and integration tests and the torture short form under AddressSanitizer.
# Called at the end of ./ci/test.sh (the README's test command); runs alone too.
#
# -Zsanitizer needs a nightly flag: RUSTC_BOOTSTRAP=1 lets the stable toolchain accept it.
# --target makes RUSTFLAGS apply to the tests only, not to build scripts and proc macros
# (which cannot load the ASan runtime). A separate target dir keeps the normal build intact.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Zsanitizer=address"
export RUSTDOCFLAGS="-Zsanitizer=address"
export CARGO_TARGET_DIR="${ASAN_TARGET_DIR:-target/asan}"
# LeakSanitizer stays on: a buffer freed under the kernel or a leak is a failure.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=1}"
target=x86_64-unknown-linux-gnu

# Skipped, on purpose:
# - forgotten_op_leaks_instead_of_freeing_under_the_kernel (rt_ring.rs): it `mem::forget`s
#   an op future, and the runtime's documented answer is to leak that op's buffer rather than
#   free it under the kernel; LeakSanitizer reports that intended leak.
# - dropped_reads_under_faults_never_see_writes_after_free (op_faults.rs): its canary
#   buffers are `Box::leak`ed on purpose, so their memory stays valid (and checkable) after
#   the driver drops the buffer objects; LeakSanitizer reports those 200 leaks.
# - stream_of_a_ring_that_leaked_its_read_still_reads (rt_release.rs): a faulted ring that
#   cannot cancel a read leaks that read's buffer (and its fault state) at drop, by design.
skip=(--skip forgotten_op_leaks_instead_of_freeing_under_the_kernel
      --skip dropped_reads_under_faults_never_see_writes_after_free
      --skip stream_of_a_ring_that_leaked_its_read_still_reads)

echo "== asan: uring-rt unit and integration tests"
cargo test --target "$target" -p uring-rt --lib --tests -- "${skip[@]}"

echo "== asan: torture short form"
# Without injected enter errors: one in ten faults the ring for good, and a ring faulted with
# ops in flight leaks their buffers at drop by design (never frees what the kernel may hold).
TORTURE_NO_ENTER_ERRORS=1 cargo test --target "$target" -p tests --test torture -- --nocapture
