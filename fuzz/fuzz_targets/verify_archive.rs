//! A genuine archive of three chains, then mutated as the fuzzer input says; `verify_archive`
//! must report only what is there.
//!
//! The archive, made once per process with `ChainWriter`: two chains sealed to a verifier's
//! public key and one under a symmetric key, in three inputs: a collector's file (rsyslog
//! prefixes, the two public chains interleaved, their first halves), a CloudWatch Logs export
//! (`{"events":[{"message":..}]}`, Lambda's prefix on each message, the symmetric chain), and
//! a container's log (no prefix, the public chains' second halves).
//!
//! The input is a program of up to 8 mutations of 4 bytes each, on the inputs' lines (an
//! export's messages): bit flip, byte overwrite, bytes inserted, cut (the rest of the input
//! dropped, the line torn), line duplicated / swapped / deleted / moved or copied to another
//! input, input deleted or swapped, and a byte of the export's JSON itself overwritten.
//!
//! Properties, besides those of every report (`archive_checks`):
//! - no chain counts more records than genuine records of it are in the archive, and a chain
//!   id the writers never made verifies nothing;
//! - when every line still holds a genuine record and every genuine record is there
//!   (duplicated, moved, reordered, behind a changed prefix or not), the archive verifies:
//!   three chains, each with all its records, the right end, the extra lines as duplicates;
//! - a chain that verifies holds the genuine records from its first up to one of its `seq`s,
//!   all of them;
//! - a checkpoint of a chain's last record is met when that record is there, and not when
//!   its MAC is nowhere.
#![no_main]

#[path = "archive_checks.rs"]
mod archive_checks;

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use seclog::integrity::{
    ArchiveOptions, ChainKey, ChainWriter, Checkpoint, EndState, Seal, Source, TamperKind,
    checkpoint_problem, verify_archive,
};

use archive_checks::{Input, SYMMETRIC, check_report, keys, maybe_cloudwatch, secret};

/// An input: its lines (without newlines), and whether it is written as a CloudWatch export.
#[derive(Clone)]
struct Part {
    name: &'static str,
    lines: Vec<Vec<u8>>,
    export: bool,
    /// The last line has no newline (a cut).
    torn: bool,
    /// A byte of the rendered export changed: `Source::new` may read it as raw bytes.
    raw: Option<(usize, u8)>,
}

struct Chain {
    id: String,
    /// Each record's bytes, by seq from 0 (`seclog.chain`).
    records: Vec<Vec<u8>>,
    closed: bool,
}

struct Genuine {
    parts: Vec<Part>,
    chains: Vec<Chain>,
    /// Record bytes → (chain, seq).
    index: HashMap<Vec<u8>, (usize, u64)>,
    /// The last record of each chain, as a checkpoint.
    checkpoints: Vec<Checkpoint>,
}

fn record(seq: u64, event: &str, host: &str, pid: u32) -> String {
    format!(
        r#"{{"ts":"2026-12-02T10:00:{:02}.{seq:09}Z","seq":{seq},"event":"{event}","level":"INFO","outcome":"success","where":{{"service":"shop","version":"1.4.2","host":"{host}","pid":{pid}}},"who":{{"user":"u{seq}"}}}}"#,
        seq % 60
    )
}

/// A chain of `n` records after `seclog.chain`, the last `sys_shutdown` when `closed`.
fn chain(seal: &Seal, n: u64, closed: bool, host: &str, pid: u32) -> Chain {
    let mut w = ChainWriter::new(seal).expect("a chain");
    let mut out = Vec::new();
    for seq in 1..=n {
        let event = if closed && seq == n {
            "sys_shutdown"
        } else {
            "order.place"
        };
        w.seal(record(seq, event, host, pid).as_bytes(), &mut out);
    }
    let records: Vec<Vec<u8>> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(records.len() as u64, n + 1);
    Chain {
        id: w.id().to_owned(),
        records,
        closed,
    }
}

fn hex_decode32(text: &[u8]) -> [u8; 32] {
    let digit = |b: u8| (b as char).to_digit(16).expect("a hex digit") as u8;
    let mut out = [0; 32];
    for (o, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *o = digit(pair[0]) << 4 | digit(pair[1]);
    }
    out
}

