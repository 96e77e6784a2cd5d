//! Runs the echo benchmark against every server and prints a comparison table.
//!
//! ```text
//! cargo run --release -p benches --bin compare [-- OPTIONS]     (options: `--help`)
//! ```
//!
//! Each run starts a fresh server process pinned to one CPU, waits until it accepts, and runs
//! `loadgen` pinned to the other CPU; `loadgen` reports requests, latency percentiles and the
//! server's CPU time over the measured window. Servers alternate within each round
//! (A B C A B C ...), and each figure is the median of the rounds with its min-max spread.
//! Ratios are relative to tokio `current_thread` (`tokio-ct`).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{CommandFactory, FromArgMatches, Parser};
use serde_json::json;

/// Command line: `cargo run --release -p benches [--features monoio,glommio,tokio-uring]
/// --bin compare -- [OPTIONS]`.
#[derive(Debug, Parser)]
#[command(name = "compare", about = "Echo benchmark: every server side by side")]
struct Cli {
    /// Long suite: sizes 64 and 4096 x conns 1, 16, 256, 5 rounds of 1 s warm-up + 5 s
    /// measured per run, then the idle-connection memory test.
    #[arg(long)]
    full: bool,
    /// Add the idle-connection memory test to the short suite.
    #[arg(long)]
    mem: bool,
    /// Run only the idle-connection memory test.
    #[arg(long)]
    mem_only: bool,
    /// Servers to run, by name (comma-separated).
    #[arg(long, value_name = "A,B")]
    only: Option<String>,
    /// Write every run, the medians and the memory figures to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Draw server CPU per request and requests/s per server and workload to FILE.svg.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// Rounds (default 3, 5 with --full).
    #[arg(long)]
    rounds: Option<usize>,
    /// Warm-up seconds per run (default 0.25, 1 with --full).
    #[arg(long, value_name = "SECS")]
    warmup: Option<f64>,
    /// Measured seconds per run (default 0.75, 5 with --full).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Idle connections of the memory test.
    #[arg(long, default_value_t = 10_000)]
    mem_conns: usize,
    /// CPU the servers are pinned to.
    #[arg(long, default_value_t = 0)]
    server_cpu: usize,
    /// CPU the load generator is pinned to.
    #[arg(long, default_value_t = 1)]
    client_cpu: usize,
    /// Do not run `cargo build --bins` first.
    #[arg(long)]
    no_build: bool,
    /// Also sample each server with `perf record -e cpu-clock` over the measured window and
    /// print where its CPU per request goes (TCP/IP, io_uring, system calls, epoll, fd lookup,
    /// scheduler, user space). Needs `perf` (Debian: linux-perf).
    #[arg(long)]
    perf: bool,
}

/// Printed after the options by `--help` (with the list of servers).
const AFTER_HELP: &str = "\
The short suite (default) runs sizes 64 (conns 1, 16, 256) and 4096 (conns 16), 3 rounds of
0.25 s warm-up + 0.75 s measured per run.";

/// The servers compared: display name, binary name (in `src/bin/`), extra arguments, and
/// whether it reports its counters (`--metrics`, see `benches::server_metrics`).
/// A server whose binary was not built (a feature not enabled) is skipped.
const SERVERS: &[(&str, &str, &[&str], bool)] = &[
    ("uring-rt", "echo_uring_rt", &[], true),
    ("uring-rt-ms", "echo_uring_rt", &["--multishot"], true),
    // The provided-buffer ring's switches on the multishot path (both off in `uring-rt-ms`).
    (
        "uring-rt-ms-bundle",
        "echo_uring_rt",
        &["--multishot", "--bundle", "true"],
        true,
    ),
    (
        "uring-rt-ms-inc",
        "echo_uring_rt",
        &["--multishot", "--incremental", "true"],
        true,
    ),
    (
        "uring-rt-ms-both",
        "echo_uring_rt",
        &["--multishot", "--bundle", "true", "--incremental", "true"],
        true,
    ),
    ("uring-rt-epoll", "echo_uring_rt", &["--epoll"], false),
    // The builder's kernel-work switches, each turned on (both off in `uring-rt`, the
    // library's defaults).
    (
        "uring-rt-ringfd",
        "echo_uring_rt",
        &["--register-ring-fd", "true"],
        true,
    ),
    (
        "uring-rt-nosqarr",
        "echo_uring_rt",
        &["--no-sqarray", "true"],
        true,
    ),
    (
        "uring-rt-direct",
        "echo_uring_rt",
        &["--direct-descriptors", "1024"],
        true,
    ),
    (
        "uring-rt-sw-on",
        "echo_uring_rt",
        &[
            "--register-ring-fd",
            "true",
            "--no-sqarray",
            "true",
            "--direct-descriptors",
            "1024",
        ],
        true,
    ),
    // The multishot path with every kernel-work switch on.
    (
        "uring-rt-ms-sw-on",
        "echo_uring_rt",
        &[
            "--multishot",
            "--register-ring-fd",
            "true",
            "--no-sqarray",
            "true",
            "--direct-descriptors",
            "1024",
        ],
        true,
    ),
    // Every switch on: the multishot path with both provided-buffer ring switches and all
    // three kernel-work switches.
    (
        "uring-rt-ms-all",
        "echo_uring_rt",
        &[
            "--multishot",
            "--bundle",
            "true",
            "--incremental",
            "true",
            "--register-ring-fd",
            "true",
            "--no-sqarray",
            "true",
            "--direct-descriptors",
            "1024",
        ],
        true,
    ),
    ("tokio-ct", "echo_tokio_ct", &[], false),
    ("tokio-mt1", "echo_tokio_mt", &[], false),
    ("monoio", "echo_monoio", &[], false),
    ("monoio-epoll", "echo_monoio", &["--legacy"], false),
    ("glommio", "echo_glommio", &[], false),
    ("tokio-uring", "echo_tokio_uring", &[], false),
    ("raw-uring", "echo_raw_uring", &[], true),
    ("raw-uring-defer", "echo_raw_uring", &["--defer"], true),
    (
        "raw-uring-defer-pf",
        "echo_raw_uring",
        &["--defer", "--poll-first"],
        true,
    ),
];

