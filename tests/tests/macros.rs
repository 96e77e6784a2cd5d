//! `#[uring_rt::main]` and `#[uring_rt::test]` on the kinds of functions tokio users write.

use std::io;

#[uring_rt::test]
async fn test_returning_unit_runs_on_a_runtime() {
    let h = uring_rt::spawn(async { 6 * 7 });
    assert_eq!(h.await.unwrap(), 42);
    uring_rt::io::nop().await.unwrap();
}

#[uring_rt::test]
async fn test_returning_result_propagates_with_question_mark() -> io::Result<()> {
    uring_rt::io::nop().await?;
    let dir = tempfile::tempdir()?;
    uring_rt::fs::write(dir.path().join("f"), b"x".to_vec()).await?;
    assert_eq!(std::fs::read(dir.path().join("f"))?, b"x");
    Ok(())
}

#[uring_rt::test]
#[should_panic(expected = "inside the runtime")]
async fn test_panics_fail_the_test() {
    panic!("inside the runtime");
}

#[uring_rt::main]
async fn with_args(a: u64, b: &'static str) -> Result<u64, std::num::ParseIntError> {
    let parsed: u64 = b.parse()?;
    uring_rt::io::nop().await.unwrap();
    Ok(a + parsed)
}

#[uring_rt::main]
async fn returns_box_dyn_error() -> Result<(), Box<dyn std::error::Error>> {
    uring_rt::io::nop().await?; // io::Error converts into the declared error type
    Err("planned".into())
}

#[test]
fn main_keeps_arguments_and_result() {
    assert_eq!(with_args(40, "2"), Ok(42));
    assert!(with_args(1, "x").is_err());
    assert_eq!(returns_box_dyn_error().unwrap_err().to_string(), "planned");
}
