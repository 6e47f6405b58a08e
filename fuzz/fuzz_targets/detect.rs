//! `seclog detect`'s reader and merge on arbitrary bytes: never panic, and the summary stays
//! within the input.
//!
//! The first byte chooses how: bit 0 cuts the rest at the first line end after its middle
//! into two inputs (two processes' files, merged), bit 1 runs thresholds low enough that a few
//! records raise alerts (so the rules' paths are reached) instead of the watcher's defaults.
//! The inputs are written to scratch files (`detect` reads `Source` paths, as the command
//! does), under `/dev/shm` when there is one.
//!
//! Properties: records + lines that are not records + records stamped in the future ≤ the
//! non-blank lines of the inputs (a CloudWatch export's lines being its messages); alerts ≤
//! records; late records, hosts and chains ≤ records; a span exactly when there are records;
//! processes ≥ hosts. Cut in two at a line end, the same lines give the same counts as one
//! input (the merge changes the order they are watched in, so not the alerts).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use seclog::integrity;
use seclog::watch::Rules;
use seclog_cli::detect::{self, Options, Summary};
use seclog_cli::input::Source;

const PREFIX: &str = "seclog-fuzz-detect-";

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        // A run that failed (or a job of `-fork`) left its directory: those of processes
        // that are gone go now.
        if std::path::Path::new("/proc/self").exists()
            && let Ok(entries) = std::fs::read_dir(&base)
        {
            for e in entries.flatten() {
                let name = e.file_name();
                let pid = name.to_str().and_then(|n| n.strip_prefix(PREFIX));
                if pid.is_some_and(|p| !std::path::Path::new("/proc").join(p).exists()) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let d = base.join(format!("{PREFIX}{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("a scratch directory");
        d
    })
}

/// Thresholds a handful of records can reach; each at least the number of rules, so that
/// alerts stay within the records that raised them.
fn sensitive() -> Options {
    let rules = Rules::default()
        .brute_force(5, Duration::from_secs(60))
        .credential_stuffing(5, Duration::from_secs(60))
        .success_after_fail(5)
        .failure_spike(1.0, Duration::from_secs(2))
        .failure_spike_min(5)
        .failure_spike_rate(1.0)
        .baseline_windows(1)
        .perf_drift(1.0)
        .perf_drift_min_count(5);
    Options {
        rules,
        interval: Duration::from_secs(1),
        ..Options::default()
    }
}

/// The lines `detect` reads from one input: a CloudWatch export's messages, or its lines.
fn lines_of(bytes: &[u8]) -> u64 {
    let export;
    let bytes = if integrity::Source::is_cloudwatch_export(bytes) {
        export = integrity::Source::new("export", bytes.to_vec()).into_bytes();
        &export[..]
    } else {
        bytes
    };
    bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count() as u64
}

/// `detect` over `pieces`, each written to a scratch file; checks the summary's bounds.
fn run(pieces: &[&[u8]], options: &Options) -> Summary {
    let sources: Vec<Source> = pieces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let path = dir().join(format!("input-{i}.log"));
            std::fs::write(&path, p).expect("scratch file written");
            Source::File(path)
        })
        .collect();
    let mut alerts = 0u64;
    let s = detect::detect(&sources, options, |_| alerts += 1).expect("scratch files read");
    let lines: u64 = pieces.iter().map(|p| lines_of(p)).sum();
    assert_eq!(s.inputs, pieces.len());
    assert_eq!(s.alerts, alerts, "every alert counted once");
    assert!(
        s.records + s.not_records + s.future <= lines,
        "{} records, {} not records, {} in the future, of {lines} lines",
        s.records,
        s.not_records,
        s.future
    );
    assert!(
        s.alerts <= s.records,
        "{} alerts of {} records",
        s.alerts,
        s.records
    );
    assert!(
        s.late <= s.records,
        "{} late of {} records",
        s.late,
        s.records
    );
    // Hosts and chains are counted as records are watched; the rules may then find that one
    // is not a record they read.
    assert!(s.hosts as u64 <= s.records + s.not_records);
    assert!(s.chains as u64 <= s.records + s.not_records);
    assert!(s.processes >= s.hosts, "a host is at least one process");
    assert!(!s.distinct_capped, "a few KB of input holds few hosts");
    match s.span {
        Some((a, b)) => assert!(a <= b && s.records + s.not_records > 0),
        None => assert_eq!(s.records, 0),
    }
    s
}

/// The first line end after the middle of `data`, plus one.
fn middle(data: &[u8]) -> usize {
    let half = data.len() / 2;
    data[half..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(data.len(), |i| half + i + 1)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let options = if mode & 2 != 0 {
        sensitive()
    } else {
        Options::default()
    };
    let one = run(&[data], &options);
    if mode & 1 == 0 {
        return;
    }
    let at = middle(data);
    let (a, b) = data.split_at(at);
    let two = run(&[a, b], &options);
    let export = |p: &[u8]| integrity::Source::is_cloudwatch_export(p);
    if export(data) || export(a) || export(b) {
        return;
    }
    assert_eq!(
        (
            one.records,
            one.not_records,
            one.future,
            one.hosts,
            one.processes,
            one.chains
        ),
        (
            two.records,
            two.not_records,
            two.future,
            two.hosts,
            two.processes,
            two.chains
        ),
        "the same lines, in one input or two"
    );
});
