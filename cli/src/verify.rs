//! `seclog verify`: what to read (files, directories, standard input; logs of earlier file
//! sinks apart), and the report as a table or as JSON.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use seclog_runtime::integrity::{
    self, ArchiveOptions, ArchiveReport, ChainKey, ChainReport, Checkpoint, EndState, Keys, Source,
};
use serde_json::{Value, json};

/// What `seclog verify` reads, sorted out.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Records sealed into chains: archives, streams, the file sink's directories.
    pub sources: Vec<Source>,
    /// Directories of earlier file sinks (a `seclog_file` header on each file), one chain
    /// each, with their files in chain order.
    pub legacy: Vec<(PathBuf, Vec<PathBuf>)>,
    /// Every input is a file sink's directory: lines are in `seq` order, and retention may
    /// have deleted the oldest files.
    pub file_sink: bool,
}

/// Reads `paths`: `-` is standard input, a directory its `seclog-*.log` files (else its
/// `*.log`, `*.json` and `*.jsonl` files), anything else a file.
pub fn read_inputs(paths: &[PathBuf]) -> io::Result<Inputs> {
    let mut inputs = Inputs {
        file_sink: !paths.is_empty(),
        ..Inputs::default()
    };
    for p in paths {
        if p.as_os_str() == "-" {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes)?;
            inputs.sources.push(Source::new("-", bytes));
            inputs.file_sink = false;
        } else if p.is_dir() {
            let files = integrity::log_files(p).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot read {}: {e}", p.display()))
            })?;
            if files.is_empty() {
                // A collector's directory; or a file sink's whose files are all gone, which
                // holds no records to verify (and is reported so), not a usage error.
                let others = crate::input::other_logs(p).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot read {}: {e}", p.display()))
                })?;
                if !others.is_empty() {
                    inputs.file_sink = false;
                }
                for f in others {
                    inputs.sources.push(Source::read(&f)?);
                }
                continue;
            }
            let mut legacy = Vec::new();
            for f in files {
                if is_legacy(&f)? {
                    legacy.push(f);
                } else {
                    inputs.sources.push(Source::read(&f)?);
                }
            }
            if !legacy.is_empty() {
                inputs.legacy.push((p.clone(), legacy));
            }
        } else if p.is_file() {
            inputs.file_sink = false;
            if is_legacy(p)? {
                inputs.legacy.push((p.clone(), vec![p.clone()]));
            } else {
                inputs.sources.push(Source::read(p)?);
            }
        } else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is neither a file, a directory nor -", p.display()),
            ));
        }
    }
    Ok(inputs)
}

/// Whether a file was written by an earlier file sink: its first line is a `seclog_file`
/// header.
fn is_legacy(path: &Path) -> io::Result<bool> {
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display())))?;
    let n = f.read(&mut head)?;
    Ok(head[..n].starts_with(b"{\"seclog_file\":"))
}

/// The options the inputs are verified with.
pub fn options(inputs: &Inputs) -> ArchiveOptions {
    if inputs.file_sink {
        ArchiveOptions::file_sink()
    } else {
        ArchiveOptions::default()
    }
}

/// What a legacy directory's verification found.
pub struct LegacyResult {
    /// The directory or file.
    pub path: PathBuf,
    /// The report.
    pub report: integrity::Report,
}

/// Verifies the legacy directories with the symmetric keys held (the first that verifies
/// anything, else the first).
pub fn verify_legacy(
    keys: &Keys,
    inputs: &Inputs,
    checkpoint: Option<&Checkpoint>,
) -> io::Result<Vec<LegacyResult>> {
    let mut out = Vec::new();
    for (path, files) in &inputs.legacy {
        let Some(first) = keys.symmetric().first() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} was written by an earlier file sink: verifying it needs its symmetric key (64 hex digits)",
                    path.display()
                ),
            ));
        };
        let cp = checkpoint.filter(|c| c.chain.is_none());
        let mut best = integrity::verify_files_against(first, files, cp)?;
        for k in &keys.symmetric()[1..] {
            if best.valid > 0 {
                break;
            }
            best = integrity::verify_files_against(k, files, cp)?;
        }
        out.push(LegacyResult {
            path: path.clone(),
            report: best,
        });
    }
    Ok(out)
}

