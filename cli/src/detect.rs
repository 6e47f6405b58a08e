//! `seclog detect`: the watcher's rules over records from many processes, merged in `ts` order.
//!
//! The rules are the runtime's own ([`Replay`] runs the in-process watcher's code on the
//! records' clock), so detection in a collector and in a process cannot drift apart. Inputs are
//! what `seclog stats` reads and what `seclog verify` reads in an archive: files, the file
//! sink's directories, standard input, lines with a collector's prefix before the record, and
//! CloudWatch Logs JSON exports.
//!
//! Memory is bounded whatever the input: the rules' state is the watcher's (fixed at
//! construction or capped); lines are cut at [`MAX_LINE`] (an input's buffer grows to it only
//! for such lines); at most [`MAX_OPEN`] inputs are merged at once; records are held back
//! [`REORDER_LAG`] behind the inputs to mend their order, in a buffer of at most
//! [`REORDER_RECORDS`] records and [`REORDER_BYTES`]; hosts, processes and chains are counted
//! exactly up to [`MAX_DISTINCT`] each. A CloudWatch export is one JSON document and is read
//! whole.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use memchr::memmem;
use seclog_runtime::integrity;
use seclog_runtime::watch::{Alert, Replay, Rules};

use crate::input::Source;
use crate::time::{Cache, Nanos};

/// The longest line kept: longer ones are cut here (and then are not records).
pub const MAX_LINE: usize = 1 << 20;
/// Inputs merged at once; more are merged in groups of this many, one group after another.
pub const MAX_OPEN: usize = 256;
/// Records held back to put them in `ts` order.
pub const REORDER_RECORDS: usize = 100_000;
/// Bytes of records held back to put them in `ts` order.
pub const REORDER_BYTES: usize = 64 << 20;
/// Distinct hosts and chains counted exactly; past it, counts are lower bounds.
pub const MAX_DISTINCT: usize = 1 << 16;
/// How far behind the inputs a record is held: records shuffled by this much (a collector's
/// batches, CloudWatch's delivery) are put back in order.
pub const REORDER_LAG: Duration = Duration::from_secs(10);
/// The first buffer of a streamed input; it doubles, up to [`MAX_LINE`], for longer lines.
const BLOCK: usize = 64 << 10;

/// How `detect` runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The rules and thresholds ([`Rules::default`] is the in-process watcher's).
    pub rules: Rules,
    /// The summary interval in record time (for `perf_drift`).
    pub interval: Duration,
    /// Records stamped later than this past the time `detect` runs are not watched: a forged
    /// or broken clock must not move the rules' clock to the future.
    pub future_slack: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rules: Rules::default(),
            interval: Duration::from_secs(60),
            future_slack: Duration::from_secs(86_400),
        }
    }
}

/// What `detect` read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Records watched.
    pub records: u64,
    /// Non-empty lines that held no record (or one the rules could not read).
    pub not_records: u64,
    /// Records watched later than their own `ts`: they came more than [`REORDER_LAG`] after
    /// a later one (or past the reorder buffer's bounds).
    pub late: u64,
    /// Records stamped in the future, not watched.
    pub future: u64,
    /// Distinct `where.host` values (a lower bound past [`MAX_DISTINCT`]).
    pub hosts: usize,
    /// Distinct processes: `where.host` and `where.pid` (a lower bound past [`MAX_DISTINCT`]).
    pub processes: usize,
    /// Distinct sealed chains (a lower bound past [`MAX_DISTINCT`]).
    pub chains: usize,
    /// Whether `hosts` or `chains` reached [`MAX_DISTINCT`].
    pub distinct_capped: bool,
    /// The earliest and latest `ts` watched.
    pub span: Option<(Nanos, Nanos)>,
    /// Alerts found.
    pub alerts: u64,
    /// Inputs read.
    pub inputs: usize,
}

/// Runs the rules over `sources`, calling `on_alert` for each alert as it fires.
pub fn detect(
    sources: &[Source],
    options: &Options,
    mut on_alert: impl FnMut(&Alert),
) -> io::Result<Summary> {
    let mut run = Run {
        replay: Replay::new(options.rules.clone()).interval(options.interval),
        summary: Summary {
            inputs: sources.len(),
            ..Summary::default()
        },
        hosts: HashSet::default(),
        processes: HashSet::default(),
        chains: HashSet::default(),
        future_after: to_nanos(SystemTime::now() + options.future_slack),
        order: 0,
    };
    for group in sources.chunks(MAX_OPEN) {
        let mut readers = group
            .iter()
            .map(Reader::open)
            .collect::<io::Result<Vec<_>>>()?;
        run.merge(&mut readers, &mut on_alert)?;
    }
    run.replay.finish();
    run.alerts(&mut on_alert);
    run.summary.late = run.replay.late();
    run.summary.hosts = run.hosts.len();
    run.summary.processes = run.processes.len();
    run.summary.chains = run.chains.len();
    Ok(run.summary)
}

