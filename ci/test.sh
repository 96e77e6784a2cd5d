#!/usr/bin/env bash
# The project's test command (the README's): format, lints, every test including doctests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools CI needs; the machine image has cargo, rustfmt and clippy come with the toolchain.
if ! cargo fmt --version >/dev/null 2>&1; then rustup component add rustfmt; fi
if ! cargo clippy --version >/dev/null 2>&1; then rustup component add clippy; fi

# curl drives the hyper example in examples/tests/hyper_server.rs.
if ! command -v curl >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo doc (broken links and missing docs are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

echo "== cargo test (unit, integration, doctests)"
cargo test --workspace --all-targets
cargo test --workspace --doc

echo "== wrk against examples/http_hello: zero socket errors at 1,000 connections"
DURATION=3s bash examples/scripts/wrk_http.sh

echo "== wrk against examples/hyper_server (hyper over uring_rt::compat): zero errors at 1,000 connections"
BIN=hyper_server PORT=18081 DURATION=3s bash examples/scripts/wrk_http.sh

# The same integration tests and the examples once more on the readiness driver (what runs
# where io_uring is blocked). A test that needs an io_uring-only feature prints why it skips.
echo "== cargo test --tests with URING_RT_DRIVER=epoll"
URING_RT_DRIVER=epoll cargo test --workspace --tests

echo "== wrk against examples/http_hello on the epoll driver"
URING_RT_DRIVER=epoll DURATION=3s bash examples/scripts/wrk_http.sh

echo "== AddressSanitizer: the library's tests and the torture short form"
bash ci/asan.sh
