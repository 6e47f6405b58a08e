//! Verifying an archive: the sealed records of many chains, in any order, duplicated by
//! at-least-once transport, with whatever a collector wrote before each record.
//!
//! Records are grouped by `chain` and ordered by `seq`; each verifies on its own (see
//! [`ChainWriter`](super::ChainWriter)), so what never arrived shows as `missing` ranges and
//! what was changed as a problem on its line.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};

use memchr::memmem::Finder;

use serde_json::Value;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::seal::Keys;
use super::stream::{KeyAt, seq_of};
use super::{EndState, TamperKind};

/// One input of an archive: a file, standard input, a CloudWatch Logs export.
#[derive(Debug, Clone)]
pub struct Source {
    name: String,
    bytes: Vec<u8>,
}

impl Source {
    /// An input named `name` (in problems and messages) holding `bytes`. A CloudWatch Logs
    /// JSON export (`{"events":[{"message":..},..]}`) is read as its messages.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        let bytes = cloudwatch_messages(&bytes).unwrap_or(bytes);
        Source {
            name: name.into(),
            bytes,
        }
    }

    /// Reads a file.
    pub fn read(path: &Path) -> io::Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
        })?;
        Ok(Source::new(path.display().to_string(), bytes))
    }

    /// The input's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its lines as read: a CloudWatch Logs export's messages, one per line.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Whether `head` (the first bytes of an input) opens a CloudWatch Logs JSON export.
    pub fn is_cloudwatch_export(head: &[u8]) -> bool {
        let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
            return false;
        };
        let head = &head[start..head.len().min(start + 4096)];
        head.first() == Some(&b'{')
            && !head.starts_with(b"{\"ts\":")
            && memchr::memmem::find(head, b"\"events\"").is_some()
    }
}

/// The messages of a CloudWatch Logs export, one per line; `None` if `bytes` is not one.
fn cloudwatch_messages(bytes: &[u8]) -> Option<Vec<u8>> {
    if !Source::is_cloudwatch_export(bytes) {
        return None;
    }
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let events = v.get("events")?.as_array()?;
    let mut out = Vec::with_capacity(bytes.len());
    for e in events {
        if let Some(m) = e.get("message").and_then(Value::as_str) {
            out.extend_from_slice(m.trim_end_matches(['\n', '\r']).as_bytes());
            out.push(b'\n');
        }
    }
    Some(out)
}

/// How an archive is read.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ArchiveOptions {
    /// Each input was written in `seq` order (a directory of the file sink): a record that
    /// comes after a later one of its chain in the same input is `reordered`. In an archive
    /// that travelled, arrival order is no evidence, and this is off.
    pub ordered: bool,
    /// Older inputs were deleted by retention: a chain whose first record is gone starts
    /// after retention instead of being a problem (it verifies from a key note).
    pub after_retention: bool,
    /// Key evolutions (one HMAC each) the archive may cost beyond one per line it holds:
    /// what its gaps may cost, so that a hostile `seq` cannot cost unbounded time. Shared
    /// among the chains in chain id order; records past a chain's share are reported
    /// `modified`. 2^26 (about 20 s) by default.
    pub gap_budget: u64,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        ArchiveOptions {
            ordered: false,
            after_retention: false,
            gap_budget: DEFAULT_GAP_BUDGET,
        }
    }
}

impl ArchiveOptions {
    /// The options of a file sink's directory: ordered, and retention may have deleted its
    /// oldest files.
    pub fn file_sink() -> Self {
        ArchiveOptions {
            ordered: true,
            after_retention: true,
            ..ArchiveOptions::default()
        }
    }
}

/// A line of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The input's name.
    pub source: String,
    /// The line, from 1.
    pub line: u64,
}

/// What is wrong with a line of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainProblem {
    /// Where the line is.
    pub at: Location,
    /// Its `seq`, when it has one.
    pub seq: Option<u64>,
    /// What the problem is: `modified` (its MAC does not verify), `inserted` (it does not
    /// verify and another record holds its `seq`), `forged` (a second, different first
    /// record for a chain id: the chain id seen with two keys), `bad key` (no key held opens
    /// the chain), `no start` (the chain's first record is gone), `reordered`.
    pub kind: TamperKind,
}