struct Run {
    replay: Replay,
    summary: Summary,
    hosts: HashSet<Box<[u8]>, foldhash::fast::RandomState>,
    processes: HashSet<Box<[u8]>, foldhash::fast::RandomState>,
    chains: HashSet<Box<[u8]>, foldhash::fast::RandomState>,
    future_after: Nanos,
    order: u64,
}

/// A record held back until every input has read past its `ts`.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    ts: Nanos,
    order: u64,
    record: Box<[u8]>,
}

impl Run {
    /// Merges `readers` by `ts`: always reads the input that is furthest behind, and hands a
    /// held record on once every input has read past it (or the buffer is full).
    fn merge(
        &mut self,
        readers: &mut [Reader],
        on_alert: &mut impl FnMut(&Alert),
    ) -> io::Result<()> {
        let mut behind: BinaryHeap<Reverse<(Nanos, usize)>> = (0..readers.len())
            .map(|i| Reverse((Nanos::MIN, i)))
            .collect();
        let mut pending: BinaryHeap<Reverse<Pending>> = BinaryHeap::new();
        let mut held_bytes = 0usize;
        // Each input's previous record's `ts`: an input is as far as the lesser of its last
        // two records, so that one record stamped far ahead does not hold the rest back.
        let mut previous = vec![Nanos::MAX; readers.len()];
        loop {
            while let Some(Reverse(top)) = pending.peek() {
                let full = pending.len() > REORDER_RECORDS || held_bytes > REORDER_BYTES;
                let passed = behind
                    .peek()
                    .is_none_or(|Reverse((f, _))| top.ts.saturating_add(LAG_NS) <= *f);
                if !(full || passed) {
                    break;
                }
                let Some(Reverse(p)) = pending.pop() else {
                    break;
                };
                held_bytes -= p.record.len();
                self.watch(&p.record, p.ts, on_alert);
            }
            let Some(Reverse((frontier, i))) = behind.pop() else {
                return Ok(());
            };
            let reader = &mut readers[i];
            let Some((from, to)) = reader.next_line()? else {
                // Done with it: its buffer goes now.
                *reader = Reader::Done;
                continue;
            };
            let Some((line, cache)) = reader.parts(from, to) else {
                continue;
            };
            let mut frontier = frontier;
            match self.read(line, cache) {
                Some((ts, record)) => {
                    frontier = ts.min(previous[i]);
                    previous[i] = ts;
                    held_bytes += record.len();
                    self.order += 1;
                    pending.push(Reverse(Pending {
                        ts,
                        order: self.order,
                        record: record.into(),
                    }));
                }
                None if frontier == Nanos::MIN => frontier = Nanos::MIN + 1,
                None => {}
            }
            behind.push(Reverse((frontier, i)));
        }
    }

    /// The record of a line and its `ts`; `None` (counted) for a line that is not one or is
    /// stamped in the future.
    fn read<'a>(&mut self, line: &'a [u8], cache: &mut Cache) -> Option<(Nanos, &'a [u8])> {
        let Some(record) = integrity::record_in(line).filter(|r| r.ends_with(b"}")) else {
            self.summary.not_records += 1;
            return None;
        };
        let ts = record
            .get(7..)
            .and_then(|rest| memchr::memchr(b'"', rest).map(|end| &rest[..end]))
            .and_then(|ts| std::str::from_utf8(ts).ok())
            .and_then(|ts| cache.parse(ts));
        let Some(ts) = ts else {
            self.summary.not_records += 1;
            return None;
        };
        if ts > self.future_after {
            self.summary.future += 1;
            return None;
        }
        Some((ts, record))
    }

    fn watch(&mut self, record: &[u8], ts: Nanos, on_alert: &mut impl FnMut(&Alert)) {
        let at = UNIX_EPOCH + Duration::from_nanos(u64::try_from(ts).unwrap_or(0));
        if !self.replay.observe(record, at) {
            // Its layout is not a record's (another format, a record cut short).
            self.summary.not_records += 1;
            return;
        }
        self.summary.records += 1;
        self.summary.span = Some(match self.summary.span {
            None => (ts, ts),
            Some((a, b)) => (a.min(ts), b.max(ts)),
        });
        if let Some((host, process)) = host_of(record) {
            count_distinct(&mut self.hosts, host, &mut self.summary.distinct_capped);
            count_distinct(
                &mut self.processes,
                process,
                &mut self.summary.distinct_capped,
            );
        }
        if let Some(chain) = chain_of(record) {
            count_distinct(&mut self.chains, chain, &mut self.summary.distinct_capped);
        }
        self.alerts(on_alert);
    }

    fn alerts(&mut self, on_alert: &mut impl FnMut(&Alert)) {
        for a in self.replay.take_alerts() {
            self.summary.alerts += 1;
            on_alert(&a);
        }
    }
}

