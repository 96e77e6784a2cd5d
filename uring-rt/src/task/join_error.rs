//! `JoinError`: why a task produced no output.

use std::any::Any;
use std::fmt;

use super::id::Id;

/// A task did not complete: it was aborted, its runtime shut down, or it panicked.
///
/// # Examples
///
/// ```
/// let err = uring_rt::start(async {
///     let handle = uring_rt::spawn(async { panic!("boom") });
///     handle.await.unwrap_err()
/// });
/// assert!(err.is_panic());
/// ```
pub struct JoinError {
    repr: Repr,
    id: Id,
}

enum Repr {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
            id,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(payload),
            id,
        }
    }

    /// The [`Id`] of the task that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let handle = uring_rt::spawn(async { panic!("boom") });
    ///     let id = handle.id();
    ///     assert_eq!(handle.await.unwrap_err().id(), id);
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }

    /// True if the task was aborted or its runtime shut down before it finished.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let handle = uring_rt::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True if the task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let err = uring_rt::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     assert!(err.is_panic());
    /// });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to resume the panic with `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// If the task was cancelled rather than panicking (see
    /// [`try_into_panic`](JoinError::try_into_panic)).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let err = uring_rt::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     assert_eq!(*err.into_panic().downcast_ref::<&str>().unwrap(), "boom");
    /// });
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(err) => panic!("`JoinError::into_panic` called on a {err}"),
        }
    }

    /// The panic payload, to resume the panic with `std::panic::resume_unwind`.
    ///
    /// # Errors
    ///
    /// Returns `self` back if the task was cancelled rather than panicking.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::start(async {
    ///     let err = uring_rt::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     let payload = err.try_into_panic().ok().unwrap();
    ///     assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "boom");
    /// });
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(payload) => Ok(payload),
            Repr::Cancelled => Err(self),
        }
    }

    fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic(p) => panic_message(p.as_ref()),
            Repr::Cancelled => None,
        }
    }
}

/// The message of a panic payload (`panic!` with a literal or a formatted string).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(|s| s.as_str()))
}

/// As tokio's: `JoinError::Cancelled(Id(7))`, `JoinError::Panic(Id(7), "boom", ..)`.
impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => write!(f, "JoinError::Cancelled({:?})", self.id),
            (Repr::Panic(_), Some(msg)) => {
                write!(f, "JoinError::Panic({:?}, {msg:?}, ..)", self.id)
            }
            (Repr::Panic(_), None) => write!(f, "JoinError::Panic({:?}, ..)", self.id),
        }
    }
}

/// As tokio's: `task 7 was cancelled`, `task 7 panicked with message "boom"`.
impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => write!(f, "task {} was cancelled", self.id),
            (Repr::Panic(_), Some(msg)) => {
                write!(f, "task {} panicked with message {msg:?}", self.id)
            }
            (Repr::Panic(_), None) => write!(f, "task {} panicked", self.id),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}