/// What one chain holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainReport {
    /// The chain's id.
    pub chain: String,
    /// `public` or `symmetric`, from the chain's first record.
    pub seal: Option<String>,
    /// The id of the key the chain is sealed under.
    pub key_id: Option<String>,
    /// `where.host`, `where.pid` and `where.service` of the process that wrote it.
    pub host: Option<String>,
    /// See [`ChainReport::host`].
    pub pid: Option<u64>,
    /// See [`ChainReport::host`].
    pub service: Option<String>,
    /// Records that verified (the first record included, duplicates counted once).
    pub records: u64,
    /// The `seq` of the chain's first record after `seclog.chain`.
    pub first_seq: Option<u64>,
    /// The `seq` of the last record that verified.
    pub last_seq: Option<u64>,
    /// `ts` of the first record that verified (of the first record there is, when none
    /// verifies: a chain no key opens is still placed by its start).
    pub first_ts: Option<String>,
    /// `ts` of the last record that verified.
    pub last_ts: Option<String>,
    /// `seq` ranges (inclusive) that never arrived or were removed.
    pub missing: Vec<(u64, u64)>,
    /// Lines identical to one already read.
    pub duplicates: u64,
    /// Lines that do not verify, and why.
    pub problems: Vec<ChainProblem>,
    /// `closed` when the last record is `sys_shutdown` (or only seclog's own notes,
    /// `seclog.*`, follow it); `open` otherwise (still running, the process died, or its
    /// tail was cut).
    pub end: EndState,
    /// The event of the last record that verified.
    pub last_event: Option<String>,
    /// The clock of the source (`fields.clock` of its first record).
    pub clock: Option<Value>,
    /// The chain's first record is gone, and it verifies from a key note after retention.
    pub starts_after_retention: bool,
}

impl ChainReport {
    /// Every line verifies and nothing is missing.
    pub fn verified(&self) -> bool {
        self.problems.is_empty() && self.missing.is_empty() && self.records > 0
    }

    /// The source's clock says it was not synchronised.
    pub fn clock_unsynced(&self) -> bool {
        self.clock
            .as_ref()
            .and_then(|c| c.get("synced"))
            .and_then(Value::as_bool)
            == Some(false)
    }
}

/// What [`verify_archive`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveReport {
    /// One per chain id, by the host, pid and start of their writers.
    pub chains: Vec<ChainReport>,
    /// Lines read.
    pub lines: u64,
    /// Lines that hold no record (a collector's own messages, binary noise).
    pub other_lines: u64,
    /// Records that carry no seal: they belong to no chain and cannot be verified.
    pub unsealed: u64,
    /// Where the first of them is.
    pub first_unsealed: Option<Location>,
    /// Inputs whose last line was cut short (no newline, and not a whole record).
    pub incomplete_tails: Vec<String>,
}

impl ArchiveReport {
    /// Every chain verifies with nothing missing, and no record is unsealed.
    pub fn verified(&self) -> bool {
        !self.chains.is_empty() && self.unsealed == 0 && self.chains.iter().all(|c| c.verified())
    }
}

/// A sealed line of an input.
#[derive(Clone, Copy)]
struct Entry<'a> {
    /// From the record's `{` to its closing `}`.
    record: &'a [u8],
    seq: u64,
    src: u32,
    line: u64,
}

/// A key note of a file sink (`seclog_key`).
struct Note<'a> {
    seq: u64,
    encrypted: &'a [u8],
}

enum Parsed<'a> {
    Sealed { record: &'a [u8], chain: &'a [u8] },
    Unsealed,
    Note { chain: &'a [u8], note: Note<'a> },
    Other,
}

/// The record in a line of an archive: from its `{"ts":"` (whatever precedes it, a
/// collector's header or a timestamp) to the line's end, trailing blanks cut; `None` when the
/// line holds no record's start.
///
/// ```
/// let line = br#"<14>1 2026-12-02T10:00:00Z web-1 shop 311 - - {"ts":"2026-12-02T10:00:00.1Z","seq":1} "#;
/// assert_eq!(
///     seclog::integrity::record_in(line),
///     Some(&br#"{"ts":"2026-12-02T10:00:00.1Z","seq":1}"#[..])
/// );
/// assert_eq!(seclog::integrity::record_in(b"not a record"), None);
/// ```
pub fn record_in(line: &[u8]) -> Option<&[u8]> {
    let line = trim_end(line);
    TS.find(line).map(|at| &line[at..])
}

