//! `ThreadPerCore`: one pinned runtime per core running the same future factory.
//!
//! Each core is an OS thread with its own [`Runtime`](crate::Runtime) (its own ring, task queue and timers);
//! nothing is shared on the hot path. A core whose future finished keeps running its runtime
//! (serving what other cores send it) until every core's future has finished. Cores reach
//! each other through [`Handle`]s (see
//! [`Core::handle`]) and channels. A panic of one core's future makes [`ThreadPerCoreBuilder::run`]
//! return an error after the other cores were shut down.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use super::affinity::{allowed_cpus, pin_to};
use super::builder::Builder;
use super::handle::Handle;
use crate::task::panic_message;

/// Entry point of the thread-per-core launcher.
///
/// # Examples
///
/// ```
/// use uring_rt::runtime::ThreadPerCore;
/// let outputs = ThreadPerCore::builder()
///     .cores(2)
///     .run(|core| async move { core.index() * 10 })
///     .unwrap();
/// assert_eq!(outputs, vec![0, 10]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ThreadPerCore;

impl ThreadPerCore {
    /// A launcher with one core per available CPU, unpinned.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = uring_rt::runtime::ThreadPerCore::builder().cores(1).pin(false);
    /// assert_eq!(b.run(|_| async { 1 }).unwrap(), vec![1]);
    /// ```
    pub fn builder() -> ThreadPerCoreBuilder {
        ThreadPerCoreBuilder {
            cores: None,
            pin: false,
            cpus: None,
            runtime: Builder::new(),
        }
    }
}

/// Configures and starts the cores. See [`ThreadPerCore`].
#[derive(Debug, Clone)]
pub struct ThreadPerCoreBuilder {
    cores: Option<usize>,
    pin: bool,
    cpus: Option<Vec<usize>>,
    runtime: Builder,
}

/// What a core's future gets: which core it runs on and how to reach the others.
#[derive(Clone)]
pub struct Core {
    index: usize,
    cpu: Option<usize>,
    handles: Arc<[Handle]>,
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("index", &self.index)
            .field("cpu", &self.cpu)
            .field("cores", &self.handles.len())
            .finish()
    }
}

impl Core {
    /// This core's index, `0..cores`.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = uring_rt::runtime::ThreadPerCore::builder()
    ///     .cores(1)
    ///     .run(|core| async move { core.index() })
    ///     .unwrap();
    /// assert_eq!(v, vec![0]);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// The CPU this core is pinned to, or `None` when not pinned.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = uring_rt::runtime::ThreadPerCore::builder()
    ///     .cores(1)
    ///     .pin(true)
    ///     .run(|core| async move { core.cpu() })
    ///     .unwrap();
    /// assert!(v[0].is_some());
    /// ```
    pub fn cpu(&self) -> Option<usize> {
        self.cpu
    }

    /// Number of cores.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = uring_rt::runtime::ThreadPerCore::builder()
    ///     .cores(2)
    ///     .run(|core| async move { core.cores() })
    ///     .unwrap();
    /// assert_eq!(v, vec![2, 2]);
    /// ```
    pub fn cores(&self) -> usize {
        self.handles.len()
    }

    /// The handle of core `i`, to spawn work there.
    ///
    /// # Panics
    ///
    /// When `i >= cores()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = uring_rt::runtime::ThreadPerCore::builder()
    ///     .cores(2)
    ///     .run(|core| async move {
    ///         let peer = (core.index() + 1) % core.cores();
    ///         core.handle(peer).spawn(async move { peer }).await.unwrap()
    ///     })
    ///     .unwrap();
    /// assert_eq!(v, vec![1, 0]);
    /// ```
    pub fn handle(&self, i: usize) -> Handle {
        assert!(
            i < self.handles.len(),
            "Core::handle({i}): there are only {} cores",
            self.handles.len()
        );
        self.handles[i].clone()
    }

    /// The handles of every core, indexed by core.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = uring_rt::runtime::ThreadPerCore::builder()
    ///     .cores(2)
    ///     .run(|core| async move { core.handles().len() })
    ///     .unwrap();
    /// assert_eq!(v, vec![2, 2]);
    /// ```
    pub fn handles(&self) -> &[Handle] {
        &self.handles
    }
}

impl ThreadPerCoreBuilder {
    /// Number of cores (threads) to start. Default: the CPUs this process may run on.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = uring_rt::runtime::ThreadPerCore::builder().cores(2);
    /// # drop(b);
    /// ```
    pub fn cores(mut self, n: usize) -> Self {
        self.cores = Some(n);
        self
    }

