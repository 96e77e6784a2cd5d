#!/usr/bin/env bash
# The project's test command (the README's): format, lints, every test including doctests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools CI needs; the machine image has cargo, rustfmt and clippy come with the toolchain.
if ! cargo fmt --version >/dev/null 2>&1; then rustup component add rustfmt; fi
if ! cargo clippy --version >/dev/null 2>&1; then rustup component add clippy; fi

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