/// Binaries gated by a cargo feature: skipped unless this binary was built with the feature,
/// so a stale binary left by an earlier build with other features is never run.
const FEATURE_BINS: &[(&str, bool)] = &[
    ("echo_monoio", cfg!(feature = "monoio")),
    ("echo_glommio", cfg!(feature = "glommio")),
    ("echo_tokio_uring", cfg!(feature = "tokio-uring")),
];

/// The baseline of every ratio.
const BASELINE: &str = "tokio-ct";

/// First port servers listen on; each run takes the next one, so no run meets the previous
/// run's sockets in TIME_WAIT.
const FIRST_PORT: u16 = 21_000;
const PORT_SPAN: u16 = 4_000;

/// One benchmark case: payload size and number of connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Case {
    size: usize,
    conns: usize,
}

/// What to run.
struct Config {
    cases: Vec<Case>,
    rounds: usize,
    warmup: f64,
    duration: f64,
    echo: bool,
    mem: bool,
    mem_conns: usize,
    server_cpu: usize,
    client_cpu: usize,
    json: Option<PathBuf>,
    plot: Option<PathBuf>,
    perf: bool,
}

/// A server to run, resolved to its binary.
struct Server {
    name: &'static str,
    path: PathBuf,
    args: &'static [&'static str],
    /// Started with `--metrics`; loadgen signals it for snapshots of its counters.
    metrics: bool,
}

mod mem;
mod plot;
mod profile;
mod report;
mod run;

use mem::{mem_json, print_mem, run_mem};
use report::{print_split, print_table, run_json, Sample};
use run::{run_echo, ServerProcess};