fn end_str(e: EndState) -> &'static str {
    e.as_str()
}

/// One chain as JSON: the keys `seclog verify --json` promises.
pub fn chain_json(c: &ChainReport) -> Value {
    json!({
        "chain": c.chain,
        "seal": c.seal,
        "key_id": c.key_id,
        "host": c.host,
        "pid": c.pid,
        "service": c.service,
        "records": c.records,
        "first_seq": c.first_seq,
        "last_seq": c.last_seq,
        "first_ts": c.first_ts,
        "last_ts": c.last_ts,
        "missing": c.missing.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>(),
        "duplicates": c.duplicates,
        "problems": c.problems.iter().map(|p| json!({
            "source": p.at.source,
            "line": p.at.line,
            "seq": p.seq,
            "kind": p.kind.as_str(),
        })).collect::<Vec<_>>(),
        "end": end_str(c.end),
        "last_event": c.last_event,
        "clock": c.clock,
        "starts_after_retention": c.starts_after_retention,
        "verified": c.verified(),
    })
}

/// The whole report as one JSON object: `verdict`, `chains`, and what was read.
pub fn report_json(
    keys: &Keys,
    report: &ArchiveReport,
    legacy: &[LegacyResult],
    checkpoint: Option<(&Checkpoint, Option<&'static str>)>,
    verdict: bool,
) -> Value {
    let unsynced: Vec<Value> = report
        .chains
        .iter()
        .filter(|c| c.clock_unsynced())
        .map(|c| json!({"chain": c.chain, "host": c.host, "pid": c.pid, "service": c.service, "clock": c.clock}))
        .collect();
    json!({
        "verdict": if verdict { "VALID" } else { "TAMPERED" },
        "key_ids": keys.ids(),
        "chains": report.chains.iter().map(chain_json).collect::<Vec<_>>(),
        "lines": report.lines,
        "other_lines": report.other_lines,
        "unsealed": report.unsealed,
        "first_unsealed": report.first_unsealed.as_ref().map(|l| json!({"source": l.source, "line": l.line})),
        "incomplete_tails": report.incomplete_tails,
        "unsynced_clocks": unsynced,
        "checkpoint": checkpoint.map(|(cp, problem)| json!({
            "chain": cp.chain,
            "seq": cp.count,
            "reached": problem.is_none(),
            "problem": problem,
        })),
        "legacy": legacy.iter().map(legacy_json).collect::<Vec<_>>(),
    })
}

fn legacy_json(l: &LegacyResult) -> Value {
    let r = &l.report;
    json!({
        "path": l.path.display().to_string(),
        "files": r.files.len(),
        "valid": r.valid,
        "starts_after_retention": r.starts_after_retention,
        "problems": r.failure.iter().map(|f| json!({
            "source": f.file.display().to_string(),
            "line": f.line,
            "kind": f.kind.as_str(),
        })).collect::<Vec<_>>(),
        "incomplete_tails": r.incomplete_tails.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "end": r.end.as_ref().map(|e| e.state.as_str()),
    })
}

/// The report as a table, for people.
pub fn write_table(
    out: &mut impl Write,
    keys: &Keys,
    report: &ArchiveReport,
    legacy: &[LegacyResult],
    checkpoint: Option<(&Checkpoint, Option<&'static str>)>,
    verdict: bool,
) -> io::Result<()> {
    writeln!(out, "Keys:     {}", keys.ids().join(", "))?;
    let records: u64 = report.chains.iter().map(|c| c.records).sum();
    writeln!(
        out,
        "Read:     {} lines: {} verified records in {} chains, {} other lines, {} unsealed records",
        report.lines,
        records,
        report.chains.len(),
        report.other_lines,
        report.unsealed
    )?;
    if report.chains.is_empty() && legacy.is_empty() {
        writeln!(out, "Found:    no sealed records: nothing verifies")?;
    }
    if !report.chains.is_empty() {
        writeln!(
            out,
            "\n{:<32}  {:<16} {:>7}  {:<16} {:>8}  {:<30}  {:<30}  {:>7} {:>5}  {:<6}  problems",
            "chain",
            "host",
            "pid",
            "service",
            "records",
            "first ts",
            "last ts",
            "missing",
            "dups",
            "end"
        )?;
        for c in &report.chains {
            let missing: u64 = c.missing.iter().map(|(a, b)| b - a + 1).sum();
            writeln!(
                out,
                "{:<32}  {:<16} {:>7}  {:<16} {:>8}  {:<30}  {:<30}  {:>7} {:>5}  {:<6}  {}",
                c.chain,
                shown(c.host.as_deref()),
                c.pid.map_or("-".to_owned(), |p| p.to_string()),
                shown(c.service.as_deref()),
                c.records,
                shown(c.first_ts.as_deref()),
                shown(c.last_ts.as_deref()),
                missing,
                c.duplicates,
                end_str(c.end),
                c.problems.len()
            )?;
        }
    }
    for c in &report.chains {
        for (a, b) in &c.missing {
            if a == b {
                writeln!(out, "Missing:  chain {} seq {a}", c.chain)?;
            } else {
                writeln!(out, "Missing:  chain {} seq {a}..{b}", c.chain)?;
            }
        }
        for p in &c.problems {
            let seq = p.seq.map_or(String::new(), |s| format!(" (seq {s})"));
            writeln!(
                out,
                "Problem:  chain {} {}:{}{seq}: {}",
                c.chain,
                shown(Some(&p.at.source)),
                p.at.line,
                p.kind
            )?;
        }
        if c.starts_after_retention {
            writeln!(
                out,
                "Note:     chain {} starts after retention (its first files were deleted; what remains verifies from its key note)",
                c.chain
            )?;
        }
        if c.clock_unsynced() {
            writeln!(
                out,
                "Clock:    {} pid {} ({}) was not synchronised: {}",
                shown(c.host.as_deref()),
                c.pid.map_or("-".to_owned(), |p| p.to_string()),
                shown(c.service.as_deref()),
                c.clock.as_ref().map_or(String::new(), Value::to_string)
            )?;
        }
    }
    if let Some(l) = &report.first_unsealed {
        writeln!(
            out,
            "Unsealed: {} records carry no seal and belong to no chain (the first at {}:{})",
            report.unsealed,
            shown(Some(&l.source)),
            l.line
        )?;
    }
    for t in &report.incomplete_tails {
        writeln!(
            out,
            "Note:     {} ends with a line cut short (not a record)",
            shown(Some(t))
        )?;
    }
    if let Some((cp, problem)) = checkpoint {
        match problem {
            None => writeln!(out, "Checkpoint: reached (seq {})", cp.count)?,
            Some(p) => writeln!(out, "Checkpoint: seq {}: {p}", cp.count)?,
        }
    }
    for l in legacy {
        let r = &l.report;
        writeln!(
            out,
            "Earlier file sink log {}: {} lines valid in {} files{}",
            shown(Some(&l.path.display().to_string())),
            r.valid,
            r.files.len(),
            if r.starts_after_retention {
                ", starts after retention"
            } else {
                ""
            }
        )?;
        if let Some(f) = &r.failure {
            writeln!(
                out,
                "Problem:  {}:{}: {}",
                shown(Some(&f.file.display().to_string())),
                f.line,
                f.kind
            )?;
        }
        if let Some(e) = &r.end {
            writeln!(out, "End:      {}", e.state.as_str())?;
        }
    }
    writeln!(
        out,
        "Result:   {}",
        if verdict { "VALID" } else { "TAMPERED" }
    )
}

/// Text read from the records (hosts, services) or the file system (names), for the table:
/// `-` when absent, control and bidirectional-override characters escaped, so that what a
/// record says is never taken by the terminal as a command.
pub fn shown(text: Option<&str>) -> Cow<'_, str> {
    let Some(text) = text else {
        return Cow::Borrowed("-");
    };
    let risky =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(risky) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if risky(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A symmetric key held, for messages.
pub fn key_label(k: &ChainKey) -> String {
    k.id().to_owned()
}
