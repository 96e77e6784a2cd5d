//! tokio's `tokio/tests/macros_test.rs` restated for `#[uring_rt::main]` and
//! `#[uring_rt::test]`: the attributes work when imported with `use`, on functions returning
//! `!` or a `Result` with an early `return`, on trait methods, from inside `macro_rules!`,
//! and on one-line bodies without tripping lints (this file denies warnings).
//! (`tests/tests/macros.rs` covers arguments, `?` and `should_panic`.)
//!
//! Not translated: the `name = ..` and `unhandled_panic = ..` arguments (no such options).

#![deny(warnings, unused_braces, clippy::semicolon_if_nothing_returned)]

use uring_rt::test;

#[test]
async fn test_attribute_imported_with_use_runs_on_a_runtime() {
    assert_eq!(uring_rt::spawn(async { 1 }).await.unwrap(), 1);
}

#[uring_rt::test]
async fn test_attribute_with_its_full_path() {
    uring_rt::spawn(async {}).await.unwrap();
}

#[rustfmt::skip] // one line, so `unused_braces` would see the body's braces
#[uring_rt::main]
pub async fn one_line_main() -> u8 { 7 }

#[rustfmt::skip]
#[uring_rt::test]
async fn one_line_test() { assert_eq!(1 + 1, 2) }

#[std::prelude::v1::test]
fn main_on_a_trait_method() {
    trait Twice {
        fn twice(self) -> u32;
        fn plain(self) -> u32;
    }
    impl Twice for u32 {
        #[uring_rt::main]
        async fn twice(self) -> u32 {
            uring_rt::spawn(async move { self * 2 }).await.unwrap() + self.plain()
        }
        fn plain(self) -> u32 {
            0
        }
    }
    assert_eq!(21u32.twice(), 42);
    assert_eq!(one_line_main(), 7);
}

#[uring_rt::main]
pub async fn main_returning_never() -> ! {
    panic!("never returns");
}

#[std::prelude::v1::test]
fn a_main_returning_never_panics_through() {
    let caught = std::panic::catch_unwind(|| main_returning_never());
    assert!(caught.is_err());
}

#[allow(unreachable_code)]
#[uring_rt::test]
async fn early_return_in_a_result_test() -> std::io::Result<()> {
    return Ok(());
    panic!("not reached");
}

pub mod semicolons {
    #![deny(clippy::semicolon_if_nothing_returned)]

    #[allow(clippy::let_unit_value)]
    #[uring_rt::main]
    pub async fn local() {
        let _x = ();
    }
    #[uring_rt::main]
    pub async fn item() {
        fn _f() {}
    }
    #[uring_rt::main]
    pub async fn empty() {}

    #[std::prelude::v1::test]
    fn they_all_run() {
        local();
        item();
        empty();
    }
}

mod in_a_macro {
    macro_rules! make_test {
        (async fn $name:ident() $body:block) => {
            #[::uring_rt::test]
            async fn $name() $body
        };
    }
    make_test!(
        async fn generated_by_macro_rules() {
            uring_rt::yield_now().await;
        }
    );
}
