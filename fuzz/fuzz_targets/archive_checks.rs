//! What every `verify_archive` report must satisfy, whatever it was given; shared by the
//! `verify_bytes` and `verify_archive` targets.

use std::sync::OnceLock;

use seclog::integrity::{
    ArchiveOptions, ArchiveReport, ChainKey, EndState, Keys, TamperKind, VerifierSecret,
};

/// The symmetric key of the seeds (`[7; 32]`, as the legacy seeds).
pub const SYMMETRIC: [u8; 32] = [7; 32];

/// The verifier's private key of the seeds sealed with `Seal::to` (see fuzz/README.md).
pub fn secret() -> VerifierSecret {
    VerifierSecret::from_text(&format!(
        "seclog-verifier-secret-x25519:{}",
        "09".repeat(32)
    ))
    .expect("a secret line")
    .expect("a valid secret")
}

/// Both keys, made once.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        Keys::new()
            .with_secret(secret())
            .with_symmetric(ChainKey::from_bytes(SYMMETRIC))
    })
}

/// Whether `Source::new` may read `bytes` as a CloudWatch Logs export (its test, loosened):
/// then its lines are the export's messages, not these bytes' lines.
pub fn maybe_cloudwatch(bytes: &[u8]) -> bool {
    let Some(start) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    bytes[start] == b'{'
        && !bytes[start..].starts_with(b"{\"ts\":")
        && bytes.windows(8).any(|w| w == b"\"events\"")
}

/// One input as given: its name, and its line count when its lines are known (not an export).
pub struct Input<'a> {
    pub name: &'a str,
    pub segments: Option<u64>,
}

impl<'a> Input<'a> {
    pub fn new(name: &'a str, bytes: &[u8]) -> Self {
        let segments = (!maybe_cloudwatch(bytes)).then(|| {
            bytes.split(|&b| b == b'\n').count() as u64 - u64::from(bytes.ends_with(b"\n"))
        });
        Input { name, segments }
    }
}

/// Counts, ranges and places that hold for any report.
pub fn check_report(report: &ArchiveReport, inputs: &[Input<'_>], options: ArchiveOptions) {
    let named = |name: &str| inputs.iter().find(|i| i.name == name);
    assert!(
        report.other_lines + report.unsealed <= report.lines,
        "{} other and {} unsealed of {} lines",
        report.other_lines,
        report.unsealed,
        report.lines
    );
    if let Some(total) = inputs.iter().map(|i| i.segments).sum::<Option<u64>>() {
        assert!(report.lines <= total, "{} lines of {total}", report.lines);
    }
    // Each line is in one chain at most, and counts once: as a record or as a duplicate.
    let sealed = report.lines - report.other_lines - report.unsealed;
    let counted: u64 = report.chains.iter().map(|c| c.records + c.duplicates).sum();
    assert!(
        counted <= sealed,
        "{counted} records and duplicates of {sealed} sealed lines"
    );
    assert_eq!(report.first_unsealed.is_some(), report.unsealed > 0);
    if let Some(at) = &report.first_unsealed {
        let input = named(&at.source).expect("an input's name");
        assert!(at.line >= 1 && input.segments.is_none_or(|n| at.line <= n));
    }
    assert!(report.incomplete_tails.len() <= inputs.len());
    for tail in &report.incomplete_tails {
        assert!(named(tail).is_some(), "a tail of no input: {tail}");
    }

    let mut ids: Vec<&str> = report.chains.iter().map(|c| c.chain.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), report.chains.len(), "a chain reported twice");
    for c in &report.chains {
        // Sealed lines and key notes name their chain in hex.
        assert!(
            !c.chain.is_empty() && c.chain.bytes().all(|b| b.is_ascii_hexdigit()),
            "a chain id not in hex: {:?}",
            c.chain
        );
        if c.records + c.duplicates == 0 && c.problems.is_empty() {
            assert!(
                c.missing.is_empty() && c.last_seq.is_none(),
                "{}: an empty chain",
                c.chain
            );
        }
        // Missing ranges: each a gap below a seq that is there, so ordered with room between.
        for &(a, b) in &c.missing {
            assert!(a <= b, "{}: missing {a}..={b}", c.chain);
        }
        for w in c.missing.windows(2) {
            assert!(
                w[0].1.checked_add(2).is_some_and(|n| n <= w[1].0),
                "{}: missing ranges {:?} not ordered and apart",
                c.chain,
                c.missing
            );
        }
        if c.records == 0 {
            assert_eq!(
                c.last_seq, None,
                "{}: a last seq with nothing verified",
                c.chain
            );
        }
        if c.end == EndState::Closed {
            assert_eq!(c.last_event.as_deref(), Some("sys_shutdown"));
        }
        if !options.after_retention {
            assert!(
                !c.starts_after_retention,
                "{}: after retention with the option off",
                c.chain
            );
        }
        let mut last = None;
        for p in &c.problems {
            let input = named(&p.at.source).expect("a problem in an input");
            assert!(
                p.at.line >= 1 && input.segments.is_none_or(|n| p.at.line <= n),
                "{}: a problem at {}:{}",
                c.chain,
                p.at.source,
                p.at.line
            );
            if !options.ordered {
                assert_ne!(
                    p.kind,
                    TamperKind::Reordered,
                    "reordered with the option off"
                );
            }
            let here = (&p.at.source, p.at.line);
            assert!(
                last.is_none_or(|l| l <= here),
                "{}: problems out of order",
                c.chain
            );
            last = Some(here);
        }
    }
}
