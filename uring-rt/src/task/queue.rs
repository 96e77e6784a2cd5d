//! Run queues: the owner thread's local queue and list of live tasks, and the remote queue
//! other threads push to.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;

use slab::Slab;

use super::join::JoinHandle;
use super::raw::{self, Task, UNBOUND};

/// Wakes a parked scheduler thread. Implemented by whatever the thread waits in (the ring).
pub(crate) trait Unpark: Send + Sync + 'static {
    /// Makes the owner thread return from its wait soon. Cheap when the thread is not parked.
    fn unpark(&self);
}

/// The part of a scheduler other threads can reach.
pub(crate) struct Shared {
    /// Tasks woken or spawned from other threads; `None` once the scheduler shut down.
    remote: Mutex<Option<Vec<Task>>>,
    /// Set when `remote` may be non-empty, so the owner can skip the lock when it is not.
    remote_pending: AtomicBool,
    unpark: Box<dyn Unpark>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

thread_local! {
    /// The scheduler entered on this thread, if any: the top of `ENTERED`, kept in a plain
    /// cell because every wake-up on this thread reads it.
    static CURRENT: Cell<*const Local> = const { Cell::new(ptr::null()) };
    /// Every scheduler entered on this thread and not yet left, innermost last. A `Local`
    /// removes itself when it drops, so even guards dropped out of order (a user's misuse of
    /// `Runtime::enter`) never make a dropped scheduler current again.
    static ENTERED: RefCell<Vec<*const Local>> = const { RefCell::new(Vec::new()) };
}

/// Sets `CURRENT` to the innermost scheduler still entered.
fn refresh_current(entered: &[*const Local]) {
    let top = entered.last().copied().unwrap_or(ptr::null());
    let _ = CURRENT.try_with(|c| c.set(top));
}

impl Shared {
    /// Queues a task woken with `SCHEDULED` newly set.
    pub(super) fn schedule(self: &Arc<Self>, task: Task) {
        match self.owner_here() {
            Some(local) => Self::push_local(local, task),
            None => self.push_remote(task),
        }
    }

    /// This scheduler's `Local` when it is the one entered on this thread (a wake-up on the
    /// owner thread, which goes straight to the local queue).
    pub(super) fn owner_here(self: &Arc<Self>) -> Option<&Local> {
        let local = CURRENT.try_with(|c| c.get()).unwrap_or(ptr::null());
        // SAFETY: CURRENT is non-null only while the `Local` it points to is entered on this
        // thread (see `Local::enter`), so it is alive now; callers use it at once, before
        // anything on this thread can leave that scheduler.
        let local = unsafe { local.as_ref() }?;
        Arc::ptr_eq(&local.shared, self).then_some(local)
    }

    /// Queues on the owner thread's local queue (see [`Shared::owner_here`]).
    pub(super) fn push_local(local: &Local, task: Task) {
        local.queue.borrow_mut().push_back(task);
    }

    /// Queues from a thread other than the owner's: the remote queue, then an unpark.
    pub(super) fn push_remote(&self, task: Task) {
        let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
        match remote.as_mut() {
            Some(queue) => {
                queue.push(task);
                self.remote_pending.store(true, Ordering::SeqCst);
                drop(remote);
                self.unpark.unpark();
            }
            // Shut down: the task was already cancelled by the owner; drop our reference.
            None => drop(remote),
        }
    }

    /// Spawns a `Send` future onto this scheduler from any thread.
    pub(crate) fn spawn_remote<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let ptr = raw::allocate(future, self.clone());
        // SAFETY: `allocate` counted three references: the queue's, the owned list's (taken
        // over when the owner binds the task) and the JoinHandle's.
        let (queued, reserved) = unsafe { (Task::from_raw(ptr), Task::from_raw(ptr)) };
        {
            let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(queue) = remote.as_mut() {
                queue.push(queued);
                self.remote_pending.store(true, Ordering::SeqCst);
                drop(remote);
                std::mem::forget(reserved);
                self.unpark.unpark();
                // SAFETY: the third reference belongs to the handle.
                return unsafe { JoinHandle::from_raw(ptr) };
            }
        }
        // The scheduler is gone: cancel here (the future is Send, so dropping it on this
        // thread is fine) and let the handle report the cancellation.
        reserved.shutdown();
        drop((queued, reserved));
        // SAFETY: as above.
        unsafe { JoinHandle::from_raw(ptr) }
    }

    /// Whether the remote queue may hold tasks.
    pub(crate) fn has_remote(&self) -> bool {
        self.remote_pending.load(Ordering::SeqCst)
    }
}

/// Counters of a scheduler's work, kept by its owner thread in plain `Cell`s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TaskCounters {
    /// Task polls.
    pub(crate) polled: u64,
    /// Tasks that arrived through the remote queue: woken or spawned from other threads.
    pub(crate) remote_wakes: u64,
}