static TS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"{\"ts\":\""));

fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b'\r' | b' ' | b'\t'))
        .map_or(0, |i| i + 1);
    &line[..end]
}

/// The record in a line, after whatever precedes it.
fn parse_line(line: &[u8]) -> Parsed<'_> {
    let line = trim_end(line);
    static NOTE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"{\"seclog_key\":"));
    let Some(at) = TS.find(line) else {
        // A key note holds no `ts`.
        return match NOTE.find(line) {
            Some(at) => parse_note(&line[at..])
                .map_or(Parsed::Other, |(chain, note)| Parsed::Note { chain, note }),
            None => Parsed::Other,
        };
    };
    let record = &line[at..];
    match sealed_shape(record) {
        Some((_, chain)) => Parsed::Sealed { record, chain },
        None if record.ends_with(b"}") => Parsed::Unsealed,
        None => Parsed::Other,
    }
}

/// `{..,"chain":"<id>","mac":"<64 hex>"}` → (the MACed body, the chain id, the MAC).
pub(crate) fn split_sealed(record: &[u8]) -> Option<(&[u8], &[u8], [u8; 32])> {
    let (body, chain) = sealed_shape(record)?;
    let (_, mac) = sealed_parts(record);
    Some((body, chain, mac))
}

const MAC_KEY: &[u8] = b",\"mac\":\"";
const CHAIN_KEY: &[u8] = b",\"chain\":\"";
/// `","mac":"`, 64 hex digits and `"}`.
const SEAL_TAIL: usize = MAC_KEY.len() + 64 + 2;

/// Whether `record` ends as a sealed record does: (the MACed body, the chain id).
fn sealed_shape(record: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = record.strip_suffix(b"\"}")?;
    if rest.len() < 64 + MAC_KEY.len() {
        return None;
    }
    let (body, mac) = rest.split_at(rest.len() - 64);
    if !crate::hex::is_lower(mac) {
        return None;
    }
    let body = body.strip_suffix(MAC_KEY)?;
    // The chain id: the hex digits before the closing quote, at most 128 of them.
    let open = body.strip_suffix(b"\"")?;
    let digits = open
        .iter()
        .rev()
        .take(129)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    if digits == 0 || digits > 128 {
        return None;
    }
    let (head, chain) = open.split_at(open.len() - digits);
    if !head.ends_with(CHAIN_KEY) {
        return None;
    }
    Some((body, chain))
}

/// The MACed body and the MAC of a record [`sealed_shape`] accepted.
fn sealed_parts(record: &[u8]) -> (&[u8], [u8; 32]) {
    let body = &record[..record.len() - SEAL_TAIL];
    let hex = &record[record.len() - 66..record.len() - 2];
    (body, crate::hex::decode32(hex).unwrap_or_default())
}

fn parse_note(line: &[u8]) -> Option<(&[u8], Note<'_>)> {
    let v: Value = serde_json::from_slice(line).ok()?;
    let n = v.get("seclog_key")?;
    let chain = n.get("chain")?.as_str()?;
    if chain.is_empty() || chain.len() > 128 || !chain.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let enc = n.get("encrypted_key")?.as_str()?;
    // Borrow from the line itself, so that notes live as long as entries.
    let find = |s: &str| memchr::memmem::find(line, s.as_bytes()).map(|at| &line[at..at + s.len()]);
    Some((
        find(chain)?,
        Note {
            seq: n.get("seq")?.as_u64()?,
            encrypted: find(enc)?,
        },
    ))
}

