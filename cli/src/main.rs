//! `seclog`: keys, verification and reading of tamper-evident seclog files.
//!
//! - `seclog keygen --out <file>` writes a new chain key (mode 0600, never over an existing
//!   file) and prints its id.
//! - `seclog verify --key <file> <file|dir>` checks the chain and prints a summary; exit code 0
//!   when everything verifies, 1 on tampering, 2 on usage or I/O errors.
//! - `seclog cat <file|dir>` prints records one per line, readably, with filters.
#![forbid(unsafe_code)]

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use seclog_runtime::integrity::{self, ChainKey};
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
            path,
        } => verify(&key, checkpoint.as_deref(), &path),
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

fn verify(key: &Path, checkpoint: Option<&Path>, path: &Path) -> io::Result<u8> {
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
    match &report.failure {
        None => {
            println!("Result:   VALID");
            Ok(0)
        }
        Some(f) => {
            println!("Result:   TAMPERED");
            println!(
                "First failure: {} line {}: {}",
                f.file.display(),
                f.line,
                f.kind
            );
            Ok(TAMPERED)
        }
    }
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
