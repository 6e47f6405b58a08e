//! The readers and verifiers on arbitrary bytes: never panic, and what they report stays
//! within the input (counts, line numbers).
//!
//! - The earlier file sink's format (`Verifier::check_all`, `verify_files`,
//!   `verify_files_against`): the bytes as one log file.
//! - `verify_archive`: the bytes as one input, and again cut at two line ends into three
//!   inputs, under both option sets. Cut at line ends and in order, the three inputs hold the
//!   same lines in the same order, so every chain's report is the same as for the one input
//!   once its problems' places are mapped back (unless a piece reads as a CloudWatch export).
//!
//! The keys are the seeds' (a symmetric key, a verifier's private key), so the fuzzer can
//! splice genuine records into its inputs.
#![no_main]

#[path = "archive_checks.rs"]
mod archive_checks;

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use seclog::integrity::{
    ArchiveOptions, ArchiveReport, ChainKey, Checkpoint, Source, Verifier, verify_archive,
    verify_files, verify_files_against,
};

use archive_checks::{Input, check_report, keys, maybe_cloudwatch};

/// The key of the seed logs (see fuzz/README.md).
const KEY: [u8; 32] = [7; 32];

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("seclog-fuzz-verify-bytes-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("a scratch directory");
        d
    })
}

/// The first line end at or after `at`, plus one: where a piece starts.
fn cut_after(data: &[u8], at: usize) -> usize {
    data[at.min(data.len())..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(data.len(), |i| at + i + 1)
}

/// `verify_archive` on the bytes whole and in three pieces.
fn archive(data: &[u8]) {
    let whole = [Source::new("whole", data.to_vec())];
    let a = cut_after(data, data.len() / 3);
    let b = cut_after(data, (data.len() * 2 / 3).max(a));
    let pieces = [&data[..a], &data[a..b], &data[b..]];
    let names = ["one", "two", "three"];
    let split: Vec<Source> = names
        .iter()
        .zip(pieces)
        .map(|(n, p)| Source::new(*n, p.to_vec()))
        .collect();
    let whole_in = [Input::new("whole", data)];
    let split_in: Vec<Input<'_>> = names
        .iter()
        .zip(pieces)
        .map(|(n, p)| Input::new(n, p))
        .collect();

    for mut options in [ArchiveOptions::default(), ArchiveOptions::file_sink()] {
        // What a hostile seq may cost, kept small so that an input runs in milliseconds.
        options.gap_budget = GAP_BUDGET;
        let one = verify_archive(keys(), &whole, options);
        check_report(&one, &whole_in, options);
        let three = verify_archive(keys(), &split, options);
        check_report(&three, &split_in, options);
        // Reordering is judged per input, so only the unordered reading compares.
        if !options.ordered
            && !maybe_cloudwatch(data)
            && !pieces.iter().any(|p| maybe_cloudwatch(p))
        {
            same_but_places(
                &one,
                three,
                [0, count_lines(pieces[0]), count_lines(&data[..b])],
            );
        }
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// `three` is `one` with each place `(piece i, line l)` read as line `offsets[i] + l`.
fn same_but_places(one: &ArchiveReport, mut three: ArchiveReport, offsets: [u64; 3]) {
    let whole = |source: &mut String, line: &mut u64| {
        let i = ["one", "two", "three"]
            .iter()
            .position(|n| n == source)
            .expect("a piece's name");
        *line += offsets[i];
        *source = "whole".into();
    };
    for c in &mut three.chains {
        for p in &mut c.problems {
            whole(&mut p.at.source, &mut p.at.line);
        }
        c.problems.sort_by_key(|p| p.at.line);
    }
    if let Some(at) = &mut three.first_unsealed {
        whole(&mut at.source, &mut at.line);
    }
    // The piece that holds the end (the last that is not empty) ends short when the whole does.
    for t in &mut three.incomplete_tails {
        *t = "whole".into();
    }
    assert_eq!(one, &three, "the same lines in three inputs read otherwise");
}

/// Key evolutions an input may cost beyond one per line (the default, 2^26, is tens of
/// seconds under instrumentation).
const GAP_BUDGET: u64 = 1 << 14;

fuzz_target!(|data: &[u8]| {
    archive(data);
    let key = ChainKey::from_bytes(KEY);
    let lines = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    let segments = data.split(|&b| b == b'\n').count() as u64;

    match Verifier::check_all(&key, [0; 32], data) {
        Ok(n) => assert!(n <= lines, "{n} valid of {lines} lines"),
        Err(t) => assert!(
            t.line >= 1 && t.line <= segments,
            "break at line {}",
            t.line
        ),
    }

    // A checkpoint kept elsewhere is read from text too: the first line, if it is one.
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let checkpoint = Checkpoint::from_json(&String::from_utf8_lossy(first));
    if let Some(cp) = &checkpoint {
        let again = Checkpoint::from_json(&cp.to_json()).expect("a checkpoint reads back");
        assert_eq!(&again, cp);
    }

    let path = dir().join("seclog-00000000-0.log");
    std::fs::write(&path, data).expect("scratch file written");
    let files = [path];
    for report in [
        verify_files(&key, &files).expect("readable"),
        verify_files_against(&key, &files, checkpoint.as_ref()).expect("readable"),
    ] {
        assert!(
            report.valid <= lines,
            "{} valid of {lines} lines",
            report.valid
        );
        if let Some(f) = &report.failure {
            assert!(
                f.line <= segments,
                "failure at line {} of {segments}",
                f.line
            );
        }
        assert!(report.incomplete_tails.len() <= 1);
    }
});
