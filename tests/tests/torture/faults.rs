//! Fault injection (the `fault-injection` feature of uring-rt, enabled for this crate's tests):
//! half of the seeds run on a ring that rewrites completions, delays them and fails
//! `io_uring_enter`.

use uring_rt::fault::FaultConfig;
use uring_rt::runtime::Builder;
use uring_rt::Runtime;

use crate::check::{Stats, STATS};
use crate::rng::Rng;

/// Whether this build injects faults.
pub(crate) const AVAILABLE: bool = true;

/// Fault probabilities drawn from the seed (`URING_RT_FAULT_SEED` overrides the layer's seed).
/// `TORTURE_NO_ENTER_ERRORS` turns off enter errors: one in ten faults a ring for good, and a
/// runtime dropped with ops in flight on such a ring leaks them by design, which a leak
/// checker (ci/asan.sh) would report.
pub(crate) fn configure(b: Builder, seed: u64) -> Builder {
    let mut rng = Rng::new(seed ^ 0x6661_756c_7473);
    let config = FaultConfig::new(seed)
        .cqe_error([0.0, 0.001, 0.01, 0.05][rng.below(4) as usize])
        .short_count([0.0, 0.05, 0.2][rng.below(3) as usize])
        .delay([0.0, 0.05, 0.3][rng.below(3) as usize])
        .enter_error(if std::env::var_os("TORTURE_NO_ENTER_ERRORS").is_some() {
            0.0
        } else {
            [0.0, 0.0, 0.001, 0.01][rng.below(4) as usize]
        });
    b.faults(config)
}

/// Adds the runtime's injected faults to the totals; tells whether an injected enter error
/// faulted the ring for good (its runtime then leaks what the kernel may still hold).
pub(crate) fn record(rt: &Runtime) -> bool {
    let s = rt.fault_stats();
    if std::env::var_os("TORTURE_VERBOSE").is_some() {
        eprintln!("{s:?}");
    }
    // Short counts and ended multishots are counted among the rewritten completions.
    let total = s.cqes_rewritten + s.cqes_delayed + s.enter_errors;
    Stats::add(&STATS.faults, total);
    s.enter_faults > 0
}
