//! Helpers shared by the example programs and tools: size and duration arguments, byte
//! counts for people, and command-line errors on one line.

use std::time::Duration;

/// Parses a size such as `4096`, `4k`, `1M`, `1G`, `512KiB` or `2MB` (binary multiples:
/// `k` = 1024). Used as a clap `value_parser`.
///
/// # Errors
///
/// A message naming what is wrong: not a number, an unknown suffix, zero, or too large.
///
/// # Examples
///
/// ```
/// assert_eq!(examples::parse_size("4k"), Ok(4096));
/// assert_eq!(examples::parse_size("1M"), Ok(1 << 20));
/// assert_eq!(examples::parse_size("1GiB"), Ok(1 << 30));
/// assert!(examples::parse_size("12x").is_err());
/// assert!(examples::parse_size("0").is_err());
/// ```
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits == 0 {
        return Err(format!(
            "{text:?} is not a size (examples: 4096, 4k, 1M, 1G)"
        ));
    }
    let number: u64 = text[..digits]
        .parse()
        .map_err(|_| format!("{text:?} is too large"))?;
    let shift = match text[digits..].to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        suffix => {
            return Err(format!(
                "{text:?}: unknown suffix {suffix:?} (use k, M, G or T)"
            ))
        }
    };
    if number == 0 {
        return Err(format!("{text:?}: the size must be at least 1 byte"));
    }
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// Parses a duration such as `10s`, `500ms`, `2m`, `1h` or a plain number of seconds.
///
/// # Errors
///
/// A message naming what is wrong.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(examples::parse_duration("10s"), Ok(Duration::from_secs(10)));
/// assert_eq!(examples::parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(examples::parse_duration("1.5"), Ok(Duration::from_millis(1500)));
/// assert!(examples::parse_duration("soon").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..split]
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (examples: 10s, 500ms, 2m)"))?;
    let unit = match &text[split..] {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "us" => 1e-6,
        "m" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (use ms, s, m or h)"
            ))
        }
    };
    let secs = number * unit;
    if !(secs > 0.0 && secs < 1e9) {
        return Err(format!("{text:?}: the duration must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `bytes` for people, in binary units: `512 B`, `4.0 KiB`, `1.50 GiB`.
///
/// # Examples
///
/// ```
/// assert_eq!(examples::human_bytes(512), "512 B");
/// assert_eq!(examples::human_bytes(1536), "1.5 KiB");
/// assert_eq!(examples::human_bytes(3 << 30), "3.0 GiB");
/// ```
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Parses the command line with clap; on a usage error prints ONE line on stderr
/// (`PROGRAM: error: ...`) and exits with status 2. `--help` and `--version` print as usual.
///
/// # Examples
///
/// ```no_run
/// #[derive(clap::Parser)]
/// struct Cli {
///     #[arg(long)]
///     verbose: bool,
/// }
/// let cli: Cli = examples::parse_args("tool");
/// ```
pub fn parse_args<T: clap::Parser>(program: &str) -> T {
    match T::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // clap's message spans lines (a list of missing arguments, usage, a hint):
            // keep the message, drop the usage and the hint, join the rest.
            let text = e.render().to_string();
            let message: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .filter(|l| !l.is_empty())
                .collect();
            let message = message.join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            eprintln!("{program}: {message} (see --help)");
            std::process::exit(2);
        }
    }
}