    /// Pin each core's thread to one CPU with `sched_setaffinity`. Default: false.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = uring_rt::runtime::ThreadPerCore::builder().pin(true);
    /// # drop(b);
    /// ```
    pub fn pin(mut self, pin: bool) -> Self {
        self.pin = pin;
        self
    }

    /// The CPUs to pin to, core `i` on `cpus[i]` (implies `pin(true)`). Default: the CPUs of
    /// the process's affinity mask, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = uring_rt::runtime::ThreadPerCore::builder()
    ///     .cpus(vec![0])
    ///     .run(|core| async move { core.cpu() })
    ///     .unwrap();
    /// assert_eq!(v, vec![Some(0)]);
    /// ```
    pub fn cpus(mut self, cpus: Vec<usize>) -> Self {
        self.cpus = Some(cpus);
        self.pin = true;
        self
    }

    /// The ring configuration of every core's runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = uring_rt::runtime::ThreadPerCore::builder()
    ///     .runtime(uring_rt::Runtime::builder().entries(512));
    /// # drop(b);
    /// ```
    pub fn runtime(mut self, builder: Builder) -> Self {
        self.runtime = builder;
        self
    }

    /// Starts the cores, runs `factory(core)` on each core's thread and returns every core's
    /// output, in core order, once all have finished.
    ///
    /// The factory is called on the core's own thread, so its future need not be `Send`.
    ///
    /// # Errors
    ///
    /// - `InvalidInput` for zero cores, or more pinned cores than CPUs given;
    /// - the error of `sched_setaffinity` or of the ring setup on any core;
    /// - an error naming the core and the panic message when a core's future panicked (the
    ///   other cores' futures are then cancelled and their runtimes shut down).
    ///
    /// # Examples
    ///
    /// ```
    /// let sums = uring_rt::runtime::ThreadPerCore::builder()
    ///     .cores(2)
    ///     .run(|core| async move {
    ///         let task = uring_rt::spawn(async move { core.index() + 1 });
    ///         task.await.unwrap()
    ///     })
    ///     .unwrap();
    /// assert_eq!(sums, vec![1, 2]);
    /// ```
    pub fn run<F, Fut, T>(self, factory: F) -> io::Result<Vec<T>>
    where
        F: Fn(Core) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        let allowed = allowed_cpus()?;
        let n = match self.cores {
            Some(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "ThreadPerCore: cores must be at least 1",
                ))
            }
            Some(n) => n,
            None => self.cpus.as_ref().map_or(allowed.len().max(1), |c| c.len()),
        };
        let cpus: Vec<Option<usize>> = if self.pin {
            let list = self.cpus.clone().unwrap_or_else(|| allowed.clone());
            if list.len() < n {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "ThreadPerCore: {n} pinned cores need {n} CPUs, but only {} are \
                         available ({list:?}); lower cores() or give cpus()",
                        list.len()
                    ),
                ));
            }
            list.into_iter().take(n).map(Some).collect()
        } else {
            vec![None; n]
        };

        let factory = Arc::new(factory);
        let shutdown = Arc::new(Shutdown::new(n));
        let (ready_tx, ready_rx) = mpsc::channel::<(usize, io::Result<Handle>)>();
        let mut starts = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        for (index, cpu) in cpus.iter().copied().enumerate() {
            let (start_tx, start_rx) = mpsc::channel::<Option<Arc<[Handle]>>>();
            starts.push(start_tx);
            let ready_tx = ready_tx.clone();
            let factory = factory.clone();
            let shutdown = shutdown.clone();
            let builder = self.runtime.clone();
            let thread = std::thread::Builder::new()
                .name(format!("uring-rt-core-{index}"))
                .spawn(move || {
                    core_main(index, cpu, builder, factory, shutdown, ready_tx, start_rx)
                })?;
            threads.push(thread);
        }
        drop(ready_tx);

        // Gather every core's handle (or the first setup error), then release the cores.
        let mut handles: Vec<Option<Handle>> = vec![None; n];
        let mut setup_error = None;
        for _ in 0..n {
            match ready_rx.recv() {
                Ok((i, Ok(h))) => handles[i] = Some(h),
                Ok((i, Err(e))) => {
                    setup_error.get_or_insert(io::Error::new(
                        e.kind(),
                        format!("ThreadPerCore: core {i} failed to start: {e}"),
                    ));
                }
                Err(_) => break,
            }
        }
        let handles: Option<Arc<[Handle]>> = if setup_error.is_none() {
            handles
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(Into::into)
        } else {
            None
        };
        for start in &starts {
            let _ = start.send(handles.clone());
        }

        let mut outputs = Vec::with_capacity(n);
        let mut first_error = setup_error;
        for (i, thread) in threads.into_iter().enumerate() {
            let exit = thread.join().unwrap_or_else(|payload| {
                CoreExit::Panicked(
                    panic_message(payload.as_ref())
                        .unwrap_or("non-string panic payload")
                        .to_string(),
                )
            });
            match exit {
                CoreExit::Done(v) => outputs.push(v),
                CoreExit::Cancelled | CoreExit::NotStarted => {}
                CoreExit::Panicked(msg) => {
                    first_error.get_or_insert_with(|| {
                        io::Error::other(format!("ThreadPerCore: core {i} panicked: {msg}"))
                    });
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None if outputs.len() == n => Ok(outputs),
            None => Err(io::Error::other(
                "ThreadPerCore: a core stopped without output",
            )),
        }
    }
}

