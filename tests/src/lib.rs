//! End-to-end tests of uring-rt that combine its modules the way an application does, using
//! only the public API (see `tests/`). The per-module integration tests live in
//! `uring-rt/tests/`.