fn genuine() -> &'static Genuine {
    static G: OnceLock<Genuine> = OnceLock::new();
    G.get_or_init(|| {
        let public = Seal::to(secret().public().clone());
        let symmetric = Seal::symmetric(ChainKey::from_bytes(SYMMETRIC));
        let chains = vec![
            chain(&public, 8, true, "web-1", 101),
            chain(&public, 6, false, "web-2", 202),
            chain(&symmetric, 5, true, "169.254.7.7", 1),
        ];
        let prefix = |c: usize, seq: usize| {
            format!(
                "2026-12-02T10:00:{seq:02}.123456+00:00 10.0.1.{c} web-{c} shop[{c}0{c}]: \u{feff}"
            )
            .into_bytes()
        };
        let (mut collector, mut container) = (Vec::new(), Vec::new());
        for seq in 0..9 {
            for (c, ch) in chains[..2].iter().enumerate() {
                let Some(r) = ch.records.get(seq) else {
                    continue;
                };
                if seq < ch.records.len() / 2 {
                    collector.push([prefix(c + 1, seq), r.clone()].concat());
                } else {
                    container.push(r.clone());
                }
            }
        }
        let lambda: Vec<Vec<u8>> = chains[2]
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let p = format!(
                    "2026-12-02T10:00:00.{i:03}Z\tc0ffee00-0000-4000-8000-00000000000{i}\tINFO\t"
                );
                [p.into_bytes(), r.clone()].concat()
            })
            .collect();
        let part = |name, lines, export| Part {
            name,
            lines,
            export,
            torn: false,
            raw: None,
        };
        let parts = vec![
            part("collector.log", collector, false),
            part("lambda.json", lambda, true),
            part("container.log", container, false),
        ];
        let mut index = HashMap::new();
        for (c, ch) in chains.iter().enumerate() {
            for (seq, r) in ch.records.iter().enumerate() {
                index.insert(r.clone(), (c, seq as u64));
            }
        }
        let checkpoints = chains
            .iter()
            .map(|ch| {
                let last = ch.records.last().expect("records");
                let mac = &last[last.len() - 66..last.len() - 2];
                Checkpoint {
                    count: ch.records.len() as u64 - 1,
                    head: hex_decode32(mac),
                    key_id: String::new(),
                    ts: "2026-12-02T10:01:00.000000000Z".into(),
                    chain: Some(ch.id.clone()),
                }
            })
            .collect();
        Genuine {
            parts,
            chains,
            index,
            checkpoints,
        }
    })
}

fn pick(n: usize, x: u8) -> Option<usize> {
    (n > 0).then(|| usize::from(x) % n)
}

/// Applies the mutations the input describes, four bytes each.
fn mutate(parts: &mut Vec<Part>, data: &[u8]) {
    for op in data.chunks_exact(4).take(8) {
        let (kind, a, b, c) = (op[0], op[1], op[2], op[3]);
        let Some(p) = pick(parts.len(), a) else {
            return;
        };
        let n = parts[p].lines.len();
        let at = usize::from(b) << 8 | usize::from(c);
        match kind % 11 {
            // Flip a bit, overwrite a byte, insert bytes, in one line.
            k @ 0..=2 => {
                let Some(i) = pick(n, b) else { continue };
                let line = &mut parts[p].lines[i];
                match k {
                    0 if !line.is_empty() => {
                        let j = usize::from(c) * 3 % line.len();
                        line[j] ^= 1 << (kind / 11 % 8);
                    }
                    1 if !line.is_empty() => {
                        let j = usize::from(kind / 11) * 11 % line.len();
                        line[j] = c;
                    }
                    2 => {
                        let j = usize::from(kind / 11) * 13 % (line.len() + 1);
                        let bytes = std::iter::repeat_n(c, usize::from(kind / 11 % 3) + 1);
                        line.splice(j..j, bytes);
                    }
                    _ => {}
                }
            }
            // Cut: the input ends inside a line.
            3 => {
                let Some(i) = pick(n, b) else { continue };
                let part = &mut parts[p];
                part.lines.truncate(i + 1);
                let len = part.lines[i].len();
                part.lines[i].truncate(usize::from(c) % (len + 1));
                part.torn = true;
            }
            // Duplicate a line after another, swap two lines, delete a line.
            k @ 4..=6 => {
                let (Some(i), Some(j)) = (pick(n, b), pick(n, c)) else {
                    continue;
                };
                let lines = &mut parts[p].lines;
                match k {
                    4 => {
                        let line = lines[i].clone();
                        lines.insert(j + 1, line);
                    }
                    5 => lines.swap(i, j),
                    _ => {
                        lines.remove(i);
                    }
                }
            }
            // Move or copy a line to another input.
            k @ (7 | 8) => {
                let Some(i) = pick(n, b) else { continue };
                let line = if k == 7 {
                    parts[p].lines.remove(i)
                } else {
                    parts[p].lines[i].clone()
                };
                let q = usize::from(c) % parts.len();
                let j = usize::from(kind / 11) % (parts[q].lines.len() + 1);
                parts[q].lines.insert(j, line);
            }
            // Delete an input, or swap two.
            9 => {
                if b % 2 == 0 {
                    parts.remove(p);
                } else {
                    let q = usize::from(c) % parts.len();
                    parts.swap(p, q);
                }
            }
            // A byte of an export's JSON.
            _ => {
                if parts[p].export {
                    parts[p].raw = Some((at, kind / 11));
                }
            }
        }
    }
}

