//! Task-local storage, as tokio's `task_local!`: a value that belongs to one future (and is
//! visible while it is polled or dropped), kept in a thread-local slot that the future swaps
//! its value into around each poll.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static NAME: Type;`, each a [`LocalKey`], as tokio's macro.
///
/// # Examples
///
/// ```
/// uring_rt::task_local! {
///     static REQUEST_ID: u64;
/// }
///
/// uring_rt::start(async {
///     let task = uring_rt::spawn(REQUEST_ID.scope(7, async { REQUEST_ID.get() }));
///     assert_eq!(task.await.unwrap(), 7);
///     assert!(REQUEST_ID.try_get().is_err()); // not set outside the scope
/// });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty $(; $($rest:tt)*)?) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static SLOT: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(SLOT)
        };
        $($crate::task_local!($($rest)*);)?
    };
}

/// A key to a task-local value, declared with [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    slot: std::thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: std::thread::LocalKey<RefCell<Option<T>>>) -> LocalKey<T> {
        LocalKey { slot }
    }

    /// Runs `future` with this key set to `value` (while it is polled and when it is dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::task_local! { static NAME: &'static str; }
    /// uring_rt::start(async {
    ///     NAME.scope("outer", async {
    ///         assert_eq!(NAME.get(), "outer");
    ///         NAME.scope("inner", async { assert_eq!(NAME.get(), "inner") }).await;
    ///         assert_eq!(NAME.get(), "outer");
    ///     })
    ///     .await;
    /// });
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
        }
    }

    /// Calls `f` with this key set to `value`.
    ///
    /// # Panics
    ///
    /// Inside [`with`](LocalKey::with) of the same key, or while the thread's locals are
    /// destroyed.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::task_local! { static DEPTH: u32; }
    /// assert_eq!(DEPTH.sync_scope(3, || DEPTH.get() + 1), 4);
    /// ```
    #[track_caller]
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut value = Some(value);
        self.in_scope(&mut value, f)
    }

    /// Swaps `value` into the slot for the duration of `f`, and back after (also on unwind).
    #[track_caller]
    fn in_scope<R>(&'static self, value: &mut Option<T>, f: impl FnOnce() -> R) -> R {
        struct SwapBack<'a, T: 'static> {
            key: &'static LocalKey<T>,
            value: &'a mut Option<T>,
        }
        impl<T: 'static> Drop for SwapBack<'_, T> {
            fn drop(&mut self) {
                let _ = self.key.slot.try_with(|slot| {
                    if let Ok(mut slot) = slot.try_borrow_mut() {
                        std::mem::swap(self.value, &mut *slot);
                    }
                });
            }
        }
        match self.slot.try_with(|slot| {
            slot.try_borrow_mut()
                .map(|mut slot| std::mem::swap(value, &mut *slot))
        }) {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                panic!("cannot enter a task-local scope while the key is borrowed by `with`")
            }
            Err(_) => {
                panic!("cannot enter a task-local scope while the thread's locals are destroyed")
            }
        }
        let _back = SwapBack { key: self, value };
        f()
    }

    /// Calls `f` with a reference to this key's value.
    ///
    /// # Panics
    ///
    /// When the key is not set here (outside its [`scope`](LocalKey::scope)).
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::task_local! { static WORDS: Vec<&'static str>; }
    /// let n = WORDS.sync_scope(vec!["a", "b"], || WORDS.with(|w| w.len()));
    /// assert_eq!(n, 2);
    /// ```
    #[track_caller]
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        match self.try_with(f) {
            Ok(out) => out,
            Err(e) => panic!("{e}"),
        }
    }

    /// Calls `f` with a reference to this key's value.
    ///
    /// # Errors
    ///
    /// [`AccessError`] when the key is not set here.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::task_local! { static KEY: u8; }
    /// assert!(KEY.try_with(|_| ()).is_err());
    /// assert_eq!(KEY.sync_scope(1, || KEY.try_with(|k| *k + 1)), Ok(2));
    /// ```
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        let slot = self.slot.try_with(|slot| {
            let slot = slot.borrow();
            slot.as_ref().map(f)
        });
        match slot {
            Ok(Some(out)) => Ok(out),
            _ => Err(AccessError(())),
        }
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A copy of this key's value.
    ///
    /// # Panics
    ///
    /// When the key is not set here.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::task_local! { static ID: u32; }
    /// assert_eq!(ID.sync_scope(9, || ID.get()), 9);
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }

    /// A copy of this key's value.
    ///
    /// # Errors
    ///
    /// [`AccessError`] when the key is not set here.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::task_local! { static ID: u32; }
    /// assert!(ID.try_get().is_err());
    /// ```
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

pin_project_lite::pin_project! {
    /// A future run with a task-local value set; see [`LocalKey::scope`].
    #[must_use = "futures do nothing unless polled"]
    pub struct TaskLocalFuture<T: 'static, F> {
        key: &'static LocalKey<T>,
        value: Option<T>,
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // The future's destructor sees the value too, when it can be set.
            if this.future.is_some() && this.key.slot.try_with(|s| s.try_borrow_mut().is_ok()) == Ok(true) {
                let mut future = this.future;
                this.key.in_scope(this.value, move || future.set(None));
            }
        }
    }
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the value out (the future then runs without it), as tokio's.
    ///
    /// # Examples
    ///
    /// ```
    /// uring_rt::task_local! { static KEY: u32; }
    /// let mut fut = Box::pin(KEY.scope(1, async {}));
    /// assert_eq!(fut.as_mut().take_value(), Some(1));
    /// assert_eq!(fut.as_mut().take_value(), None);
    /// ```
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        self.project().value.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut future = this.future;
        this.key.in_scope(this.value, || {
            let Some(inner) = future.as_mut().as_pin_mut() else {
                panic!("a TaskLocalFuture polled after it completed");
            };
            let out = inner.poll(cx);
            if out.is_ready() {
                // Dropped inside the scope: its destructor sees the value.
                future.set(None);
            }
            out
        })
    }
}

impl<T: 'static + fmt::Debug, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

/// A task-local key was read where it is not set.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessError")
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set")
    }
}

impl std::error::Error for AccessError {}