/// The owner thread's scheduler state. Not `Send`: it stays on the thread that made it.
pub(crate) struct Local {
    shared: Arc<Shared>,
    queue: RefCell<VecDeque<Task>>,
    /// Every live (not complete) task of this scheduler, for shutdown.
    owned: RefCell<Slab<Task>>,
    /// Wakers of tasks that yielded (`yield_now`, a spent cooperative budget): woken after
    /// the runtime next polls its driver, so a yield lets I/O progress, as in tokio.
    deferred: RefCell<Vec<Waker>>,
    /// Counted by the owner thread only (see [`TaskCounters`]).
    polled: Cell<u64>,
    remote_wakes: Cell<u64>,
    _not_send: PhantomData<*const ()>,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("queued", &self.queue.borrow().len())
            .field("live", &self.owned.borrow().len())
            .finish()
    }
}

/// Leaves the scheduler it entered when dropped: the one entered before it is current again.
pub(crate) struct EnterGuard {
    local: *const Local,
    /// How many schedulers were entered, this one included, when it was entered.
    depth: usize,
    /// Whether this guard was the innermost one when it was dropped (see [`EnterGuard::leave`]).
    in_order: bool,
}

impl EnterGuard {
    /// Leaves now; returns false if another scheduler was entered after this one and is still
    /// entered (guards dropped out of order). The state is consistent either way.
    pub(crate) fn leave(mut self) -> bool {
        self.pop();
        self.in_order
    }

    fn pop(&mut self) {
        if self.local.is_null() {
            return;
        }
        let local = std::mem::replace(&mut self.local, ptr::null());
        let _ = ENTERED.try_with(|e| {
            let mut entered = e.borrow_mut();
            self.in_order = entered.len() == self.depth && entered.last() == Some(&local);
            if let Some(i) = entered.iter().rposition(|&l| l == local) {
                entered.remove(i);
            }
            refresh_current(&entered);
        });
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        self.pop();
    }
}

impl Local {
    /// A new scheduler whose parked thread is woken through `unpark`.
    pub(crate) fn new(unpark: Box<dyn Unpark>) -> Local {
        Local {
            shared: Arc::new(Shared {
                remote: Mutex::new(Some(Vec::new())),
                remote_pending: AtomicBool::new(false),
                unpark,
            }),
            queue: RefCell::new(VecDeque::with_capacity(256)),
            owned: RefCell::new(Slab::with_capacity(256)),
            deferred: RefCell::new(Vec::new()),
            polled: Cell::new(0),
            remote_wakes: Cell::new(0),
            _not_send: PhantomData,
        }
    }

    /// The handle other threads use to reach this scheduler.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Makes this the scheduler that `spawn` and same-thread wake-ups use, until the guard drops.
    /// The caller keeps `self` alive and in place while the guard lives.
    pub(crate) fn enter(&self) -> EnterGuard {
        let local = self as *const Local;
        // During thread-local destruction (a runtime kept in a thread-local) nothing is
        // entered; spawning then panics as outside a runtime.
        let depth = ENTERED
            .try_with(|e| {
                let mut entered = e.borrow_mut();
                entered.push(local);
                refresh_current(&entered);
                entered.len()
            })
            .unwrap_or(0);
        EnterGuard {
            local,
            depth,
            in_order: true,
        }
    }