/// The bytes of an input, as `Source::new` is given them.
fn render(part: &Part) -> Vec<u8> {
    let mut bytes = if part.export {
        let events: Vec<serde_json::Value> = part
            .lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "timestamp": 1_764_669_600_000u64,
                    "message": format!("{}\n", String::from_utf8_lossy(l)),
                })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({ "events": events })).expect("JSON")
    } else {
        let mut out = Vec::new();
        for l in &part.lines {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
        if part.torn {
            out.pop();
        }
        out
    };
    if let Some((at, byte)) = part.raw
        && !bytes.is_empty()
    {
        let i = at % bytes.len();
        bytes[i] = byte;
    }
    bytes
}

/// The lines the verifier reads in an input: an export's messages (cut at their own line
/// ends, as `Source::new` keeps them), else the bytes' lines; `None` when that is not sure.
fn read_lines(part: &Part, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let text: Vec<u8> = if part.export {
        if part.raw.is_some() {
            return None;
        }
        part.lines
            .iter()
            .flat_map(|l| {
                // The message went through lossy UTF-8 and JSON, and lost its trailing line ends.
                let m = format!("{}\n", String::from_utf8_lossy(l));
                let mut m = m.trim_end_matches(['\n', '\r']).as_bytes().to_vec();
                m.push(b'\n');
                m
            })
            .collect()
    } else {
        if maybe_cloudwatch(bytes) {
            return None;
        }
        bytes.to_vec()
    };
    Some(
        text.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect(),
    )
}

/// The record a line holds, as the verifier finds it; `None` for a key note or no record.
fn record_of(line: &[u8]) -> Option<&[u8]> {
    let find = |pat: &[u8]| line.windows(pat.len()).position(|w| w == pat);
    if find(b"{\"seclog_key\":").is_some() {
        return None;
    }
    let at = find(b"{\"ts\":\"")?;
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b'\r' | b' ' | b'\t'))
        .map_or(0, |i| i + 1);
    (at < end).then(|| &line[at..end])
}

/// Key evolutions an input may cost beyond one per line (the default, 2^26, is tens of
/// seconds under instrumentation).
const GAP_BUDGET: u64 = 1 << 14;

