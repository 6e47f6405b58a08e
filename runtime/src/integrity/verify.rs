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
