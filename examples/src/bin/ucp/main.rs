//! `ucp`: copies files and directory trees through io_uring, with many reads and writes in
//! flight and many small files copied at once.
//!
//! ```text
//! ucp [-r] [-f] [--direct] [--qd N] [--bs SIZE] [--verify] [--progress|--no-progress] [--json] SRC... DST
//! ```
//!
//! One runtime on one thread. Walking the source lists directories (`getdents64` on the
//! blocking pool, as `uring_rt::fs::read_dir` does) and starts one task per file, up to a
//! bound; each task stats, opens, reads, writes, closes and renames through the ring. Reads
//! and writes take a buffer from one pool of `--qd` buffers of `--bs` bytes (registered with
//! the ring when the locked-memory limit allows), so at most `--qd` of them are in flight.
//!
//! Modules: `job` (options, shared state, the first error), `tree` (sources, destination
//! names, directories, symlinks), `file` (one regular file), `bufs` (the buffer pool),
//! `verify` (`--verify`), `interrupt` (Ctrl-C).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use clap::Parser;

mod bufs;
mod file;
mod interrupt;
mod job;
mod tree;
mod verify;

use job::{Job, Options};

/// What `--help` says after the options.
const AFTER_HELP: &str = "\
Preserved by default (-p, in the spirit of `cp -a`): permission bits (including setuid,
setgid and sticky), modification and access times of files and directories, symbolic links
as links, empty files and directories, and the holes of sparse files (found with SEEK_DATA /
SEEK_HOLE). Not preserved: owner and group, extended attributes and ACLs, hard links (each
link becomes a file of its own), the times of symbolic links. --no-preserve keeps only the
data, links and holes.

Safety: without -f an existing destination file is an error and nothing is overwritten. Each
file is written under a temporary name (.NAME.ucp-PID-N) in its destination directory and
renamed into place once complete. On an error, or Ctrl-C, ucp stops, removes its temporary
files, names the file and the cause on one line of stderr and exits non-zero (130 after
Ctrl-C); files already renamed into place are complete copies.";

/// Command line (see `--help`).
#[derive(Debug, Parser)]
#[command(
    name = "ucp",
    version,
    about = "Copy files and directory trees through io_uring, many reads and writes in flight",
    after_help = AFTER_HELP
)]
struct Cli {
    /// Copy directories recursively.
    #[arg(short = 'r', long = "recursive")]
    recursive: bool,
    /// Overwrite existing destination files (each is replaced atomically by a rename).
    #[arg(short = 'f', long = "force")]
    force: bool,
    /// Preserve permissions and times (on by default; see below).
    #[arg(short = 'p', long = "preserve", overrides_with = "no_preserve")]
    preserve: bool,
    /// Do not preserve permissions and times: new files get the usual mode (0666 & ~umask).
    #[arg(long, overrides_with = "preserve")]
    no_preserve: bool,
    /// Read and write with O_DIRECT and aligned buffers, bypassing the page cache. The tail
    /// of a file that does not end on an alignment boundary is written through the page
    /// cache; a filesystem without O_DIRECT (tmpfs) is copied buffered.
    #[arg(long)]
    direct: bool,
    /// Reads and writes in flight at once (the number of buffers).
    #[arg(long, value_name = "N", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    qd: u32,
    /// Size of each read and write: 4k, 64k, 1M, 1G, ...
    #[arg(long, value_name = "SIZE", default_value = "1M", value_parser = examples::parse_size)]
    bs: u64,
    /// After copying, re-read every source and destination file and compare xxh3-128
    /// checksums.
    #[arg(long)]
    verify: bool,
    /// Show a progress bar on stderr (default: only when stderr is a terminal).
    #[arg(long, overrides_with = "no_progress")]
    progress: bool,
    /// Never show a progress bar.
    #[arg(long, overrides_with = "progress")]
    no_progress: bool,
    /// Copy every file through ucp's buffers (reads and writes on the ring), also the large
    /// buffered files that are otherwise copied inside the kernel (copy_file_range).
    #[arg(long)]
    no_kernel_copy: bool,
    /// Print one JSON object {"files","bytes","seconds"} on stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// Sources, then the destination (a directory when there are several sources).
    #[arg(value_name = "SRC... DST", num_args = 2.., required = true)]
    paths: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli: Cli = examples::parse_args("ucp");
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// Copies; on failure the one-line message is printed and the exit code returned.
fn run(mut cli: Cli) -> Result<(), ExitCode> {
    let fail = |msg: String| {
        eprintln!("ucp: {msg}");
        ExitCode::from(1)
    };
    if cli.bs > 1 << 30 {
        return Err(fail(format!("--bs {}: at most 1G", cli.bs)));
    }
    if cli.direct && cli.bs % 4096 != 0 {
        return Err(fail(format!(
            "--bs {}: with --direct it must be a multiple of 4096",
            cli.bs
        )));
    }
    interrupt::install().map_err(|e| fail(format!("installing the SIGINT handler: {e}")))?;
    let dst = cli.paths.pop().expect("clap requires two paths");
    let progress = !cli.no_progress && (cli.progress || std::io::stderr().is_terminal());
    let options = Options {
        recursive: cli.recursive,
        force: cli.force,
        preserve: !cli.no_preserve,
        direct: cli.direct,
        qd: cli.qd as usize,
        bs: cli.bs as usize,
        verify: cli.verify,
        progress,
        kernel_copy: !cli.no_kernel_copy,
    };
    let rt = uring_rt::Runtime::new().map_err(|e| fail(format!("io_uring: {e}")))?;
    let started = Instant::now();
    let outcome = rt.block_on(async move {
        let job = Rc::new(Job::new(options));
        let result = tree::copy_all(&job, cli.paths, dst).await;
        let result = match result {
            Ok(()) if job.options.verify => verify::verify_all(&job).await,
            other => other,
        };
        job.finish(result).await
    });
    let seconds = started.elapsed().as_secs_f64();
    match outcome {
        Ok((files, bytes)) => {
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({ "files": files, "bytes": bytes, "seconds": seconds })
                );
            } else {
                let rate = bytes as f64 / seconds.max(1e-9);
                println!(
                    "ucp: copied {files} file{} ({}) in {seconds:.2} s, {}/s{}",
                    if files == 1 { "" } else { "s" },
                    examples::human_bytes(bytes),
                    examples::human_bytes(rate as u64),
                    if cli.verify { ", verified" } else { "" },
                );
            }
            Ok(())
        }
        Err(message) => {
            eprintln!("ucp: {message}");
            Err(ExitCode::from(if interrupt::interrupted() {
                130
            } else {
                1
            }))
        }
    }
}