/// How a core's thread ended.
enum CoreExit<T> {
    Done(T),
    /// Another core panicked; this core's future was dropped.
    Cancelled,
    /// Setup failed somewhere; the factory never ran here.
    NotStarted,
    Panicked(String),
}

/// The body of one core's thread.
fn core_main<F, Fut, T>(
    index: usize,
    cpu: Option<usize>,
    builder: Builder,
    factory: Arc<F>,
    shutdown: Arc<Shutdown>,
    ready: mpsc::Sender<(usize, io::Result<Handle>)>,
    start: mpsc::Receiver<Option<Arc<[Handle]>>>,
) -> CoreExit<T>
where
    F: Fn(Core) -> Fut,
    Fut: Future<Output = T>,
{
    let setup = cpu.map_or(Ok(()), pin_to).and_then(|()| builder.build());
    let rt = match setup {
        Ok(rt) => {
            let _ = ready.send((index, Ok(rt.handle())));
            rt
        }
        Err(e) => {
            let _ = ready.send((index, Err(e)));
            return CoreExit::NotStarted;
        }
    };
    drop(ready);
    let Ok(Some(handles)) = start.recv() else {
        return CoreExit::NotStarted;
    };
    let core = Core {
        index,
        cpu,
        handles,
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        let future = factory(core);
        // The future moves into `block_on`, so it is dropped inside the runtime (its
        // in-flight operations are cancelled there) even when a shutdown cuts it short.
        rt.block_on(UntilShutdown {
            future,
            output: None,
            done: false,
            shutdown: &shutdown,
            index,
        })
    }));
    match result {
        Ok(Some(v)) => CoreExit::Done(v),
        Ok(None) => CoreExit::Cancelled,
        Err(payload) => {
            shutdown.trigger();
            CoreExit::Panicked(
                panic_message(payload.as_ref())
                    .unwrap_or("non-string panic payload")
                    .to_string(),
            )
        }
    }
}

/// Coordinates the end: every core keeps its runtime running (serving work other cores send
/// it) until all cores' futures have finished, and all stop early when one panicked.
struct Shutdown {
    stop: AtomicBool,
    /// Cores whose future has not finished yet.
    running: AtomicUsize,
    wakers: Vec<AtomicWaker>,
}

impl Shutdown {
    fn new(n: usize) -> Shutdown {
        Shutdown {
            stop: AtomicBool::new(false),
            running: AtomicUsize::new(n),
            wakers: (0..n).map(|_| AtomicWaker::new()).collect(),
        }
    }

    fn trigger(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake_all();
    }

    fn finished_one(&self) {
        if self.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.wake_all();
        }
    }

    fn wake_all(&self) {
        for w in &self.wakers {
            w.wake();
        }
    }
}

pin_project_lite::pin_project! {
    /// A core's future, then a wait for every other core's; `None` once a shutdown (a panic
    /// elsewhere) cut it short.
    struct UntilShutdown<'a, F: Future> {
        #[pin]
        future: F,
        output: Option<F::Output>,
        done: bool,
        shutdown: &'a Shutdown,
        index: usize,
    }
}

impl<F: Future> Future for UntilShutdown<'_, F> {
    type Output = Option<F::Output>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        this.shutdown.wakers[*this.index].register(cx.waker());
        if !*this.done {
            if let Poll::Ready(v) = this.future.poll(cx) {
                *this.output = Some(v);
                *this.done = true;
                this.shutdown.finished_one();
            }
        }
        if this.shutdown.stop.load(Ordering::SeqCst) {
            return Poll::Ready(None);
        }
        if *this.done && this.shutdown.running.load(Ordering::SeqCst) == 0 {
            return Poll::Ready(this.output.take());
        }
        Poll::Pending
    }
}
