//! The driver: the ring (io_uring, or its epoll emulation behind [`backend::Backend`]), the slab of in-flight operations and their lifecycle,
//! submission, cancellation, the feature probe and cross-thread wake-ups.
//!
//! Knows nothing of files, sockets or tasks: an operation is an SQE, a slot and the data the
//! kernel may touch (`Orphan`) until the final completion.

mod backend;
mod bgids;
mod enter;
mod epoll;
mod fallback;
#[cfg(feature = "fault-injection")]
mod fault;
mod files;
mod lifecycle;
mod mailbox;
mod metrics;
mod ops;
mod registry;
mod ring;
mod setup;
mod submission;
mod unpark;

pub(crate) use epoll::closing;
#[cfg(feature = "fault-injection")]
pub use fault::{FaultConfig, FaultStats};
pub(crate) use lifecycle::{Completion, Observer, Orphan};
pub(crate) use mailbox::{AssertSend, Mail};
pub(crate) use metrics::Counters;
pub(crate) use registry::{is_quiesced, lookup, Ring};
pub(crate) use ring::Driver;
pub(crate) use setup::Config;
pub use setup::{DriverKind, SetupError, TaskrunMode};
pub(crate) use unpark::Unparker;

/// Size in bytes of one slot of the op slab: the driver's cost per in-flight operation (the
/// slab adds no tag: a vacant slot fits in the same bytes).
pub(crate) const SLOT_SIZE: usize = std::mem::size_of::<lifecycle::Lifecycle>();