/// Verifies every chain in `sources` against `keys`.
///
/// The cost is bounded whatever the input: at most one key evolution per line plus
/// [`ArchiveOptions::gap_budget`] for the gaps.
///
/// ```
/// use seclog::integrity::{ArchiveOptions, ChainKey, ChainWriter, Keys, Seal, Source, verify_archive};
///
/// let key = ChainKey::from_bytes([5; 32]);
/// let mut chain = ChainWriter::new(&Seal::symmetric(key.clone())).unwrap();
/// let mut log = Vec::new();
/// for seq in 1..=3 {
///     let r = format!(r#"{{"ts":"2026-12-02T10:00:0{seq}.000000000Z","seq":{seq},"event":"ping"}}"#);
///     chain.seal(r.as_bytes(), &mut log);
/// }
/// // A collector's prefix, and the lines out of order: still verified.
/// let text = String::from_utf8(log).unwrap();
/// let mut lines: Vec<String> = text.lines().map(|l| format!("<14>1 host app - - - {l}")).collect();
/// lines.reverse();
/// let archive = Source::new("archive", (lines.join("\n") + "\n").into_bytes());
/// let report = verify_archive(&Keys::new().with_symmetric(key), &[archive], ArchiveOptions::default());
/// assert!(report.verified());
/// assert_eq!(report.chains[0].records, 4);
/// ```
pub fn verify_archive(keys: &Keys, sources: &[Source], options: ArchiveOptions) -> ArchiveReport {
    let mut report = ArchiveReport {
        chains: Vec::new(),
        lines: 0,
        other_lines: 0,
        unsealed: 0,
        first_unsealed: None,
        incomplete_tails: Vec::new(),
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Large inputs are read in pieces cut after a newline, one thread each; the pieces are
    // then joined in order, so that each chain's lines stay in input order.
    let mut pieces: Vec<(u32, &[u8])> = Vec::new();
    for (src, source) in sources.iter().enumerate() {
        let bytes = &source.bytes[..];
        let n = if bytes.len() >= PIECE_MIN { threads } else { 1 };
        let mut start = 0;
        for i in 1..=n {
            let mut end = bytes.len() * i / n;
            if i < n {
                end = memchr::memchr(b'\n', &bytes[end.max(start)..])
                    .map_or(bytes.len(), |at| end.max(start) + at + 1);
            }
            if end > start {
                pieces.push((src as u32, &bytes[start..end]));
            }
            start = end;
        }
    }
    let parsed = on_every_core(&pieces, threads, |&(src, bytes)| parse_piece(bytes, src));
    let mut chains: ChainMap<'_> = HashMap::default();
    let mut offsets = vec![0u64; sources.len()];
    for piece in parsed {
        let src = piece.src as usize;
        let offset = offsets[src];
        offsets[src] += piece.line_count;
        report.lines += piece.lines;
        report.other_lines += piece.other_lines;
        report.unsealed += piece.unsealed;
        if report.first_unsealed.is_none()
            && let Some(line) = piece.first_unsealed
        {
            report.first_unsealed = Some(Location {
                source: sources[src].name.clone(),
                line: offset + line,
            });
        }
        if piece.torn {
            report.incomplete_tails.push(sources[src].name.clone());
        }
        for (id, (mut entries, notes)) in piece.chains {
            if offset > 0 {
                for e in &mut entries {
                    e.line += offset;
                }
            }
            match chains.entry(id) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert((entries, notes));
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let (e, n) = o.get_mut();
                    e.extend(entries);
                    n.extend(notes);
                }
            }
        }
    }
    let mut work: Vec<Work<'_>> = chains
        .into_iter()
        .map(|(id, (e, n))| (id, e, n, 0))
        .collect();
    // Each chain's share of the key evolutions the archive may cost, given out in chain id
    // order so that the report does not depend on which thread runs first.
    work.sort_by(|a, b| a.0.cmp(b.0));
    let mut budget = options.gap_budget.saturating_add(report.lines);
    for (_, entries, notes, allowance) in &mut work {
        *allowance = evolutions_needed(entries, notes, keys).min(budget);
        budget -= *allowance;
    }
    // The biggest chains first, so that the threads finish together.
    work.sort_by_key(|(_, e, _, _)| std::cmp::Reverse(e.len()));
    report.chains = on_every_core(&work, threads, |(id, entries, notes, allowance)| {
        verify_chain(keys, id, entries, notes, sources, options, *allowance)
    });
    report.chains.sort_by(|a, b| {
        (&a.host, a.pid, &a.first_ts, &a.chain).cmp(&(&b.host, b.pid, &b.first_ts, &b.chain))
    });
    report
}

