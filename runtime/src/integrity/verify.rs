//! Verifying a directory of sealed log files.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::chain::{check_run, mac_of};
use super::{ChainKey, Checkpoint, TamperKind, Verifier};

/// What [`verify_dir`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Files read, in chain order.
    pub files: Vec<PathBuf>,
    /// Lines that verified (file headers included).
    pub valid: u64,
    /// The log starts after records deleted by retention (its first file continues a chain).
    pub starts_after_retention: bool,
    /// The first break, if any.
    pub failure: Option<Failure>,
    /// Files whose last line was cut short by a crash while it was written: the line is not a
    /// record (it was never complete), and the chain goes on from the record before it.
    pub incomplete_tails: Vec<PathBuf>,
    /// How the newest file ends: closed by a shutdown, or open. `None` when there is no file.
    pub end: Option<LogEnd>,
}

/// Whether a log ends closed or open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndState {
    /// The last record of the newest file is `sys_shutdown`: the writer stopped cleanly.
    Closed,
    /// Anything else: the log is still being written, the writer crashed, or records after
    /// the last line were removed. A checkpoint kept off the host tells which.
    Open,
}

impl EndState {
    /// `closed` or `open`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndState::Closed => "closed",
            EndState::Open => "open",
        }
    }
}

/// How the newest file of a log ends.
///
/// A chain verifies record by record, so a log cut at a line boundary verifies up to the cut:
/// only its end tells that more may have followed. A writer that stops cleanly records
/// `sys_shutdown` last (only the file sink's checkpoints may follow it); a log whose last
/// event is anything else ends open. Closed says how the remaining records end, not that none
/// were removed after them (whole newer files, say): a checkpoint kept off the host says that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEnd {
    /// Closed or open.
    pub state: EndState,
    /// The newest file.
    pub file: PathBuf,
    /// The number of its last complete line, from 1 (the header is line 1; a line cut short by
    /// a crash is not counted).
    pub last_line: u64,
    /// The `seq`, `ts` and `event` of the last record that has an `event` (the file sink's
    /// checkpoints and retention notes are passed over), when there is one.
    pub last_seq: Option<u64>,
    /// See [`LogEnd::last_seq`].
    pub last_ts: Option<String>,
    /// See [`LogEnd::last_seq`].
    pub last_event: Option<String>,
}

/// How the newest of `files` ends (see [`LogEnd`]); `None` when `files` is empty.
pub fn log_end(files: &[PathBuf]) -> io::Result<Option<LogEnd>> {
    let Some(file) = files.last() else {
        return Ok(None);
    };
    let bytes = fs::read(file)?;
    let mut lines = bytes.split(|&b| b == b'\n').collect::<Vec<_>>();
    // After the last newline: nothing, or a line cut short by a crash, which is not a record
    // (unless it is whole and lacks only its newline).
    if lines
        .last()
        .is_some_and(|tail| serde_json::from_slice::<serde_json::Value>(tail).is_err())
    {
        lines.pop();
    }
    let last_line = lines.len() as u64;
    // The file sink's own lines (checkpoints, retention notes, the header) may follow the
    // shutdown: the last record with an `event` decides.
    let last = lines
        .iter()
        .rev()
        .filter(|l| !l.is_empty())
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .find(|v| v.get("event").is_some());
    let field = |k: &str| last.as_ref().and_then(|v| v.get(k));
    let last_event = field("event").and_then(|e| e.as_str()).map(str::to_owned);
    let state = if last_event.as_deref() == Some("sys_shutdown") {
        EndState::Closed
    } else {
        EndState::Open
    };
    Ok(Some(LogEnd {
        state,
        file: file.clone(),
        last_line,
        last_seq: field("seq").and_then(|v| v.as_u64()),
        last_ts: field("ts").and_then(|v| v.as_str()).map(str::to_owned),
        last_event,
    }))
}

/// Where and how a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The file.
    pub file: PathBuf,
    /// The line in it, from 1.
    pub line: u64,
    /// What the break looks like.
    pub kind: TamperKind,
}

/// The log files of `dir` in chain order.
pub fn log_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seclog-") && n.ends_with(".log"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Verifies every file of `dir` against the chain's initial key.
pub fn verify_dir(key: &ChainKey, dir: &Path) -> io::Result<Report> {
    verify_files(key, &log_files(dir)?)
}

/// Verifies `files`, in this order, as one chain.
pub fn verify_files(key: &ChainKey, files: &[PathBuf]) -> io::Result<Report> {
    verify_files_against(key, files, None)
}

/// Verifies `files` as one chain that must reach `checkpoint`: a log that ends before the
/// checkpoint's count was cut (`Truncated`), and one whose record at that count has another
/// MAC was rewritten (`Modified`).
pub fn verify_files_against(
    key: &ChainKey,
    files: &[PathBuf],
    checkpoint: Option<&Checkpoint>,
) -> io::Result<Report> {
    let mut report = verify_chain(key, files, checkpoint)?;
    report.end = log_end(files)?;
    Ok(report)
}