fn main() {
    if let Err(e) = run() {
        eprintln!("compare: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let names: Vec<&str> = SERVERS.iter().map(|s| s.0).collect();
    let matches = Cli::command()
        .after_help(format!("{AFTER_HELP}\n\nservers: {}", names.join(", ")))
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let full = cli.full;
    let mem_only = cli.mem_only;
    let mem = cli.mem || full || mem_only;
    let no_build = cli.no_build;
    let only = cli.only;
    let short_cases = vec![
        Case { size: 64, conns: 1 },
        Case {
            size: 64,
            conns: 16,
        },
        Case {
            size: 64,
            conns: 256,
        },
        Case {
            size: 4096,
            conns: 16,
        },
    ];
    let full_cases = [64, 4096]
        .into_iter()
        .flat_map(|size| [1, 16, 256].map(|conns| Case { size, conns }))
        .collect();
    let cfg = Config {
        cases: if full { full_cases } else { short_cases },
        rounds: cli.rounds.unwrap_or(if full { 5 } else { 3 }),
        warmup: cli.warmup.unwrap_or(if full { 1.0 } else { 0.25 }),
        duration: cli.duration.unwrap_or(if full { 5.0 } else { 0.75 }),
        echo: !mem_only,
        mem,
        mem_conns: cli.mem_conns,
        server_cpu: cli.server_cpu,
        client_cpu: cli.client_cpu,
        json: cli.json,
        plot: cli.plot,
        perf: cli.perf,
    };
    if cfg.rounds == 0 {
        return Err(io::Error::other("--rounds must be at least 1"));
    }

    if cfg.perf {
        profile::check_perf()?;
    }
    if !no_build {
        build_bins()?;
    }
    // The orchestrator stays off the server's CPU; its children re-pin themselves.
    benches::pin_to_cpu(cfg.client_cpu)?;
    benches::raise_nofile_limit(benches::NOFILE_WANTED)?;

    let bin_dir = std::env::current_exe()?
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| io::Error::other("no directory for the current executable"))?;
    let loadgen = bin_dir.join("loadgen");
    if !loadgen.exists() {
        return Err(io::Error::other(format!("{} not built", loadgen.display())));
    }
    let servers = select_servers(&bin_dir, only.as_deref())?;

    let mut ports = (0..).map(|i: u32| FIRST_PORT + (i % u32::from(PORT_SPAN)) as u16);
    let mut samples: BTreeMap<(Case, usize), Vec<Sample>> = BTreeMap::new();
    let mut runs = Vec::new();
    if cfg.echo {
        let total = cfg.cases.len() * cfg.rounds * servers.len();
        eprintln!(
            "echo ping-pong: {total} runs of {} s warm-up + {} s measured (~{:.0} s); \
             server on CPU {}, load generator on CPU {}",
            cfg.warmup,
            cfg.duration,
            total as f64 * (cfg.warmup + cfg.duration + 0.1),
            cfg.server_cpu,
            cfg.client_cpu,
        );
        for &case in &cfg.cases {
            for round in 0..cfg.rounds {
                for (si, server) in servers.iter().enumerate() {
                    let port = ports.next().unwrap_or(FIRST_PORT);
                    match run_echo(server, case, port, &loadgen, &cfg) {
                        Ok(mut s) => {
                            s.round = round;
                            eprintln!(
                                "  size {:>4} conns {:>3} round {} {:<16} {:>9.0} req/s {:>7.0} ns/req",
                                case.size,
                                case.conns,
                                round + 1,
                                server.name,
                                s.rps,
                                s.cpu_ns_per_req()
                            );
                            runs.push(run_json(server.name, case, round, &s));
                            samples.entry((case, si)).or_default().push(s);
                        }
                        Err(e) => eprintln!(
                            "  size {} conns {} round {} {}: FAILED: {e}",
                            case.size,
                            case.conns,
                            round + 1,
                            server.name
                        ),
                    }
                }
            }
        }
    }

    let mut mem_results = Vec::new();
    if cfg.mem {
        eprintln!("idle memory: {} connections per server", cfg.mem_conns);
        for server in &servers {
            let port = ports.next().unwrap_or(FIRST_PORT);
            match run_mem(server, port, &cfg) {
                Ok(m) => mem_results.push(m),
                Err(e) => eprintln!("  {}: FAILED: {e}", server.name),
            }
        }
    }

    let summary = print_table(&cfg, &servers, &samples);
    let split = print_split(&cfg, &servers, &samples);
    print_mem(&mem_results);
    if let (Some(path), false) = (&cfg.plot, samples.is_empty()) {
        let title = format!(
            "echo ping-pong, medians of {} rounds of {} s (kernel {})",
            cfg.rounds,
            cfg.duration,
            kernel_release()
        );
        plot::plot(path, &title, &cfg.cases, &servers, &samples)?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &cfg.json {
        let doc = json!({
            "config": {
                "rounds": cfg.rounds, "warmup_s": cfg.warmup, "duration_s": cfg.duration,
                "server_cpu": cfg.server_cpu, "client_cpu": cfg.client_cpu,
                "kernel": kernel_release(), "baseline": BASELINE,
            },
            "runs": runs,
            "summary": summary,
            "cpu_split": split,
            "idle_memory": mem_results.iter().map(mem_json).collect::<Vec<_>>(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Builds every binary of this crate, with the profile and features this binary was built
/// with (`cargo run --bin compare` builds only `compare`).
fn build_bins() -> io::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "benches", "--bins"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let features: Vec<&str> = [
        (cfg!(feature = "monoio"), "monoio"),
        (cfg!(feature = "glommio"), "glommio"),
        (cfg!(feature = "tokio-uring"), "tokio-uring"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    let status = cmd.status()?;
    if !status.success() {
        return Err(io::Error::other(format!("cargo build failed: {status}")));
    }
    Ok(())
}

/// The servers of [`SERVERS`] that are built and selected by `--only`.
fn select_servers(bin_dir: &Path, only: Option<&str>) -> io::Result<Vec<Server>> {
    let wanted: Option<Vec<&str>> = only.map(|s| s.split(',').map(str::trim).collect());
    if let Some(wanted) = &wanted {
        for name in wanted {
            if !SERVERS.iter().any(|(n, ..)| n == name) {
                return Err(io::Error::other(format!("unknown server {name}")));
            }
        }
    }
    let mut servers = Vec::new();
    for &(name, bin, args, metrics) in SERVERS {
        if wanted.as_ref().is_some_and(|w| !w.contains(&name)) {
            continue;
        }
        let path = bin_dir.join(bin);
        if FEATURE_BINS.iter().any(|&(b, on)| b == bin && !on) {
            eprintln!("skipping {name}: feature for {bin} not enabled");
        } else if path.exists() {
            servers.push(Server {
                name,
                path,
                args,
                metrics,
            });
        } else {
            eprintln!("skipping {name}: {bin} not built");
        }
    }
    if servers.is_empty() {
        return Err(io::Error::other("no server to run"));
    }
    Ok(servers)
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