/// `f` of every item, on up to `threads` threads, in the items' order.
fn on_every_core<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { return };
                    let r = f(item);
                    *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .filter_map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
        .collect()
}

/// Inputs at least this large are read by several threads.
const PIECE_MIN: usize = 4 << 20;

/// A chain to verify: its id, lines, key notes and share of the key evolutions.
type Work<'a> = (&'a [u8], Vec<Entry<'a>>, Vec<Note<'a>>, u64);

type ChainMap<'a> = HashMap<&'a [u8], (Vec<Entry<'a>>, Vec<Note<'a>>), foldhash::fast::RandomState>;

/// What one piece of an input holds; its line numbers count from the piece's start.
struct Piece<'a> {
    src: u32,
    chains: ChainMap<'a>,
    /// Lines in the piece, empty ones included: where the next piece's numbers start.
    line_count: u64,
    lines: u64,
    other_lines: u64,
    unsealed: u64,
    first_unsealed: Option<u64>,
    torn: bool,
}

/// Reads the lines of `bytes`, a whole input or a piece of one that ends after a newline.
fn parse_piece(bytes: &[u8], src: u32) -> Piece<'_> {
    let mut p = Piece {
        src,
        chains: HashMap::default(),
        line_count: 0,
        lines: 0,
        other_lines: 0,
        unsealed: 0,
        first_unsealed: None,
        torn: false,
    };
    let mut start = 0;
    let ends =
        memchr::memchr_iter(b'\n', bytes).chain((!bytes.ends_with(b"\n")).then_some(bytes.len()));
    for (n, end) in ends.enumerate() {
        let line = &bytes[start..end];
        let line_no = n as u64 + 1;
        p.line_count = line_no;
        let torn = end == bytes.len() && !bytes.ends_with(b"\n");
        start = end + 1;
        if line.is_empty() {
            continue;
        }
        p.lines += 1;
        match parse_line(line) {
            Parsed::Sealed { record, chain } => {
                let entry = Entry {
                    record,
                    seq: seq_of(record).unwrap_or(u64::MAX),
                    src,
                    line: line_no,
                };
                p.chains.entry(chain).or_default().0.push(entry);
            }
            Parsed::Note { chain, note } => p.chains.entry(chain).or_default().1.push(note),
            Parsed::Unsealed if !torn => {
                p.unsealed += 1;
                p.first_unsealed.get_or_insert(line_no);
            }
            Parsed::Unsealed | Parsed::Other if torn => p.torn = true,
            Parsed::Unsealed | Parsed::Other => p.other_lines += 1,
        }
    }
    p
}

/// What the chain's first record says.
struct Start {
    value: Value,
    entry_index: usize,
}

