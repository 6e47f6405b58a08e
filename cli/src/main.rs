//! `seclog`: keys, verification and reading of tamper-evident seclog files.
//!
//! - `seclog keygen --out <file>` writes a new chain key (mode 0600, never over an existing
//!   file) and prints its id; `--verifier` writes a verifier's private key instead and prints
//!   the public key that `SECLOG_SEAL_TO` takes.
//! - `seclog verify --key <file> PATH...` groups sealed records by chain, orders them by `seq`
//!   and prints per chain what is missing, what is wrong and how it ends (`--json`: one JSON
//!   object); exit code 0 when every chain verifies with nothing missing, 1 otherwise (or on an
//!   open end with `--require-closed`), 2 on usage or I/O errors.
//! - `seclog cat <file|dir>` prints records one per line, readably, with filters.
//! - `seclog stats [--json] [--since T] [--until T] [--top N] PATH...` summarises records.
//! - `seclog report -o report.html PATH...` writes the summary as a self-contained HTML page.
//! - `seclog detect [--json] PATH...` runs the watcher's rules over records merged from many
//!   processes in `ts` order and prints the alerts (as records with `--json`).
#![forbid(unsafe_code)]

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use seclog_cli::verify as verify_cli;
use seclog_runtime::integrity::{self, ChainKey, EndState, Keys, VerifierSecret};
use seclog_runtime::watch::{Rule, Rules};
use serde_json::Value;
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "seclog",
    version,
    about = "Keys, verification and reading of tamper-evident seclog files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a new key (0600; an existing file is never overwritten): a symmetric chain key, or
    /// with `--verifier` a verifier's key pair, whose public key is printed for `SECLOG_SEAL_TO`.
    Keygen {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
        /// Write a verifier's private key (X25519, for HPKE) and print its public key.
        #[arg(long)]
        verifier: bool,
    },
    /// Verify sealed records: a file sink's directory, a collector's archive, CloudWatch
    /// exports, standard input (-). Records are grouped by chain and ordered by seq.
    Verify {
        /// A key file: the verifier's private key, or a symmetric chain key (repeatable).
        #[arg(long, required = true)]
        key: Vec<PathBuf>,
        /// A checkpoint kept off the host (JSON, as the file sink hands it out): its chain
        /// must reach it, or it was cut.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Print one JSON object: verdict, and per chain what is missing, the problems and
        /// how it ends.
        #[arg(long)]
        json: bool,
        /// Exit 1 unless every chain ends closed (its last record is `sys_shutdown`).
        #[arg(long)]
        require_closed: bool,
        /// Files, directories, or - for standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print records readably.
    Cat {
        /// A log file or a directory of log files.
        path: PathBuf,
        /// Only this event.
        #[arg(long)]
        event: Option<String>,
        /// Only this level (INFO, WARN, ...).
        #[arg(long)]
        level: Option<String>,
        /// Only this user.
        #[arg(long)]
        user: Option<String>,
        /// Only records at or after this time (RFC 3339, compared as text).
        #[arg(long)]
        since: Option<String>,
        /// Only records before this time (RFC 3339, compared as text).
        #[arg(long)]
        until: Option<String>,
    },
    /// Summarise records: outcomes, failed logins by IP and user, usage, latency, alerts.
    Stats {
        #[command(flatten)]
        read: ReadArgs,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the watcher's rules over records from many processes, merged in `ts` order, and
    /// print each alert as a record (`--json`) or a table row. Thresholds default to the
    /// in-process watcher's.
    Detect {
        /// Files, log directories, or - for standard input; collectors' archives (any prefix
        /// before each record) and CloudWatch Logs JSON exports too.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write each alert as a seclog record (JSON lines on standard output, or where
        /// SECLOG_OUTPUT says; SECLOG_FORMAT and SECLOG_SEAL_TO apply); the summary goes to
        /// standard error.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Write the summary as one self-contained HTML page.
    Report {
        #[command(flatten)]
        read: ReadArgs,
        /// The HTML file to write.
        #[arg(short, long)]
        out: PathBuf,
    },
}

/// The inputs and filters of `stats` and `report`.
#[derive(clap::Args)]
struct ReadArgs {
    /// Files, log directories (read in chain order), or - for standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Only records at or after this time: RFC 3339, a date, or a duration ago (2h).
    #[arg(long, value_parser = seclog_cli::time::parse_arg)]
    since: Option<i64>,
    /// Only records before this time: RFC 3339, a date, or a duration ago (2h).
    #[arg(long, value_parser = seclog_cli::time::parse_arg)]
    until: Option<i64>,
    /// How many entries each top list shows.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Thresholds of `seclog detect`; each unset one keeps the watcher's default.
#[derive(clap::Args)]
struct RuleArgs {
    /// Brute force: failed logins of one user within a window, as COUNT/WINDOW (10/5m).
    #[arg(long, value_name = "COUNT/WINDOW", value_parser = count_window)]
    brute_force: Option<(u64, Duration)>,
    /// Credential stuffing: distinct users failing from one address within a window (20/10m).
    #[arg(long, value_name = "USERS/WINDOW", value_parser = count_window)]
    credential_stuffing: Option<(u64, Duration)>,
    /// Success after failures: the failures of a user before a successful login that alert.
    #[arg(long, value_name = "FAILURES")]
    success_after_fail: Option<u64>,
    /// Failure spike: how many times its baseline a window's failures must be, as
    /// FACTOR/WINDOW (5/5m).
    #[arg(long, value_name = "FACTOR/WINDOW", value_parser = factor_window)]
    failure_spike: Option<(f64, Duration)>,
    /// Failure spike: the fewest failures in a window that can be one.
    #[arg(long, value_name = "FAILURES")]
    failure_spike_min: Option<u64>,
    /// Failure spike: how many times its baseline failures per success must be.
    #[arg(long, value_name = "FACTOR")]
    failure_spike_rate: Option<f64>,
    /// Latency drift: how many times its baseline p95 an interval's p95 must be.
    #[arg(long, value_name = "FACTOR")]
    perf_drift: Option<f64>,
    /// Latency drift: the fewest calls in an interval for its p95 to count.
    #[arg(long, value_name = "CALLS")]
    perf_drift_min_count: Option<u64>,
    /// Full windows (or intervals) a baseline needs before spikes and drift can alert.
    #[arg(long, value_name = "N")]
    baseline_windows: Option<u32>,
    /// The least time between two alerts for one key (default: the rule's window).
    #[arg(long, value_parser = humantime::parse_duration)]
    cooldown: Option<Duration>,
    /// The summary interval of latency drift, in record time.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
    interval: Duration,
    /// Switch a rule off (repeatable): brute_force, credential_stuffing, success_after_fail,
    /// failure_spike, perf_drift.
    #[arg(long, value_name = "RULE", value_parser = rule_name)]
    disable: Vec<Rule>,
}

impl RuleArgs {
    fn rules(&self) -> Rules {
        let mut r = Rules::default();
        if let Some((n, w)) = self.brute_force {
            r = r.brute_force(n, w);
        }
        if let Some((n, w)) = self.credential_stuffing {
            r = r.credential_stuffing(n, w);
        }
        if let Some(n) = self.success_after_fail {
            r = r.success_after_fail(n);
        }
        if let Some((f, w)) = self.failure_spike {
            r = r.failure_spike(f, w);
        }
        if let Some(n) = self.failure_spike_min {
            r = r.failure_spike_min(n);
        }
        if let Some(f) = self.failure_spike_rate {
            r = r.failure_spike_rate(f);
        }
        if let Some(f) = self.perf_drift {
            r = r.perf_drift(f);
        }
        if let Some(n) = self.perf_drift_min_count {
            r = r.perf_drift_min_count(n);
        }
        if let Some(n) = self.baseline_windows {
            r = r.baseline_windows(n);
        }
        if let Some(c) = self.cooldown {
            r = r.cooldown(c);
        }
        for &rule in &self.disable {
            r = r.disable(rule);
        }
        r
    }
}

fn split_slash(s: &str) -> Result<(&str, Duration), String> {
    let (a, w) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected NUMBER/WINDOW, as in 10/5m"))?;
    let w = humantime::parse_duration(w.trim()).map_err(|e| format!("{w:?}: {e}"))?;
    if w.is_zero() {
        return Err("the window must be longer than 0".into());
    }
    Ok((a.trim(), w))
}

fn count_window(s: &str) -> Result<(u64, Duration), String> {
    let (n, w) = split_slash(s)?;
    let n = n.parse().map_err(|e| format!("{n:?}: {e}"))?;
    Ok((n, w))
}

fn factor_window(s: &str) -> Result<(f64, Duration), String> {
    let (f, w) = split_slash(s)?;
    match f.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 1.0 => Ok((f, w)),
        _ => Err(format!("{f:?}: expected a factor of at least 1")),
    }
}

fn rule_name(s: &str) -> Result<Rule, String> {
    Ok(match s {
        "brute_force" => Rule::BruteForce,
        "credential_stuffing" => Rule::CredentialStuffing,
        "success_after_fail" => Rule::SuccessAfterFail,
        "failure_spike" => Rule::FailureSpike,
        "perf_drift" => Rule::PerfDrift,
        "quota" | "quotas" => Rule::Quotas,
        _ => {
            return Err(format!(
                "{s:?}: expected brute_force, credential_stuffing, success_after_fail, failure_spike or perf_drift"
            ));
        }
    })
}

/// Exit codes: 0 all valid, 1 tampering, 2 usage or I/O errors.
const TAMPERED: u8 = 1;
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Keygen { out, verifier } => keygen(&out, verifier),
        Command::Verify {
            key,
            checkpoint,
            json,
            require_closed,
            paths,
        } => verify(
            &key,
            checkpoint.as_deref(),
            &paths,
            VerifyOutput {
                json,
                require_closed,
            },
        ),
        Command::Cat {
            path,
            event,
            level,
            user,
            since,
            until,
        } => cat(
            &path,
            &Filter {
                event,
                level,
                user,
                since,
                until,
            },
        ),
        Command::Stats { read, json } => stats(&read, json),
        Command::Detect { paths, json, rules } => detect(&paths, json, &rules),
        Command::Report { read, out } => report(&read, &out),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("seclog: {e}");
            ExitCode::from(USAGE)
        }
    }
}