/// The alerts as a table, a row as each fires, and the summary under it.
#[derive(Debug)]
pub struct Table<W: io::Write> {
    out: W,
    rows: u64,
}

impl<W: io::Write> Table<W> {
    /// A table written to `out`.
    pub fn new(out: W) -> Self {
        Table { out, rows: 0 }
    }

    /// One alert's row (the header before the first).
    pub fn row(&mut self, a: &Alert) -> io::Result<()> {
        if self.rows == 0 {
            writeln!(
                self.out,
                "{:<20}  {:<20}  {:<40}  {:>7}  {:>7}  first seen",
                "time", "rule", "key", "count", "window"
            )?;
        }
        self.rows += 1;
        let key = format!("{}={}", a.key, a.value);
        writeln!(
            self.out,
            "{:<20}  {:<20}  {:<40}  {:>7}  {:>7}  {}",
            crate::time::format(to_nanos(a.last_seen)),
            a.rule,
            key,
            a.count,
            humantime::format_duration(a.window).to_string(),
            crate::time::format(to_nanos(a.first_seen)),
        )
    }

    /// The summary, after the rows.
    pub fn finish(mut self, s: &Summary) -> io::Result<()> {
        if self.rows == 0 {
            writeln!(self.out, "No alerts.")?;
        }
        writeln!(self.out, "{}", summary_line(s))?;
        self.out.flush()
    }
}

/// What was read, in one line: records, hosts, chains, the span, alerts.
pub fn summary_line(s: &Summary) -> String {
    let bound = if s.distinct_capped { "at least " } else { "" };
    let span = match s.span {
        Some((a, b)) => format!(", {} to {}", crate::time::format(a), crate::time::format(b)),
        None => String::new(),
    };
    let mut extra = Vec::new();
    if s.not_records > 0 {
        extra.push(format!("{} lines not records", s.not_records));
    }
    if s.late > 0 {
        extra.push(format!(
            "{} arrived over {}s after later ones and were watched late",
            s.late,
            REORDER_LAG.as_secs()
        ));
    }
    if s.future > 0 {
        extra.push(format!("{} stamped in the future, not watched", s.future));
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" ({})", extra.join("; "))
    };
    format!(
        "{} alert{} in {} records from {bound}{} host{}, {bound}{} process{}, {bound}{} chain{}, {} input{}{span}{extra}.",
        s.alerts,
        if s.alerts == 1 { "" } else { "s" },
        s.records,
        s.hosts,
        if s.hosts == 1 { "" } else { "s" },
        s.processes,
        if s.processes == 1 { "" } else { "es" },
        s.chains,
        if s.chains == 1 { "" } else { "s" },
        s.inputs,
        if s.inputs == 1 { "" } else { "s" },
    )
}

fn count_distinct(
    set: &mut HashSet<Box<[u8]>, foldhash::fast::RandomState>,
    value: &[u8],
    capped: &mut bool,
) {
    if set.contains(value) {
        return;
    }
    if set.len() >= MAX_DISTINCT {
        *capped = true;
        return;
    }
    set.insert(value.into());
}

/// `where.host`, and the host with `where.pid` after it: the first `"host":"` of a record is
/// its `where`'s (nothing before `where` has such a key, and a value cannot hold an unescaped
/// quote), and `"pid":N` follows it.
fn host_of(record: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = memmem::find(record, b"\"host\":\"")? + 8;
    let len = memchr::memchr(b'"', record.get(at..)?)?;
    if len > 256 {
        return None;
    }
    let host = &record[at..at + len];
    let rest = &record[at + len..];
    let process = match rest.strip_prefix(b"\",\"pid\":") {
        Some(pid) => {
            let digits = pid
                .iter()
                .take(20)
                .take_while(|b| b.is_ascii_digit())
                .count();
            &record[at..at + len + 8 + digits]
        }
        None => host,
    };
    Some((host, process))
}

/// The chain id of a sealed record: `,"chain":"<hex>","mac":"<64 hex>"}` at its end.
fn chain_of(record: &[u8]) -> Option<&[u8]> {
    let tail = &record[record.len().saturating_sub(240)..];
    let at = memmem::rfind(tail, b",\"chain\":\"")? + 10;
    let len = memchr::memchr(b'"', &tail[at..])?;
    let id = &tail[at..at + len];
    (!id.is_empty() && id.iter().all(u8::is_ascii_hexdigit)).then_some(id)
}

const LAG_NS: Nanos = REORDER_LAG.as_nanos() as Nanos;