fn verify_chain(
    keys: &Keys,
    id: &[u8],
    entries: &[Entry<'_>],
    notes: &[Note<'_>],
    sources: &[Source],
    options: ArchiveOptions,
    mut allowance: u64,
) -> ChainReport {
    let chain = String::from_utf8_lossy(id).into_owned();
    let at = |e: &Entry<'_>| Location {
        source: sources[e.src as usize].name.clone(),
        line: e.line,
    };
    let mut problems = Vec::new();
    let problem = |e: &Entry<'_>, kind| ChainProblem {
        at: at(e),
        seq: (e.seq != u64::MAX).then_some(e.seq),
        kind,
    };
    if options.ordered {
        let mut last: HashMap<u32, u64> = HashMap::new();
        for e in entries {
            let prev = last.entry(e.src).or_insert(0);
            if e.seq < *prev {
                problems.push(problem(e, TamperKind::Reordered));
            }
            *prev = (*prev).max(e.seq);
        }
    }
    // Records mostly arrive in seq order: then there is nothing to sort or copy.
    let order = |e: &Entry<'_>| (e.seq, e.src, e.line);
    let sorted: std::borrow::Cow<'_, [Entry<'_>]> = if entries.is_sorted_by_key(order) {
        std::borrow::Cow::Borrowed(entries)
    } else {
        let mut v = entries.to_vec();
        v.sort_unstable_by_key(order);
        std::borrow::Cow::Owned(v)
    };

    // The first record: `seclog.chain` at seq 0. A second, different one is the chain id
    // seen with two keys: the start is the one a held key opens, wherever it stands.
    let mut candidates: Vec<usize> = Vec::new();
    for (i, e) in sorted.iter().enumerate().take_while(|(_, e)| e.seq == 0) {
        if !candidates.iter().any(|&c| sorted[c].record == e.record) {
            candidates.push(i);
        }
    }
    let mut starts: Vec<_> = candidates
        .iter()
        .filter_map(|&i| {
            let v: Value = serde_json::from_slice(sorted[i].record).unwrap_or_default();
            (v.get("event").and_then(Value::as_str) == Some("seclog.chain")).then(|| {
                let k = start_key(keys, id, &v);
                (i, v, k)
            })
        })
        .collect();
    let chosen = starts
        .iter()
        .position(|(i, _, k)| k.as_ref().is_some_and(|k| seals(k, sorted[*i].record)))
        .unwrap_or(0);
    let (start, start_k) = if chosen < starts.len() {
        let (entry_index, value, k) = starts.swap_remove(chosen);
        (Some(Start { value, entry_index }), k)
    } else {
        (None, None)
    };
    for &i in &candidates {
        if start.as_ref().is_some_and(|s| s.entry_index != i) {
            problems.push(problem(&sorted[i], TamperKind::Forged));
        }
    }
    let field = |k: &str| {
        start
            .as_ref()
            .and_then(|s| s.value.pointer(&format!("/fields/{k}")).cloned())
    };
    let seal = field("seal").and_then(|v| v.as_str().map(str::to_owned));
    let key_id = field("key_id").and_then(|v| v.as_str().map(str::to_owned));
    let first_seq = field("first_seq").and_then(|v| v.as_u64());

    // The key at some seq: K(0) from the first record, else from a key note, else (a
    // symmetric seal) derived and tried on the first record there is.
    let mut key: Option<(u64, Zeroizing<[u8; 32]>)> = None;
    let mut starts_after_retention = false;
    if let (Some(s), Some(_), Some(_)) = (&start, &seal, &key_id) {
        key = start_k.map(|k| (0, k));
        if key.is_none() {
            problems.push(problem(&sorted[s.entry_index], TamperKind::BadKey));
        }
    } else if let Some(first) = sorted.first() {
        if let Some(s) = &start {
            problems.push(problem(&sorted[s.entry_index], TamperKind::BadKey));
        }
        key = key_from_notes(keys, id, notes)
            .or_else(|| key_from_symmetric(keys, id, first, &mut allowance));
        if key.is_some() && options.after_retention && start.is_none() {
            starts_after_retention = true;
        } else if start.is_none() {
            problems.push(problem(first, TamperKind::NoStart));
        }
        if key.is_none() && start.is_none() {
            problems.push(problem(first, TamperKind::BadKey));
        }
    }

    let mut key: Option<(u64, KeyAt)> = key.map(|(at, k)| (at, KeyAt::new(k)));
    let mut records = 0u64;
    let mut duplicates = 0u64;
    let mut first_ok: Option<Entry<'_>> = None;
    let mut last_ok: Option<Entry<'_>> = None;
    // The last that verified of the records not about seclog itself: `sys_shutdown` there
    // closes the chain, whatever notes seclog wrote after it (a file sink's retention).
    let mut last_of_the_process: Option<Entry<'_>> = None;
    let mut seqs: Vec<u64> = Vec::with_capacity(sorted.len());
    let mut i = 0;
    while i < sorted.len() {
        let seq = sorted[i].seq;
        let mut j = i + 1;
        while j < sorted.len() && sorted[j].seq == seq {
            j += 1;
        }
        let group = &sorted[i..j];
        i = j;
        // A seq further on than the chain's allowance of evolutions is not reached: its
        // records are reported modified, and no range up to it is called missing.
        let beyond = key
            .as_ref()
            .is_some_and(|(at, _)| seq != u64::MAX && seq > *at && seq - *at > allowance);
        if seq != 0 && seq != u64::MAX && !beyond {
            seqs.push(seq);
        }
        let mut key_here = None;
        if let Some((at, k)) = key.as_mut()
            && !beyond
            && *at <= seq
            && seq != u64::MAX
        {
            allowance -= seq - *at;
            while *at < seq {
                k.evolve();
                *at += 1;
            }
            key_here = Some(k);
        }
        let mut verified_one = false;
        let mut failed: Vec<Entry<'_>> = Vec::new();
        for (n, e) in group.iter().enumerate() {
            if group[..n].iter().any(|p| p.record == e.record) {
                duplicates += 1;
                continue;
            }
            // A second first record was reported above.
            if seq == 0
                && start
                    .as_ref()
                    .is_some_and(|s| sorted[s.entry_index].record != e.record)
            {
                continue;
            }
            let ok = key_here.as_mut().is_some_and(|k| {
                // The MAC's digits are read after the body is hashed, when they are in
                // cache.
                let ours = k.mac(&e.record[..e.record.len() - SEAL_TAIL]);
                let (_, theirs) = sealed_parts(e.record);
                bool::from(ours.ct_eq(&theirs))
            });
            if ok && verified_one {
                // The writer gives each seq to one record: a second one that verifies was
                // sealed by whoever took the chain's key at this seq.
                problems.push(problem(e, TamperKind::Inserted));
            } else if ok {
                verified_one = true;
                records += 1;
                if seq != 0 {
                    first_ok.get_or_insert(*e);
                    last_ok = Some(*e);
                    if !is_own(e.record) {
                        last_of_the_process = Some(*e);
                    }
                }
            } else {
                failed.push(*e);
            }
        }
        if key_here.is_none() && key.is_none() {
            continue;
        }
        for (n, e) in failed.iter().enumerate() {
            let kind = if verified_one || n > 0 {
                TamperKind::Inserted
            } else {
                TamperKind::Modified
            };
            problems.push(problem(e, kind));
        }
    }

    // Missing: the gaps from the chain's first seq to the last seq there is.
    let mut missing = Vec::new();
    let mut expect = first_seq.or(seqs.first().copied());
    for &s in &seqs {
        if let Some(e) = expect
            && s > e
        {
            missing.push((e, s - 1));
        }
        expect = Some(s + 1);
    }
    if let (Some(f), Some(&lowest)) = (first_seq, seqs.first())
        && lowest < f
    {
        // Records below the first the chain announced were added.
        for e in sorted.iter().filter(|e| e.seq != 0 && e.seq < f) {
            problems.push(problem(e, TamperKind::Inserted));
        }
    }

    let parse = |e: &Option<Entry<'_>>| -> Value {
        e.and_then(|e| serde_json::from_slice(e.record).ok())
            .unwrap_or_default()
    };
    // A chain no key opens is still placed by its first record.
    let first_v = parse(&first_ok.or_else(|| {
        sorted
            .iter()
            .find(|e| e.seq != 0 && e.seq != u64::MAX)
            .copied()
    }));
    let last_v = parse(&last_ok);
    let who = start.as_ref().map_or(&first_v, |s| &s.value);
    let str_at = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let last_event = str_at(&last_v, "/event");
    let closing = parse(&last_of_the_process);
    let end = if str_at(&closing, "/event").as_deref() == Some("sys_shutdown") {
        EndState::Closed
    } else {
        EndState::Open
    };
    problems.sort_by(|a, b| (&a.at.source, a.at.line).cmp(&(&b.at.source, b.at.line)));
    ChainReport {
        chain,
        seal,
        key_id,
        host: str_at(who, "/where/host"),
        pid: who.pointer("/where/pid").and_then(Value::as_u64),
        service: str_at(who, "/where/service"),
        records,
        first_seq: first_seq.or(first_ok.map(|e| e.seq)),
        last_seq: last_ok.map(|e| e.seq),
        first_ts: str_at(&first_v, "/ts"),
        last_ts: str_at(&last_v, "/ts"),
        missing,
        duplicates,
        problems,
        end,
        last_event,
        clock: field("clock"),
        starts_after_retention,
    }
}