    /// Runs `f` with the scheduler entered on this thread, if any.
    pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Local>) -> R) -> R {
        let local = CURRENT.try_with(|c| c.get()).unwrap_or(ptr::null());
        // SAFETY: non-null only while the pointee is entered and alive (see `enter`).
        f(unsafe { local.as_ref() })
    }

    /// Runs `f` with the entered scheduler whose shared part is `shared`, innermost first,
    /// if one is entered on this thread.
    pub(crate) fn with_entered<R>(shared: *const Shared, f: impl FnOnce(Option<&Local>) -> R) -> R {
        let found = ENTERED
            .try_with(|e| {
                e.borrow().iter().rev().copied().find(|&local| {
                    // SAFETY: every pointer in ENTERED is a `Local` entered on this thread
                    // and alive (it removes itself before it drops; see `enter`).
                    ptr::eq(Arc::as_ptr(&unsafe { &*local }.shared), shared)
                })
            })
            .ok()
            .flatten();
        // SAFETY: as above; `f` runs before anything on this thread can leave it.
        f(found.and_then(|local| unsafe { local.as_ref() }))
    }

    /// Spawns a future on this scheduler (owner thread).
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let ptr = raw::allocate(future, self.shared.clone());
        // SAFETY: three references were counted: queue, owned list, handle.
        let (queued, owned) = unsafe { (Task::from_raw(ptr), Task::from_raw(ptr)) };
        self.bind(owned);
        self.queue.borrow_mut().push_back(queued);
        // SAFETY: the third reference.
        unsafe { JoinHandle::from_raw(ptr) }
    }

    fn bind(&self, task: Task) {
        let mut owned = self.owned.borrow_mut();
        let entry = owned.vacant_entry();
        task.set_owned_idx(entry.key());
        entry.insert(task);
    }

    /// Moves tasks from the remote queue to the local one.
    fn drain_remote(&self) {
        if !self.shared.has_remote() {
            return;
        }
        let tasks = {
            let mut remote = self.shared.remote.lock().unwrap_or_else(|e| e.into_inner());
            self.shared.remote_pending.store(false, Ordering::SeqCst);
            match remote.as_mut() {
                Some(queue) => std::mem::take(queue),
                None => return,
            }
        };
        self.remote_wakes
            .set(self.remote_wakes.get() + tasks.len() as u64);
        let mut queue = self.queue.borrow_mut();
        for task in tasks {
            if task.owned_idx() == UNBOUND {
                // The reserved owned-list reference counted at spawn time.
                inc_owned_from_reserved(&task, self);
            }
            queue.push_back(task);
        }
    }

    /// Polls up to `budget` queued tasks. Returns how many ran.
    pub(crate) fn run(&self, budget: usize) -> usize {
        self.drain_remote();
        let mut ran = 0;
        while ran < budget {
            let Some(task) = self.queue.borrow_mut().pop_front() else {
                break;
            };
            ran += 1;
            if task.run() {
                self.release(&task);
            }
        }
        self.polled.set(self.polled.get() + ran as u64);
        ran
    }

    /// What this scheduler has done so far.
    pub(crate) fn counters(&self) -> TaskCounters {
        TaskCounters {
            polled: self.polled.get(),
            remote_wakes: self.remote_wakes.get(),
        }
    }

    /// Drops the owned-list reference of a task that just completed.
    fn release(&self, task: &Task) {
        let idx = task.owned_idx();
        let removed = self.owned.borrow_mut().try_remove(idx);
        drop(removed);
    }

    /// Wakes `waker` after the runtime next polls its driver ([`Local::wake_deferred`]).
    pub(crate) fn defer(&self, waker: &Waker) {
        // A task is deferred once per poll at most; a duplicate wake is a no-op anyway.
        self.deferred.borrow_mut().push(waker.clone());
    }

    /// Whether yielded tasks wait for [`Local::wake_deferred`].
    pub(crate) fn has_deferred(&self) -> bool {
        !self.deferred.borrow().is_empty()
    }

    /// Wakes the tasks that yielded; the runtime calls it right after polling its driver.
    pub(crate) fn wake_deferred(&self) {
        let wakers = std::mem::take(&mut *self.deferred.borrow_mut());
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether tasks are waiting to run (locally or from other threads).
    pub(crate) fn has_ready(&self) -> bool {
        !self.queue.borrow().is_empty() || self.shared.has_remote()
    }

    /// Number of live (not complete) tasks.
    pub(crate) fn live_tasks(&self) -> usize {
        self.owned.borrow().len()
    }

    /// Cancels every task: closes the remote queue, drops every future on this thread, and
    /// empties the queues. Must run while entered.
    pub(crate) fn shutdown(&self) {
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        drop(deferred);
        let remote = {
            let mut remote = self.shared.remote.lock().unwrap_or_else(|e| e.into_inner());
            remote.take().unwrap_or_default()
        };
        for task in remote {
            if task.owned_idx() == UNBOUND {
                // Never bound: drop its future here and release the reserved reference.
                task.shutdown();
                // SAFETY: the owned-list reference reserved at spawn time.
                drop(unsafe { Task::from_raw_clone_reserved(&task) });
            }
        }
        loop {
            let tasks: Vec<Task> = self.owned.borrow_mut().drain().collect();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                task.shutdown();
            }
        }
        loop {
            let task = self.queue.borrow_mut().pop_front();
            match task {
                Some(task) => drop(task),
                None => break,
            }
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        let guard = self.enter();
        self.shutdown();
        drop(guard);
        // Guards of this scheduler that outlive it (dropped out of order) must not make it
        // current again: forget every entry of it.
        let me = self as *const Local;
        let _ = ENTERED.try_with(|e| {
            let mut entered = e.borrow_mut();
            entered.retain(|&l| l != me);
            refresh_current(&entered);
        });
    }
}

/// Binds a remotely spawned task, adopting the owned-list reference reserved at spawn.
fn inc_owned_from_reserved(task: &Task, local: &Local) {
    // SAFETY: `spawn_remote` counted a reference for the owned list and forgot its `Task`.
    let owned = unsafe { Task::from_raw_clone_reserved(task) };
    local.bind(owned);
}