fn to_nanos(t: SystemTime) -> Nanos {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| Nanos::try_from(d.as_nanos()).unwrap_or(Nanos::MAX))
}

/// One input, read a line at a time.
enum Reader {
    /// A file or standard input, read in blocks.
    Stream {
        read: Box<dyn Read>,
        buf: Vec<u8>,
        start: usize,
        end: usize,
        /// Inside a line longer than [`MAX_LINE`], whose start was handed on.
        skipping: bool,
        eof: bool,
        cache: Cache,
    },
    /// A CloudWatch Logs export: its messages, one per line, read whole.
    Memory {
        bytes: Vec<u8>,
        at: usize,
        cache: Cache,
    },
    Done,
}

impl Reader {
    fn open(source: &Source) -> io::Result<Reader> {
        let mut read: Box<dyn Read> = match source {
            Source::Stdin => Box::new(io::stdin()),
            Source::File(p) => Box::new(fs::File::open(p).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot open {}: {e}", p.display()))
            })?),
        };
        let mut buf = vec![0u8; BLOCK];
        let mut end = 0;
        // Enough of the start to tell a CloudWatch export from lines.
        while end < 4096 {
            match read.read(&mut buf[end..]) {
                Ok(0) => break,
                Ok(n) => end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if integrity::Source::is_cloudwatch_export(&buf[..end]) {
            let mut bytes = buf;
            bytes.truncate(end);
            read.read_to_end(&mut bytes)?;
            return Ok(Reader::Memory {
                bytes: integrity::Source::new(source.name(), bytes).into_bytes(),
                at: 0,
                cache: Cache::default(),
            });
        }
        Ok(Reader::Stream {
            read,
            buf,
            start: 0,
            end,
            skipping: false,
            eof: false,
            cache: Cache::default(),
        })
    }

    /// A line read by [`next_line`](Self::next_line), and the input's timestamp cache.
    fn parts(&mut self, from: usize, to: usize) -> Option<(&[u8], &mut Cache)> {
        match self {
            Reader::Stream { buf, cache, .. } => Some((&buf[from..to], cache)),
            Reader::Memory { bytes, cache, .. } => Some((&bytes[from..to], cache)),
            Reader::Done => None,
        }
    }

    fn line(&self, from: usize, to: usize) -> &[u8] {
        match self {
            Reader::Stream { buf, .. } => &buf[from..to],
            Reader::Memory { bytes, .. } => &bytes[from..to],
            Reader::Done => &[],
        }
    }

    /// The next non-empty line's range in [`line`](Self::line), without its `\n` / `\r\n`.
    fn next_line(&mut self) -> io::Result<Option<(usize, usize)>> {
        loop {
            let Some((from, to)) = self.raw_line()? else {
                return Ok(None);
            };
            let line = self.line(from, to);
            let to = if line.ends_with(b"\r") { to - 1 } else { to };
            if !self.line(from, to).iter().all(u8::is_ascii_whitespace) {
                return Ok(Some((from, to)));
            }
        }
    }

    fn raw_line(&mut self) -> io::Result<Option<(usize, usize)>> {
        match self {
            Reader::Done => Ok(None),
            Reader::Memory { bytes, at, .. } => {
                if *at >= bytes.len() {
                    return Ok(None);
                }
                let from = *at;
                let to = memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |i| from + i);
                *at = to + 1;
                Ok(Some((from, to.min(from + MAX_LINE))))
            }
            Reader::Stream {
                read,
                buf,
                start,
                end,
                skipping,
                eof,
                ..
            } => loop {
                if let Some(i) = memchr::memchr(b'\n', &buf[*start..*end]) {
                    let (from, to) = (*start, *start + i);
                    *start = to + 1;
                    if std::mem::take(skipping) {
                        continue;
                    }
                    return Ok(Some((from, to)));
                }
                if *eof {
                    if *start < *end && !*skipping {
                        let from = *start;
                        *start = *end;
                        return Ok(Some((from, *end)));
                    }
                    return Ok(None);
                }
                if *end == buf.len() {
                    if *start > 0 {
                        buf.copy_within(*start..*end, 0);
                        *end -= *start;
                        *start = 0;
                    } else if buf.len() < MAX_LINE {
                        let len = (buf.len() * 2).min(MAX_LINE);
                        buf.resize(len, 0);
                    } else {
                        // A line longer than the buffer: hand on its start, skip the rest.
                        let line = (0, *end);
                        let first = !std::mem::replace(skipping, true);
                        *start = *end;
                        if first && line.1 > 0 {
                            return Ok(Some(line));
                        }
                    }
                }
                if *start == *end {
                    (*start, *end) = (0, 0);
                }
                match read.read(&mut buf[*end..]) {
                    Ok(0) => *eof = true,
                    Ok(n) => *end += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            },
        }
    }
}