/// Whether a record is one seclog writes about itself (`"event":"seclog.…"`).
fn is_own(record: &[u8]) -> bool {
    static OWN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b",\"event\":\"seclog."));
    OWN.find(&record[..record.len().min(128)]).is_some()
}

/// `K(0)` of a chain from its first record, if a held key opens it.
fn start_key(keys: &Keys, id: &[u8], value: &Value) -> Option<Zeroizing<[u8; 32]>> {
    let field = |k: &str| {
        value
            .pointer(&format!("/fields/{k}"))
            .and_then(Value::as_str)
    };
    let enc = field("encrypted_key").and_then(|h| crate::hex::decode(h.as_bytes()));
    let k = keys.chain_key(field("seal")?, field("key_id")?, id, enc.as_deref())?;
    Some(Zeroizing::new(*k.bytes()))
}

/// Whether `record` is sealed under `key`.
fn seals(key: &Zeroizing<[u8; 32]>, record: &[u8]) -> bool {
    split_sealed(record)
        .is_some_and(|(body, _, mac)| KeyAt::new(key.clone()).mac(body).ct_eq(&mac).into())
}

/// The key at the earliest key note of the chain that a held key opens.
fn key_from_notes(
    keys: &Keys,
    id: &[u8],
    notes: &[Note<'_>],
) -> Option<(u64, Zeroizing<[u8; 32]>)> {
    let mut notes: Vec<&Note<'_>> = notes.iter().collect();
    notes.sort_by_key(|n| n.seq);
    notes.iter().find_map(|n| {
        let mut aad = id.to_vec();
        aad.push(b':');
        aad.extend_from_slice(itoa::Buffer::new().format(n.seq).as_bytes());
        let enc = crate::hex::decode(n.encrypted)?;
        let k = keys.open_note(&aad, &enc)?;
        Some((n.seq, Zeroizing::new(*k.bytes())))
    })
}

/// [`ArchiveOptions::gap_budget`]'s default: about 20 s of HMACs.
const DEFAULT_GAP_BUDGET: u64 = 1 << 26;

/// The most key evolutions verifying a chain can take: from the lowest seq its key can be
/// recovered at (0 with a first record, or a key note's) to its highest, for each symmetric
/// key tried when the key is derived.
fn evolutions_needed(entries: &[Entry<'_>], notes: &[Note<'_>], keys: &Keys) -> u64 {
    let highest = entries
        .iter()
        .map(|e| e.seq)
        .filter(|&s| s != u64::MAX)
        .max()
        .unwrap_or(0);
    let has_start = entries.iter().any(|e| e.seq == 0);
    let lowest_note = notes.iter().map(|n| n.seq).min();
    match (has_start, lowest_note) {
        (false, Some(note)) => highest.saturating_sub(note),
        (false, None) => highest.saturating_mul(keys.symmetric().len().max(1) as u64),
        (true, _) => highest,
    }
}

/// A symmetric key whose chain key verifies `first`, evolving at most `allowance` times.
fn key_from_symmetric(
    keys: &Keys,
    id: &[u8],
    first: &Entry<'_>,
    allowance: &mut u64,
) -> Option<(u64, Zeroizing<[u8; 32]>)> {
    let (body, _, mac) = split_sealed(first.record)?;
    keys.symmetric().iter().find_map(|master| {
        if first.seq > *allowance {
            return None;
        }
        *allowance -= first.seq;
        let mut k = KeyAt::new(Zeroizing::new(*super::seal::derive(master, id).bytes()));
        for _ in 0..first.seq {
            k.evolve();
        }
        bool::from(k.mac(body).ct_eq(&mac)).then(|| (first.seq, k.into_key()))
    })
}

/// Whether the chain a checkpoint names reaches it in `sources`: `None` when the record at the
/// checkpoint's `seq` is there with the checkpoint's MAC; `Modified` when it is there with
/// another; `Truncated` when it is not there at all (the log was cut after the checkpoint).
pub fn checkpoint_problem(
    sources: &[Source],
    checkpoint: &super::Checkpoint,
) -> Option<TamperKind> {
    let chain = checkpoint.chain.as_deref()?.as_bytes();
    let mut found = false;
    for source in sources {
        for line in source.bytes.split(|&b| b == b'\n') {
            let Parsed::Sealed { record, chain: c } = parse_line(line) else {
                continue;
            };
            if c != chain || seq_of(record) != Some(checkpoint.count) {
                continue;
            }
            match split_sealed(record) {
                Some((_, _, mac)) if mac == checkpoint.head => return None,
                _ => found = true,
            }
        }
    }
    Some(if found {
        TamperKind::Modified
    } else {
        TamperKind::Truncated
    })
}
