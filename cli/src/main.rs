//! `seclog`: keys, verification and reading of tamper-evident seclog files.
//!
//! - `seclog keygen --out <file>` writes a new chain key (mode 0600, never over an existing
//!   file) and prints its id.
//! - `seclog verify --key <file> <file|dir>` checks the chain and prints a summary (`--json`:
//!   one JSON object), including whether the log ends closed (its last record is
//!   `sys_shutdown`) or open; exit code 0 when everything verifies, 1 on tampering (or on an
//!   open end with `--require-closed`), 2 on usage or I/O errors.
//! - `seclog cat <file|dir>` prints records one per line, readably, with filters.
//! - `seclog stats [--json] [--since T] [--until T] [--top N] PATH...` summarises records.
//! - `seclog report -o report.html PATH...` writes the summary as a self-contained HTML page.
#![forbid(unsafe_code)]

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use seclog_runtime::integrity::{self, ChainKey, EndState};
use serde_json::Value;

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
    /// Write a new chain key to a file (0600; an existing file is never overwritten).
    Keygen {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a log file or a directory of them against the chain key.
    Verify {
        /// The chain key file.
        #[arg(long)]
        key: PathBuf,
        /// A checkpoint kept off the host (JSON, as the file sink hands it out): the log must
        /// reach it, or it was cut.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Print one JSON object: verdict, counts, problems and how the log ends.
        #[arg(long)]
        json: bool,
        /// Exit 1 unless the log ends closed (its last record is `sys_shutdown`).
        #[arg(long)]
        require_closed: bool,
        /// A log file or a directory of log files.
        path: PathBuf,
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
        Command::Keygen { out } => keygen(&out),
        Command::Verify {
            key,
            checkpoint,
            json,
            require_closed,
            path,
        } => verify(
            &key,
            checkpoint.as_deref(),
            &path,
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

fn keygen(out: &Path) -> io::Result<u8> {
    let key = ChainKey::generate().map_err(io::Error::other)?;
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
    file.write_all(key.to_hex().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    println!("key id {}", key.id());
    Ok(0)
}

fn read_key(path: &Path) -> io::Result<ChainKey> {
    let text = fs::read_to_string(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot read the key {}: {e}", path.display()),
        )
    })?;
    ChainKey::from_hex(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} does not hold a key (64 hex digits)", path.display()),
        )
    })
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
    key: &Path,
    checkpoint: Option<&Path>,
    path: &Path,
    output: VerifyOutput,
) -> io::Result<u8> {
    let key = read_key(key)?;
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
    let files = files_of(path)?;
    let report = integrity::verify_files_against(&key, &files, checkpoint.as_ref())?;
    let total_lines: u64 = files
        .iter()
        .map(|f| {
            fs::read(f).map(|b| b.split(|&c| c == b'\n').filter(|l| !l.is_empty()).count() as u64)
        })
        .sum::<io::Result<u64>>()?;
    let open = report
        .end
        .as_ref()
        .is_none_or(|e| e.state == EndState::Open);
    let code = if report.failure.is_some() || (output.require_closed && open) {
        TAMPERED
    } else {
        0
    };
    if output.json {
        println!(
            "{}",
            verify_json(&key, &files, &report, total_lines, &output)
        );
        return Ok(code);
    }
    println!("Key:      {}", key.id());
    println!(
        "Files:    {} verified of {}",
        files
            .len()
            .saturating_sub(usize::from(report.failure.is_some())),
        files.len()
    );
    println!(
        "Records:  {} valid, {} invalid or unverified",
        report.valid,
        total_lines.saturating_sub(report.valid)
    );
    for torn in &report.incomplete_tails {
        println!(
            "Note:     {} ends with a line cut short by a crash (not a record)",
            torn.display()
        );
    }
    if report.starts_after_retention {
        println!(
            "Start:    after retention (earlier files were deleted; what remains verifies from there)"
        );
    }
    if let Some(end) = &report.end {
        let file = end.file.display();
        let n = end.last_line;
        match end.state {
            EndState::Closed => {
                println!("End:      closed by sys_shutdown ({file} ends at line {n})")
            }
            EndState::Open => println!(
                "End:      open after line {n} of {file}: still being written, the writer crashed, \
                 or records after line {n} were removed; keep checkpoints off the host to tell which"
            ),
        }
    }
    match &report.failure {
        None if code == 0 => {
            println!("Result:   VALID");
        }
        None => {
            println!("Result:   VALID, but the log ends open and --require-closed was given");
        }
        Some(f) => {
            println!("Result:   TAMPERED");
            println!(
                "First failure: {} line {}: {}",
                f.file.display(),
                f.line,
                f.kind
            );
        }
    }
    Ok(code)
}

/// `seclog verify --json`: one object whose keys stay stable.
fn verify_json(
    key: &ChainKey,
    files: &[PathBuf],
    report: &integrity::Report,
    total_lines: u64,
    output: &VerifyOutput,
) -> Value {
    let path = |p: &Path| Value::from(p.display().to_string());
    let problems: Vec<Value> = report
        .failure
        .iter()
        .map(|f| {
            serde_json::json!({
                "file": path(&f.file),
                "line": f.line,
                "kind": f.kind.as_str(),
            })
        })
        .collect();
    let end = report.end.as_ref().map_or(Value::Null, |e| {
        serde_json::json!({
            "state": e.state.as_str(),
            "file": path(&e.file),
            "last_line": e.last_line,
            "last_seq": e.last_seq,
            "last_ts": e.last_ts,
            "last_event": e.last_event,
        })
    });
    serde_json::json!({
        "verdict": if report.failure.is_some() { "TAMPERED" } else { "VALID" },
        "key_id": key.id(),
        "files": {
            "total": files.len(),
            "verified": files.len() - usize::from(report.failure.is_some()),
        },
        "records": {
            "valid": report.valid,
            "invalid_or_unverified": total_lines.saturating_sub(report.valid),
        },
        "starts_after_retention": report.starts_after_retention,
        "incomplete_tails": report.incomplete_tails.iter().map(|p| path(p)).collect::<Vec<_>>(),
        "problems": problems,
        "end": end,
        "require_closed": output.require_closed,
    })
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
            if r.get("seclog_file").is_some() || !filter.keeps(&r) {
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
