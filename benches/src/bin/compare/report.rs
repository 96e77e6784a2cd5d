//! Measured runs and the comparison table: medians, spreads and ratios to the baseline.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::profile::CATEGORIES;
use super::{Case, Config, Server, BASELINE};

/// One measured run, as reported by `loadgen` (and the server's counters, if it keeps any).
#[derive(Clone)]
pub(super) struct Sample {
    pub(super) requests: u64,
    pub(super) elapsed_s: f64,
    pub(super) rps: f64,
    pub(super) p50_us: f64,
    pub(super) p99_us: f64,
    pub(super) server_cpu_ns: u64,
    /// User and system parts of `server_cpu_ns` (`None` if the window held no tick).
    pub(super) server_split_ns: Option<(u64, u64)>,
    pub(super) client_cpu_ns: u64,
    /// The server's counters over the window (`--metrics` servers only).
    pub(super) metrics: Option<BTreeMap<String, u64>>,
    /// Each category's share of the server's `perf` samples over the window (`--perf`).
    pub(super) split: Option<[f64; CATEGORIES.len()]>,
    /// The round this run belongs to (0-based).
    pub(super) round: usize,
}

impl Sample {
    pub(super) fn cpu_ns_per_req(&self) -> f64 {
        self.server_cpu_ns as f64 / self.requests.max(1) as f64
    }

    /// Server user CPU per request, ns.
    pub(super) fn user_ns_per_req(&self) -> Option<f64> {
        self.server_split_ns
            .map(|(user, _)| user as f64 / self.requests.max(1) as f64)
    }

    /// Server system (kernel) CPU per request, ns.
    pub(super) fn sys_ns_per_req(&self) -> Option<f64> {
        self.server_split_ns
            .map(|(_, sys)| sys as f64 / self.requests.max(1) as f64)
    }

    /// Server CPU per request in each category of [`CATEGORIES`], ns (`--perf` runs).
    fn split_ns_per_req(&self) -> Option<[f64; CATEGORIES.len()]> {
        let per_req = self.cpu_ns_per_req();
        self.split.map(|shares| shares.map(|s| s * per_req))
    }

    /// A counter of the server over the window.
    fn counter(&self, name: &str) -> Option<u64> {
        self.metrics.as_ref()?.get(name).copied()
    }

    /// `io_uring_enter` calls per request.
    pub(super) fn enters_per_req(&self) -> Option<f64> {
        Some(self.counter("enters")? as f64 / self.requests.max(1) as f64)
    }

    /// SQEs submitted per `io_uring_enter` call.
    pub(super) fn sqes_per_enter(&self) -> Option<f64> {
        let enters = self.counter("enters")?;
        Some(self.counter("sqes_submitted")? as f64 / enters.max(1) as f64)
    }

    /// Share of one CPU the server used during the window.
    pub(super) fn server_util(&self) -> f64 {
        self.server_cpu_ns as f64 / 1e9 / self.elapsed_s
    }

    /// Share of one CPU the load generator used during the window.
    pub(super) fn client_util(&self) -> f64 {
        self.client_cpu_ns as f64 / 1e9 / self.elapsed_s
    }
}

/// Median and range of one metric over the rounds.
#[derive(Clone, Copy)]
pub(super) struct Spread {
    pub(super) median: f64,
    pub(super) min: f64,
    pub(super) max: f64,
}

impl Spread {
    pub(super) fn of(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        Self {
            median,
            min: values[0],
            max: values[n - 1],
        }
    }

    /// The spread of the values present, or `None` if any run lacks one.
    pub(super) fn of_all(values: impl Iterator<Item = Option<f64>>) -> Option<Self> {
        let values: Option<Vec<f64>> = values.collect();
        values.filter(|v| !v.is_empty()).map(Self::of)
    }

    pub(super) fn json(&self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }
}

/// A median as a table cell with `decimals` decimals, `-` if absent.
fn cell(v: Option<Spread>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_string(), |s| format!("{:.decimals$}", s.median))
}