fn keygen(out: &Path, verifier: bool) -> io::Result<u8> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut file = o
        .open(out)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", out.display())))?;
    if verifier {
        let secret = VerifierSecret::generate();
        file.write_all(secret.to_text().as_bytes())?;
        file.sync_all()?;
        eprintln!(
            "seclog: wrote the verifier's private key to {} (keep it off the fleet); its public key, for SECLOG_SEAL_TO:",
            out.display()
        );
        println!("{}", secret.public());
    } else {
        let key = ChainKey::generate().map_err(io::Error::other)?;
        file.write_all(key.to_hex().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        println!("key id {}", key.id());
    }
    Ok(0)
}

fn read_keys(paths: &[PathBuf]) -> io::Result<Keys> {
    let mut keys = Keys::new();
    for path in paths {
        let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot read the key {}: {e}", path.display()),
            )
        })?);
        let more = Keys::from_text(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })?;
        keys = keys.merge(more);
    }
    Ok(keys)
}

fn files_of(path: &Path) -> io::Result<Vec<PathBuf>> {
    if path.is_dir() {
        integrity::log_files(path)
    } else if path.is_file() {
        Ok(vec![path.to_path_buf()])
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} is neither a file nor a directory", path.display()),
        ))
    }
}

/// How `verify` reports.
struct VerifyOutput {
    json: bool,
    require_closed: bool,
}