fn verify_chain(
    key: &ChainKey,
    files: &[PathBuf],
    checkpoint: Option<&Checkpoint>,
) -> io::Result<Report> {
    if let Some(report) = verify_intact(key, files, checkpoint)? {
        return Ok(report);
    }
    let files = files.to_vec();
    let mut report = Report {
        files: files.clone(),
        valid: 0,
        starts_after_retention: false,
        failure: None,
        incomplete_tails: Vec::new(),
        end: None,
    };
    let mut verifier: Option<Verifier> = None;
    for file in &files {
        let bytes = fs::read(file)?;
        let fail = |line: u64, kind| Failure {
            file: file.clone(),
            line,
            kind,
        };
        let all: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        let Some(header) = all.first().copied().filter(|h| !h.is_empty()) else {
            report.failure = Some(fail(1, TamperKind::Malformed));
            return Ok(report);
        };
        let Some((index, prev)) = parse_header(header) else {
            report.failure = Some(fail(1, TamperKind::Malformed));
            return Ok(report);
        };
        let v = match verifier.as_mut() {
            None => {
                report.starts_after_retention = index != 0 || prev != [0; 32];
                verifier.insert(Verifier::resume(key, prev, index))
            }
            Some(v) if v.head() != prev || v.count() != index => {
                report.failure = Some(fail(1, TamperKind::MissingFile));
                return Ok(report);
            }
            Some(v) => v,
        };
        let torn = all.len() > 1 && all.last().is_some_and(|l| !l.is_empty());
        for (i, line) in all.iter().enumerate() {
            if line.is_empty() {
                continue;
            }
            if torn && i == all.len() - 1 {
                // No newline after it: a write cut short, never a complete record.
                if v.clone_check(line) {
                    report.valid += 1;
                } else {
                    report.incomplete_tails.push(file.clone());
                }
                continue;
            }
            match v.check(line) {
                Ok(()) => {
                    report.valid += 1;
                    if let Some(cp) = checkpoint
                        && v.count() == cp.count
                        && v.head() != cp.head
                    {
                        report.failure = Some(fail(i as u64 + 1, TamperKind::Modified));
                        return Ok(report);
                    }
                }
                Err(kind) => {
                    let kind = match kind {
                        TamperKind::Modified if report.valid == 0 => TamperKind::BadKey,
                        kind => v.refine(kind, &all[i + 1..]),
                    };
                    report.failure = Some(fail(i as u64 + 1, kind));
                    return Ok(report);
                }
            }
        }
    }
    // No file at all holds none of the records the checkpoint counts.
    if let Some(cp) = checkpoint
        && verifier.as_ref().map_or(0, Verifier::count) < cp.count
    {
        report.failure = Some(Failure {
            file: files.last().cloned().unwrap_or_default(),
            line: 0,
            kind: TamperKind::Truncated,
        });
    }
    Ok(report)
}

/// Lines of one file checked per thread at least: fewer are not worth a thread.
const MIN_RUN: usize = 4096;

/// The report of an intact chain, checked on every core; `None` if anything is amiss (a
/// break, a torn last line, a missed checkpoint), for the sequential verifier to find and
/// name.
fn verify_intact(
    key: &ChainKey,
    files: &[PathBuf],
    checkpoint: Option<&Checkpoint>,
) -> io::Result<Option<Report>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut report = Report {
        files: files.to_vec(),
        valid: 0,
        starts_after_retention: false,
        failure: None,
        incomplete_tails: Vec::new(),
        end: None,
    };
    // The chain so far: lines in it, and the last MAC.
    let mut chain: Option<(u64, [u8; 32])> = None;
    let mut reached_checkpoint = checkpoint.is_none_or(|cp| cp.count == 0);
    for file in files {
        let bytes = fs::read(file)?;
        if bytes.last() != Some(&b'\n') {
            return Ok(None);
        }
        let mut lines = Vec::with_capacity(bytes.len() / 256);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &bytes) {
            if end > start {
                lines.push(&bytes[start..end]);
            }
            start = end + 1;
        }
        let Some((index, anchor)) = lines.first().and_then(|h| parse_header(h)) else {
            return Ok(None);
        };
        match chain {
            None => report.starts_after_retention = index != 0 || anchor != [0; 32],
            Some(c) if c != (index, anchor) => return Ok(None),
            Some(_) => {}
        }
        let run = lines.len().div_ceil(threads).max(MIN_RUN);
        let heads: Vec<Option<[u8; 32]>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..lines.len())
                .step_by(run)
                .map(|from| {
                    let lines = &lines;
                    s.spawn(move || {
                        let anchor = match from {
                            0 => anchor,
                            _ => mac_of(lines[from - 1])?,
                        };
                        let to = (from + run).min(lines.len());
                        check_run(key, index + from as u64, anchor, &lines[from..to])
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().ok().flatten())
                .collect()
        });
        let Some(Some(head)) = heads.last().copied() else {
            return Ok(None);
        };
        if heads.iter().any(Option::is_none) {
            return Ok(None);
        }
        let count = index + lines.len() as u64;
        if let Some(cp) = checkpoint
            && cp.count > index
            && cp.count <= count
        {
            if mac_of(lines[(cp.count - index - 1) as usize]) != Some(cp.head) {
                return Ok(None);
            }
            reached_checkpoint = true;
        }
        report.valid += lines.len() as u64;
        chain = Some((count, head));
    }
    Ok(reached_checkpoint.then_some(report))
}

/// `{"seclog_file":{"index":N,"prev":"<hex>"},"mac":..}` → (N, prev).
pub(crate) fn parse_header(line: &[u8]) -> Option<(u64, [u8; 32])> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    let h = v.get("seclog_file")?;
    let index = h.get("index")?.as_u64()?;
    let prev = crate::hex::decode32(h.get("prev")?.as_str()?.as_bytes())?;
    Some((index, prev))
}