fuzz_target!(|data: &[u8]| {
    let g = genuine();
    let mut parts = g.parts.clone();
    mutate(&mut parts, data);
    let rendered: Vec<Vec<u8>> = parts.iter().map(render).collect();
    let sources: Vec<Source> = parts
        .iter()
        .zip(&rendered)
        .map(|(p, b)| Source::new(p.name, b.clone()))
        .collect();
    let inputs: Vec<Input<'_>> = parts
        .iter()
        .zip(&rendered)
        .map(|(p, b)| Input {
            name: p.name,
            // An export's lines are its messages: counted only when they are sure.
            segments: if p.export {
                None
            } else {
                Input::new(p.name, b).segments
            },
        })
        .collect();

    // What is in the archive: per chain, the genuine records surely there, and at most there.
    let read: Vec<Option<Vec<Vec<u8>>>> = parts
        .iter()
        .zip(&rendered)
        .map(|(p, b)| read_lines(p, b))
        .collect();
    let sure = read.iter().all(Option::is_some);
    let mut present: Vec<BTreeSet<u64>> = vec![BTreeSet::new(); g.chains.len()];
    let mut at_most: Vec<BTreeSet<u64>> = vec![BTreeSet::new(); g.chains.len()];
    let mut all_genuine = true;
    let mut lines = 0u64;
    for (part, read) in parts.iter().zip(&read) {
        if let Some(read) = read {
            for l in read {
                lines += 1;
                match record_of(l).and_then(|r| g.index.get(r)) {
                    Some(&(c, seq)) => {
                        present[c].insert(seq);
                        at_most[c].insert(seq);
                    }
                    None => all_genuine = false,
                }
            }
        } else {
            // An export read otherwise: any record it held may still be read.
            for l in &part.lines {
                for (r, &(c, seq)) in &g.index {
                    if l.windows(r.len()).any(|w| w == r.as_slice()) {
                        at_most[c].insert(seq);
                    }
                }
            }
        }
    }
    let ids: HashMap<&str, usize> = g
        .chains
        .iter()
        .enumerate()
        .map(|(c, ch)| (ch.id.as_str(), c))
        .collect();

    for mut options in [ArchiveOptions::default(), ArchiveOptions::file_sink()] {
        // What a hostile seq may cost, kept small so that an input runs in milliseconds.
        options.gap_budget = GAP_BUDGET;
        let report = verify_archive(keys(), &sources, options);
        check_report(&report, &inputs, options);
        for c in &report.chains {
            let Some(&i) = ids.get(c.chain.as_str()) else {
                assert_eq!(c.records, 0, "a chain no writer made verified records");
                assert!(!c.verified());
                continue;
            };
            assert!(
                c.records <= at_most[i].len() as u64,
                "chain {i}: {} records, at most {} genuine ones there",
                c.records,
                at_most[i].len()
            );
            if c.verified() && !options.after_retention && sure {
                let k = *present[i].last().expect("a verified chain has records");
                assert!(
                    present[i].iter().copied().eq(0..=k),
                    "chain {i} verified with records {:?}",
                    present[i]
                );
                assert_eq!(c.records, k + 1, "chain {i}");
                assert_eq!(c.last_seq, (k > 0).then_some(k), "chain {i}");
            }
        }

        let complete = sure
            && all_genuine
            && present
                .iter()
                .zip(&g.chains)
                .all(|(p, ch)| p.len() == ch.records.len());
        if complete && !options.ordered {
            assert!(
                report.verified(),
                "an archive of every genuine record fails: {report:?}"
            );
            assert_eq!(report.chains.len(), g.chains.len());
            assert_eq!((report.other_lines, report.unsealed), (0, 0));
            assert_eq!(report.lines, lines);
            assert!(report.incomplete_tails.is_empty() || parts.iter().any(|p| p.torn));
            let mut duplicates = 0;
            for c in &report.chains {
                let ch = &g.chains[ids[c.chain.as_str()]];
                assert_eq!(c.records, ch.records.len() as u64);
                let end = if ch.closed {
                    EndState::Closed
                } else {
                    EndState::Open
                };
                assert_eq!(c.end, end);
                assert!(c.problems.is_empty() && c.missing.is_empty());
                duplicates += c.duplicates;
            }
            let distinct: usize = g.chains.iter().map(|c| c.records.len()).sum();
            assert_eq!(duplicates, lines - distinct as u64, "duplicates miscounted");
        }
        if complete && options.ordered {
            // In order or not, nothing but reordering is reported.
            for c in &report.chains {
                assert!(c.missing.is_empty(), "chain {}: {:?}", c.chain, c.missing);
                assert!(
                    c.problems.iter().all(|p| p.kind == TamperKind::Reordered),
                    "chain {}: {:?}",
                    c.chain,
                    c.problems
                );
            }
        }
    }

    for (i, cp) in g.checkpoints.iter().enumerate() {
        let found = checkpoint_problem(&sources, cp);
        if sure && present[i].contains(&cp.count) {
            assert_eq!(found, None, "chain {i}: its last record is there");
        }
        // Met means a line of the chain at its seq carries its MAC (the record itself is
        // verified by `verify_archive`).
        let mac = &g.chains[i].records.last().expect("records")[..];
        let mac = &mac[mac.len() - 66..mac.len() - 2];
        if !rendered
            .iter()
            .any(|b| b.windows(mac.len()).any(|w| w == mac))
        {
            assert_ne!(found, None, "chain {i}: a checkpoint met without its MAC");
        }
    }
});