fn verify(
    key: &[PathBuf],
    checkpoint: Option<&Path>,
    paths: &[PathBuf],
    output: VerifyOutput,
) -> io::Result<u8> {
    let keys = read_keys(key)?;
    let checkpoint = match checkpoint {
        Some(p) => Some(
            integrity::Checkpoint::from_json(&fs::read_to_string(p)?).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} does not hold a checkpoint", p.display()),
                )
            })?,
        ),
        None => None,
    };
    let inputs = verify_cli::read_inputs(paths)?;
    let report = integrity::verify_archive(&keys, &inputs.sources, verify_cli::options(&inputs));
    let legacy = verify_cli::verify_legacy(&keys, &inputs, checkpoint.as_ref())?;
    let cp = checkpoint.as_ref().and_then(|cp| {
        cp.chain.as_ref()?;
        Some((
            cp,
            integrity::checkpoint_problem(&inputs.sources, cp).map(|k| k.as_str()),
        ))
    });
    // Something was verified, and everything read verified: every chain, no unsealed record.
    let chains_ok = (!report.chains.is_empty() || !legacy.is_empty())
        && report.unsealed == 0
        && report.chains.iter().all(|c| c.verified());
    let legacy_ok = legacy.iter().all(|l| l.report.failure.is_none());
    let verdict = chains_ok && legacy_ok && cp.is_none_or(|(_, p)| p.is_none());
    let open = report.chains.iter().any(|c| c.end == EndState::Open)
        || legacy.iter().any(|l| {
            l.report
                .end
                .as_ref()
                .is_none_or(|e| e.state == EndState::Open)
        });
    let code = if !verdict || (output.require_closed && open) {
        TAMPERED
    } else {
        0
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if output.json {
        let mut v = verify_cli::report_json(&keys, &report, &legacy, cp, verdict);
        v["require_closed"] = output.require_closed.into();
        serde_json::to_writer(&mut out, &v)?;
        writeln!(out)?;
    } else {
        verify_cli::write_table(&mut out, &keys, &report, &legacy, cp, verdict)?;
        if verdict && code != 0 {
            writeln!(
                out,
                "Note:     a chain ends open and --require-closed was given"
            )?;
        }
    }
    out.flush()?;
    Ok(code)
}

