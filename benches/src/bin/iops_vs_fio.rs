//! `uring-iops` against fio's `io_uring` engine on the same file in the same run: 4 KiB random
//! reads with `O_DIRECT` at queue depths 1, 32 and 128 (by default), IOPS and p99 latency
//! side by side. Rounds alternate the order of the two tools; each figure is the median of
//! the rounds.
//!
//! ```text
//! cargo run --release -p benches --bin iops_vs_fio [-- --rounds 5 --secs 3 --qd 1,32,128]
//! ```
//!
//! It builds `uring-iops` (`cargo build --release -p examples --bin uring-iops`) unless
//! `--no-build`, and needs `fio` on PATH. Both run one thread on the same CPU (`--cpu`, with
//! `taskset`; `uring-iops` pins its runtime inside that mask); fio with `--norandommap
//! --randrepeat=0` (offsets drawn at random, as `uring-iops` does) and `--lat_percentiles=1`
//! (latency from submission to completion, as `uring-iops` measures it). The data file
//! (`--file`, default `/var/tmp/uring-rt-fileio/data.bin`, 1 GiB) is written once and kept.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use serde_json::Value;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "iops_vs_fio",
    about = "uring-iops vs fio (io_uring engine), side by side"
)]
struct Cli {
    /// The data file (not on a tmpfs: O_DIRECT).
    #[arg(long, default_value = "/var/tmp/uring-rt-fileio/data.bin")]
    file: PathBuf,
    /// Its size.
    #[arg(long, default_value = "1G")]
    size: String,
    /// Rounds; each figure is the median.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seconds per run.
    #[arg(long, default_value_t = 3)]
    secs: u64,
    /// Queue depths.
    #[arg(long, value_delimiter = ',', default_value = "1,32,128")]
    qd: Vec<u32>,
    /// Block size.
    #[arg(long, default_value = "4k")]
    bs: String,
    /// The CPU both tools run on (`taskset -c`): the same CPU for both, since one CPU may
    /// be busier than another (interrupts, other processes).
    #[arg(long, default_value_t = 1)]
    cpu: usize,
    /// Do not build uring-iops first.
    #[arg(long)]
    no_build: bool,
}

/// One run's figures.
#[derive(Debug, Clone, Copy)]
struct Figures {
    iops: f64,
    p99_ns: f64,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        eprintln!("iops_vs_fio: {e}");
        std::process::exit(1);
    }
}

fn run(cli: &Cli) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if !cli.no_build {
        let status = Command::new("cargo")
            .args([
                "build",
                "--release",
                "-q",
                "-p",
                "examples",
                "--bin",
                "uring-iops",
            ])
            .current_dir(&root)
            .status()
            .map_err(|e| format!("cargo: {e}"))?;
        if !status.success() {
            return Err("building uring-iops failed".into());
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), PathBuf::from);
    let iops_bin = target.join("release/uring-iops");
    if let Some(dir) = cli.file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // Lay the file out (written, not sparse) once.
    let out = Command::new(&iops_bin)
        .arg(&cli.file)
        .args(["--size", &cli.size, "--ops", "1", "--json"])
        .output()
        .map_err(|e| format!("{}: {e}", iops_bin.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    println!(
        "{} random reads, O_DIRECT, 1 thread on CPU {}, {} rounds x {} s, medians; file {}",
        cli.bs,
        cli.cpu,
        cli.rounds,
        cli.secs,
        cli.file.display()
    );
    println!(
        "{:>5} | {:>12} {:>12} {:>6} | {:>10} {:>10} {:>6}",
        "QD", "fio IOPS", "uring-iops", "ratio", "fio p99", "ours p99", "ratio"
    );
    for &qd in &cli.qd {
        let (mut fio, mut ours) = (Vec::new(), Vec::new());
        for round in 0..cli.rounds {
            // Alternate which tool goes first.
            if round % 2 == 0 {
                fio.push(run_fio(cli, qd)?);
                ours.push(run_ours(cli, &iops_bin, qd)?);
            } else {
                ours.push(run_ours(cli, &iops_bin, qd)?);
                fio.push(run_fio(cli, qd)?);
            }
        }
        let f = median_figures(&fio);
        let o = median_figures(&ours);
        println!(
            "{:>5} | {:>12.0} {:>12.0} {:>6.3} | {:>8.1}us {:>8.1}us {:>6.3}",
            qd,
            f.iops,
            o.iops,
            o.iops / f.iops,
            f.p99_ns / 1e3,
            o.p99_ns / 1e3,
            o.p99_ns / f.p99_ns
        );
    }
    Ok(())
}

fn run_ours(cli: &Cli, bin: &Path, qd: u32) -> Result<Figures, String> {
    let out = Command::new("taskset")
        .args(["-c", &cli.cpu.to_string()])
        .arg(bin)
        .arg(&cli.file)
        .args(["--rw", "randread", "--direct", "--bs", &cli.bs, "--json"])
        .args([
            "--qd",
            &qd.to_string(),
            "--runtime",
            &format!("{}s", cli.secs),
        ])
        .output()
        .map_err(|e| format!("uring-iops: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("uring-iops: {e}"))?;
    Ok(Figures {
        iops: v["iops"].as_f64().ok_or("uring-iops: no iops")?,
        p99_ns: v["lat_ns"]["p99"].as_f64().ok_or("uring-iops: no p99")?,
    })
}

fn run_fio(cli: &Cli, qd: u32) -> Result<Figures, String> {
    let out = Command::new("fio")
        .args([
            "--name=randread",
            "--ioengine=io_uring",
            "--rw=randread",
            "--direct=1",
        ])
        .arg(format!("--filename={}", cli.file.display()))
        .arg(format!("--bs={}", cli.bs))
        .arg(format!("--size={}", cli.size))
        .arg(format!("--iodepth={qd}"))
        .arg(format!("--runtime={}", cli.secs))
        .args([
            "--time_based",
            "--norandommap",
            "--randrepeat=0",
            "--lat_percentiles=1",
        ])
        .args(["--numjobs=1", "--output-format=json"])
        .output()
        .map_err(|e| format!("fio: {e} (install it: apt-get install fio)"))?;
    if !out.status.success() {
        return Err(format!(
            "fio: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // fio may print notices before the JSON object.
    let text = String::from_utf8_lossy(&out.stdout);
    let json = &text[text.find('{').ok_or("fio: no JSON output")?..];
    let v: Value = serde_json::from_str(json).map_err(|e| format!("fio: {e}"))?;
    let read = &v["jobs"][0]["read"];
    Ok(Figures {
        iops: read["iops"].as_f64().ok_or("fio: no iops")?,
        p99_ns: read["lat_ns"]["percentile"]["99.000000"]
            .as_f64()
            .ok_or("fio: no p99 latency")?,
    })
}

fn median_figures(v: &[Figures]) -> Figures {
    let med = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    Figures {
        iops: med(v.iter().map(|f| f.iops).collect()),
        p99_ns: med(v.iter().map(|f| f.p99_ns).collect()),
    }
}