pub(super) fn run_json(name: &str, case: Case, round: usize, s: &Sample) -> Value {
    json!({
        "server": name, "size": case.size, "conns": case.conns, "round": round + 1,
        "requests": s.requests, "elapsed_s": s.elapsed_s, "rps": s.rps,
        "server_cpu_ns": s.server_cpu_ns, "cpu_ns_per_req": s.cpu_ns_per_req(),
        "server_user_ns": s.server_split_ns.map(|s| s.0),
        "server_sys_ns": s.server_split_ns.map(|s| s.1),
        "user_ns_per_req": s.user_ns_per_req(), "sys_ns_per_req": s.sys_ns_per_req(),
        "client_cpu_ns": s.client_cpu_ns, "p50_us": s.p50_us, "p99_us": s.p99_us,
        "server_metrics": s.metrics,
        "enters_per_req": s.enters_per_req(), "sqes_per_enter": s.sqes_per_enter(),
        "cpu_split_ns_per_req": s.split_ns_per_req().map(|ns| split_json(&ns)),
    })
}

/// `{category: ns}` of one split.
fn split_json(ns: &[f64; CATEGORIES.len()]) -> Value {
    CATEGORIES
        .iter()
        .zip(ns)
        .map(|(c, v)| (c.to_string(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Prints, for `--perf` runs, the median server CPU per request in each category, and
/// returns the same figures as JSON.
pub(super) fn print_split(
    cfg: &Config,
    servers: &[Server],
    samples: &BTreeMap<(Case, usize), Vec<Sample>>,
) -> Vec<Value> {
    let mut out = Vec::new();
    if !cfg.perf || samples.is_empty() {
        return out;
    }
    println!(
        "\nwhere the server's CPU goes, ns/request (median of the rounds; perf cpu-clock samples \
         of the window, by kernel symbol, times CPU/request)"
    );
    print!("{:>5} {:>5}  {:<18}", "size", "conns", "server");
    for c in CATEGORIES {
        print!(" {c:>9}");
    }
    println!(" {:>9}", "total");
    for &case in &cfg.cases {
        for (si, server) in servers.iter().enumerate() {
            let Some(runs) = samples.get(&(case, si)) else {
                continue;
            };
            let splits: Vec<[f64; CATEGORIES.len()]> =
                runs.iter().filter_map(Sample::split_ns_per_req).collect();
            if splits.is_empty() {
                continue;
            }
            let medians: [f64; CATEGORIES.len()] =
                std::array::from_fn(|i| Spread::of(splits.iter().map(|s| s[i]).collect()).median);
            let total = Spread::of(runs.iter().map(Sample::cpu_ns_per_req).collect()).median;
            print!("{:>5} {:>5}  {:<18}", case.size, case.conns, server.name);
            for v in medians {
                print!(" {v:>9.0}");
            }
            println!(" {total:>9.0}");
            out.push(json!({
                "server": server.name, "size": case.size, "conns": case.conns,
                "ns_per_req": split_json(&medians), "cpu_ns_per_req": total,
            }));
        }
    }
    println!(
        "tcp/ip+: every other kernel symbol (TCP/IP, loopback, memory); syscall: entry, exit and \
         the __sys_/__x64_sys_ wrappers;\nepoll: ep_*, sock_poll, tcp_poll; fd: fdget/fput; sched: \
         schedule, wake-ups; user: the server's own code and libc;\neach column is its own median, so a row need not add up to the total"
    );
    out
}

/// The median over rounds of `runs`' CPU per request divided by `base`'s in the same round:
/// on a shared machine a slow round slows every server in it, so this pairs them.
fn paired_cpu_ratio(runs: &[Sample], base: &[Sample]) -> Option<f64> {
    let ratios: Vec<f64> = runs
        .iter()
        .filter_map(|r| {
            let b = base.iter().find(|b| b.round == r.round)?;
            Some(r.cpu_ns_per_req() / b.cpu_ns_per_req())
        })
        .collect();
    (!ratios.is_empty()).then(|| Spread::of(ratios).median)
}

/// Prints the comparison table and returns the same figures as JSON.
pub(super) fn print_table(
    cfg: &Config,
    servers: &[Server],
    samples: &BTreeMap<(Case, usize), Vec<Sample>>,
) -> Vec<Value> {
    let mut summary = Vec::new();
    if samples.is_empty() {
        return summary;
    }
    println!(
        "\necho ping-pong, median of {} rounds [min-max]; {} s measured after {} s warm-up; \
         server on CPU {}, loadgen on CPU {}",
        cfg.rounds, cfg.duration, cfg.warmup, cfg.server_cpu, cfg.client_cpu
    );
    println!(
        "{:>5} {:>5}  {:<16} {:>27} {:>22} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8} {:>5} {:>5}",
        "size",
        "conns",
        "server",
        "req/s",
        "server CPU ns/req",
        "usr",
        "sys",
        "ent/req",
        "sqe/ent",
        "CPU/ct",
        "pCPU/ct",
        "rps/ct",
        "p50 µs",
        "p99 µs",
        "srv%",
        "lg%"
    );
    let baseline = servers.iter().position(|s| s.name == BASELINE);
    for &case in &cfg.cases {
        let base = baseline.and_then(|b| samples.get(&(case, b)));
        let base_rps = base.map(|v| Spread::of(v.iter().map(|s| s.rps).collect()).median);
        let base_cpu =
            base.map(|v| Spread::of(v.iter().map(Sample::cpu_ns_per_req).collect()).median);
        for (si, server) in servers.iter().enumerate() {
            let Some(runs) = samples.get(&(case, si)) else {
                continue;
            };
            let pick = |f: fn(&Sample) -> f64| Spread::of(runs.iter().map(f).collect());
            let rps = pick(|s| s.rps);
            let cpu = pick(Sample::cpu_ns_per_req);
            let user = Spread::of_all(runs.iter().map(Sample::user_ns_per_req));
            let sys = Spread::of_all(runs.iter().map(Sample::sys_ns_per_req));
            let enters = Spread::of_all(runs.iter().map(Sample::enters_per_req));
            let sqes = Spread::of_all(runs.iter().map(Sample::sqes_per_enter));
            let p50 = pick(|s| s.p50_us);
            let p99 = pick(|s| s.p99_us);
            let srv = pick(Sample::server_util);
            let lg = pick(Sample::client_util);
            let cpu_ratio = base_cpu.map(|b| cpu.median / b);
            let paired = base.and_then(|b| paired_cpu_ratio(runs, b));
            let rps_ratio = base_rps.map(|b| rps.median / b);
            let ratio = |r: Option<f64>| r.map_or_else(|| "-".to_string(), |r| format!("{r:.2}"));
            println!(
                "{:>5} {:>5}  {:<16} {:>9.0} [{:>7.0}-{:>7.0}] {:>6.0} [{:>6.0}-{:>6.0}] {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8.1} {:>8.1} {:>5.0} {:>5.0}",
                case.size,
                case.conns,
                server.name,
                rps.median,
                rps.min,
                rps.max,
                cpu.median,
                cpu.min,
                cpu.max,
                cell(user, 0),
                cell(sys, 0),
                cell(enters, 2),
                cell(sqes, 2),
                ratio(cpu_ratio),
                ratio(paired),
                ratio(rps_ratio),
                p50.median,
                p99.median,
                srv.median * 100.0,
                lg.median * 100.0,
            );
            summary.push(json!({
                "server": server.name, "size": case.size, "conns": case.conns,
                "rounds": runs.len(),
                "rps": rps.json(), "cpu_ns_per_req": cpu.json(),
                "user_ns_per_req": user.map(|s| s.json()),
                "sys_ns_per_req": sys.map(|s| s.json()),
                "enters_per_req": enters.map(|s| s.json()),
                "sqes_per_enter": sqes.map(|s| s.json()),
                "p50_us": p50.json(), "p99_us": p99.json(),
                "server_cpu_util": srv.json(), "loadgen_cpu_util": lg.json(),
                "cpu_per_req_vs_baseline": cpu_ratio,
                "cpu_per_req_vs_baseline_paired": paired,
                "rps_vs_baseline": rps_ratio,
            }));
        }
    }
    println!(
        "usr, sys: median server user and system (kernel) CPU ns/req, the total split in the \
         ratio of utime to stime over the window;\nent/req, sqe/ent: io_uring_enter calls per request \
         and SQEs submitted per call (servers that count them);\nCPU/ct, rps/ct: ratio of the medians to \
         {BASELINE}; pCPU/ct: median over rounds of the ratio to {BASELINE} in the same round; srv%, lg%: CPU use of the server and of the load generator (100 = one CPU)"
    );
    summary
}