struct Filter {
    event: Option<String>,
    level: Option<String>,
    user: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

impl Filter {
    fn keeps(&self, r: &Value) -> bool {
        let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
        let ts = s(&r["ts"]);
        self.event.as_ref().is_none_or(|e| s(&r["event"]) == *e)
            && self
                .level
                .as_ref()
                .is_none_or(|l| s(&r["level"]).eq_ignore_ascii_case(l))
            && self
                .user
                .as_ref()
                .is_none_or(|u| s(&r["who"]["user"]) == *u)
            && self
                .since
                .as_ref()
                .is_none_or(|t| ts.as_str() >= t.as_str())
            && self.until.as_ref().is_none_or(|t| ts.as_str() < t.as_str())
    }
}

fn cat(path: &Path, filter: &Filter) -> io::Result<u8> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for file in files_of(path)? {
        let bytes = fs::read(&file)?;
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let Ok(r) = serde_json::from_slice::<Value>(line) else {
                writeln!(out, "{}: an unreadable line", file.display())?;
                continue;
            };
            // The file sink's own lines: headers of its earlier format, key notes.
            if r.get("seclog_file").is_some() || r.get("seclog_key").is_some() || !filter.keeps(&r)
            {
                continue;
            }
            writeln!(out, "{}", readable(&r))?;
        }
    }
    Ok(0)
}

/// `ts LEVEL event outcome user ip fn inputs=... output=...`, control characters already
/// escaped by the record's JSON.
fn readable(r: &Value) -> String {
    let s = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "-".to_owned())
    };
    let mut line = format!(
        "{} {:<8} {} {} user={} ip={} fn={}",
        s(&r["ts"]),
        s(&r["level"]),
        s(&r["event"]),
        s(&r["outcome"]),
        s(&r["who"]["user"]),
        s(&r["who"]["ip"]),
        s(&r["where"]["fn"]),
    );
    for key in ["inputs", "fields", "output", "error"] {
        if let Some(v) = r.get(key) {
            line.push_str(&format!(" {key}={v}"));
        }
    }
    line
}

fn summarise(read: &ReadArgs) -> io::Result<seclog_cli::stats::Summary> {
    let sources = seclog_cli::input::sources(&read.paths)?;
    seclog_cli::stats::run(
        &sources,
        seclog_cli::stats::Options {
            since: read.since,
            until: read.until,
            top: read.top,
        },
    )
}

fn stats(read: &ReadArgs, json: bool) -> io::Result<u8> {
    let summary = summarise(read)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        seclog_cli::stats::write_text(&summary, &mut out)?;
    }
    out.flush()?;
    Ok(0)
}

fn detect(paths: &[PathBuf], json: bool, args: &RuleArgs) -> io::Result<u8> {
    let sources = seclog_cli::input::sources(paths)?;
    let options = seclog_cli::detect::Options {
        rules: args.rules(),
        interval: args.interval,
        ..Default::default()
    };
    let stdout = io::stdout();
    let mut table = seclog_cli::detect::Table::new(io::BufWriter::new(stdout.lock()));
    let mut failed = None;
    let summary = seclog_cli::detect::detect(&sources, &options, |alert| {
        if json {
            alert.emit();
        } else if let Err(e) = table.row(alert) {
            failed.get_or_insert(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if json {
        seclog_runtime::flush();
        eprintln!("seclog: {}", seclog_cli::detect::summary_line(&summary));
    } else {
        table.finish(&summary)?;
    }
    Ok(0)
}

fn report(read: &ReadArgs, path: &Path) -> io::Result<u8> {
    let summary = summarise(read)?;
    fs::write(path, seclog_cli::report::render(&summary))
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))?;
    eprintln!(
        "seclog: wrote {} ({} records)",
        path.display(),
        summary.records
    );
    Ok(0)
}
