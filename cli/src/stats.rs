//! `seclog stats`: a summary of records — outcomes, failed authentication by IP and user,
//! usage by caller, latency per handler against its budget, alerts, failures over time.
//!
//! One pass, one core, bounded memory: every per-key map is capped ([`crate::topk::CAP`] keys
//! for IPs, users, events and callers; [`HANDLER_CAP`] handlers, each an HDR histogram; the
//! timeline at [`TIMELINE_CAP`] buckets, widened as needed; [`ALERT_CAP`] alerts and
//! [`UNSYNCED_CAP`] sources with an unsynchronised clock listed).

use std::collections::{HashMap, HashSet};
use std::io;

use std::hash::{BuildHasher, BuildHasherDefault};

use foldhash::fast::RandomState;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::input::{self, Source};
use crate::parse::{self, NotRecord, Record};
use crate::time::{self, Nanos};
use crate::topk::{self, Prehashed, TopK};

/// The most handlers given a latency histogram; later ones are counted under `(other)`.
pub const HANDLER_CAP: usize = 1024;
/// The most alerts listed (all are counted).
pub const ALERT_CAP: usize = 1000;
/// The most sources listed whose clock was not synchronised (all are counted).
pub const UNSYNCED_CAP: usize = 100;
/// The most buckets of the failures timeline; beyond it, buckets are widened.
pub const TIMELINE_CAP: usize = 4096;
/// Columns of the rendered timeline (the sparkline and the report's chart).
pub const TIMELINE_COLUMNS: usize = 60;

/// Latencies are kept to two significant digits (1 % error), from 1 ns to one hour; longer
/// calls count as one hour in the percentiles (`max_ns` stays exact).
const HIST_MAX_NS: u64 = 3_600_000_000_000;
const OTHER: &str = "(other)";
/// Joins the parts of a usage key.
const SEP: char = '\u{1f}';

/// What to count.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only records at or after this instant.
    pub since: Option<Nanos>,
    /// Only records before this instant.
    pub until: Option<Nanos>,
    /// How many entries each top list shows.
    pub top: usize,
}

/// The running totals of one pass over records.
pub struct Stats {
    opts: Options,
    sources: Vec<String>,
    records: u64,
    meta_lines: u64,
    filtered_out: u64,
    bad: u64,
    first_bad: Option<(usize, u64)>,
    first_ts: Option<Nanos>,
    last_ts: Option<Nanos>,
    outcomes: Small,
    levels: Small,
    events: TopK,
    failures: u64,
    authn_failures: u64,
    fail_by_ip: TopK,
    fail_by_user: TopK,
    usage_summaries: TopK,
    usage_records: TopK,
    usage_summary_seen: bool,
    /// Per handler, keyed by the seeded hash of its name (see [`crate::topk::TopK`]).
    handlers: HashMap<u64, (Box<str>, Handler), BuildHasherDefault<Prehashed>>,
    hasher: RandomState,
    perf: HashMap<Box<str>, PerfSum, RandomState>,
    alerts_total: u64,
    alerts_by_rule: TopK,
    alerts: Vec<Alert>,
    /// Sources whose clock was not synchronised: the first [`UNSYNCED_CAP`] listed, the seeded
    /// hashes of at most [`topk::CAP`] remembered so that each is counted once.
    unsynced: Vec<UnsyncedClock>,
    unsynced_seen: HashSet<u64, BuildHasherDefault<Prehashed>>,
    unsynced_total: u64,
    timeline: Timeline,
    key: String,
    ts_cache: time::Cache,
}

struct Handler {
    hist: Histogram<u64>,
    max_ns: u64,
    budget_ns: Option<u64>,
    over_budget: u64,
}

#[derive(Default)]
struct PerfSum {
    intervals: u64,
    count: u64,
    p50_ns: u64,
    p95_ns: u64,
    p99_ns: u64,
    max_ns: u64,
    budget_ns: Option<u64>,
    over_budget: u64,
}

/// Counts of a handful of distinct values (outcomes, levels). The usual names are matched
/// against constants (no hashing, no call to compare); others are searched linearly, and past
/// [`SMALL_CAP`] of them, new ones count as `(other)`.
struct Small {
    names: &'static [&'static str],
    classify: fn(&str) -> Option<usize>,
    known: [u64; 8],
    rest: Vec<(Box<str>, u64)>,
}

const SMALL_CAP: usize = 32;

fn outcome_index(s: &str) -> Option<usize> {
    Some(match s {
        "success" => 0,
        "failure" => 1,
        "panic" => 2,
        "cancelled" => 3,
        _ => return None,
    })
}

/// Levels as seclog writes them, and lower case as ECS does.
fn level_index(s: &str) -> Option<usize> {
    Some(match s {
        "INFO" | "info" => 0,
        "WARN" | "warn" => 1,
        "ERROR" | "error" => 2,
        "CRITICAL" | "critical" => 3,
        "DEBUG" | "debug" => 4,
        "TRACE" | "trace" => 5,
        _ => return None,
    })
}

impl Small {
    fn new(names: &'static [&'static str], classify: fn(&str) -> Option<usize>) -> Self {
        Small {
            names,
            classify,
            known: [0; 8],
            rest: Vec::new(),
        }
    }

    #[inline]
    fn add(&mut self, key: &str) {
        if let Some(i) = (self.classify)(key) {
            self.known[i] += 1;
        } else if let Some(e) = self.rest.iter_mut().find(|e| &*e.0 == key) {
            e.1 += 1;
        } else if self.rest.len() < SMALL_CAP {
            self.rest.push((key.into(), 1));
        } else if let Some(e) = self.rest.iter_mut().find(|e| &*e.0 == OTHER) {
            e.1 += 1;
        } else {
            self.rest.push((OTHER.into(), 1));
        }
    }

    fn sorted(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .names
            .iter()
            .zip(self.known)
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.to_string(), n))
            .chain(self.rest.iter().map(|(k, n)| (k.to_string(), *n)))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

/// Counts per time bucket of `width` nanoseconds, keyed by `ts / width`.
struct Timeline {
    width: i64,
    buckets: HashMap<i64, (u64, u64), RandomState>,
    /// The bucket of the last record and its counts not yet added: records come mostly in
    /// time order, so most land where the previous one did.
    pending: Option<(i64, u64, u64)>,
}

impl Timeline {
    fn new() -> Self {
        Timeline {
            width: 60_000_000_000,
            buckets: HashMap::default(),
            pending: None,
        }
    }

    #[inline]
    fn add(&mut self, t: Nanos, failed: bool) {
        let key = t.div_euclid(self.width);
        match &mut self.pending {
            Some((k, n, f)) if *k == key => {
                *n += 1;
                *f += u64::from(failed);
            }
            _ => {
                self.flush();
                self.pending = Some((key, 1, u64::from(failed)));
            }
        }
    }

    fn flush(&mut self) {
        let Some((key, n, f)) = self.pending.take() else {
            return;
        };
        let b = self.buckets.entry(key).or_default();
        b.0 += n;
        b.1 += f;
        if self.buckets.len() > TIMELINE_CAP {
            // Hostile timestamps spread far apart: double the width until it fits.
            while self.buckets.len() > TIMELINE_CAP / 2 {
                self.width = self.width.saturating_mul(2);
                let mut merged: HashMap<i64, (u64, u64), RandomState> = HashMap::default();
                for (k, (n, f)) in self.buckets.drain() {
                    let e = merged.entry(k.div_euclid(2)).or_default();
                    e.0 += n;
                    e.1 += f;
                }
                self.buckets = merged;
            }
        }
    }

    /// At most [`TIMELINE_COLUMNS`] columns from the first bucket to the last.
    fn render(&mut self) -> Option<TimelineOut> {
        self.flush();
        let lo = *self.buckets.keys().min()?;
        let hi = *self.buckets.keys().max()?;
        let span = u64::try_from(hi - lo).unwrap_or(0) + 1;
        let per_col = span.div_ceil(TIMELINE_COLUMNS as u64).max(1);
        let columns = span.div_ceil(per_col) as usize;
        let mut records = vec![0u64; columns];
        let mut failures = vec![0u64; columns];
        for (&k, &(n, f)) in &self.buckets {
            let col = (u64::try_from(k - lo).unwrap_or(0) / per_col) as usize;
            records[col] += n;
            failures[col] += f;
        }
        let bucket_ns = self
            .width
            .saturating_mul(i64::try_from(per_col).unwrap_or(i64::MAX));
        Some(TimelineOut {
            start: time::format(lo.saturating_mul(self.width)),
            bucket_s: u64::try_from(bucket_ns / 1_000_000_000).unwrap_or(0),
            sparkline: sparkline(&failures),
            records,
            failures,
        })
    }
}

/// One character per value, `▁` for none and `▂`..`█` scaled to the largest.
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                BARS[0]
            } else {
                BARS[1 + ((v as u128 * 6) / max as u128) as usize]
            }
        })
        .collect()
}

impl Stats {
    /// Empty totals.
    pub fn new(opts: Options) -> Self {
        Stats {
            opts,
            sources: Vec::new(),
            records: 0,
            meta_lines: 0,
            filtered_out: 0,
            bad: 0,
            first_bad: None,
            first_ts: None,
            last_ts: None,
            outcomes: Small::new(&["success", "failure", "panic", "cancelled"], outcome_index),
            levels: Small::new(
                &["INFO", "WARN", "ERROR", "CRITICAL", "DEBUG", "TRACE"],
                level_index,
            ),
            events: TopK::default(),
            failures: 0,
            authn_failures: 0,
            fail_by_ip: TopK::default(),
            fail_by_user: TopK::default(),
            usage_summaries: TopK::default(),
            usage_records: TopK::default(),
            usage_summary_seen: false,
            handlers: HashMap::default(),
            hasher: RandomState::default(),
            perf: HashMap::default(),
            alerts_total: 0,
            alerts_by_rule: TopK::with_cap(256),
            alerts: Vec::new(),
            unsynced: Vec::new(),
            unsynced_seen: HashSet::default(),
            unsynced_total: 0,
            timeline: Timeline::new(),
            key: String::new(),
            ts_cache: time::Cache::default(),
        }
    }

    /// Reads every line of `source`.
    pub fn read(&mut self, source: &Source) -> io::Result<()> {
        let index = self.sources.len();
        self.sources.push(source.name());
        input::for_each_line(source, |line, number| self.add_line(line, index, number))
    }

    /// Counts one line of the `source`-th input (see [`Stats::read`]; for direct use, any
    /// index works, and `number` is the line's number in it).
    pub fn add_line(&mut self, line: &[u8], source: usize, number: u64) {
        let mut r = Record::default();
        match parse::parse_into(line, &mut r) {
            Ok(()) if r.meta => self.meta_lines += 1,
            Ok(()) => self.add(&r),
            Err(NotRecord::NotJson | NotRecord::NoEvent) => {
                self.bad += 1;
                if self.first_bad.is_none() {
                    self.first_bad = Some((source, number));
                }
            }
        }
    }

    fn add(&mut self, r: &Record<'_>) {
        let ts = r.ts.as_deref().and_then(|t| self.ts_cache.parse(t));
        if self.opts.since.is_some() || self.opts.until.is_some() {
            let keep = ts.is_some_and(|t| {
                self.opts.since.is_none_or(|s| t >= s) && self.opts.until.is_none_or(|u| t < u)
            });
            if !keep {
                self.filtered_out += 1;
                return;
            }
        }
        self.records += 1;
        let event = r.event.as_deref().unwrap_or("");
        let outcome = r
            .outcome
            .as_deref()
            .or(match r.ecs_outcome.as_deref() {
                Some("success") => Some("success"),
                Some("failure") => Some("failure"),
                _ => None,
            })
            .unwrap_or("unknown");
        self.outcomes.add(outcome);
        if let Some(level) = r.level.as_deref() {
            if level_index(level).is_none() && level.bytes().any(|b| b.is_ascii_lowercase()) {
                self.levels.add(&level.to_ascii_uppercase());
            } else {
                self.levels.add(level);
            }
        }
        let authn_failed = is_authn_failure(event, outcome);
        let failed = authn_failed || matches!(outcome, "failure" | "panic");
        // The second sum of the event map counts its failures.
        self.events.add(event, 1, u64::from(failed));
        self.failures += u64::from(failed);
        if let Some(t) = ts {
            self.first_ts = Some(self.first_ts.map_or(t, |f| f.min(t)));
            self.last_ts = Some(self.last_ts.map_or(t, |l| l.max(t)));
            self.timeline.add(t, failed);
        }
        if authn_failed {
            self.authn_failures += 1;
            self.fail_by_ip.add(r.ip.as_deref().unwrap_or("-"), 1, 0);
            self.fail_by_user
                .add(r.user.as_deref().unwrap_or("-"), 1, 0);
        }

        match event {
            "seclog.alert" | "authn_login_fail_max" | "excess_rate_limit_exceeded" => {
                self.alert(r, ts)
            }
            "seclog.perf" => self.perf_summary(r),
            "sys_startup" | "seclog.chain" if r.fields.clock.synced == Some(false) => {
                self.unsynced_clock(r, ts)
            }
            "seclog.usage" => {
                let f = &r.fields;
                self.usage_summary_seen = true;
                self.usage(
                    true,
                    f.usage.as_deref().unwrap_or("-"),
                    f.tenant.as_deref().or(r.tenant.as_deref()),
                    f.user.as_deref().or(r.user.as_deref()),
                    f.calls.unwrap_or(1),
                    f.units.unwrap_or(0),
                );
            }
            _ => {}
        }
        if let Some(usage) = r.usage.as_deref() {
            self.usage(
                false,
                usage,
                r.tenant.as_deref(),
                r.user.as_deref(),
                1,
                r.units.unwrap_or(1),
            );
        }
        // seclog's own records (start-up, shutdown, the watcher's findings) are not handlers.
        if let Some(d) = r.duration_ns
            && !event.starts_with("seclog.")
            && !r
                .func
                .as_deref()
                .is_some_and(|f| f.starts_with("seclog_runtime::"))
        {
            let name = r.func.as_deref().unwrap_or(event);
            self.latency(name, d, r.budget_ns, r.over_budget);
        }
    }

    fn usage(
        &mut self,
        summary: bool,
        usage: &str,
        tenant: Option<&str>,
        user: Option<&str>,
        calls: u64,
        units: u64,
    ) {
        // One key for the three parts, built in a reused buffer; a separator inside a part
        // (never written by seclog) is replaced so the parts split back apart.
        self.key.clear();
        for (i, part) in [usage, tenant.unwrap_or("-"), user.unwrap_or("-")]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                self.key.push(SEP);
            }
            if part.contains(SEP) {
                self.key.push_str(&part.replace(SEP, "\u{fffd}"));
            } else {
                self.key.push_str(part);
            }
        }
        let map = if summary {
            &mut self.usage_summaries
        } else {
            &mut self.usage_records
        };
        map.add(&self.key, calls, units);
    }

    fn latency(&mut self, name: &str, d: u64, budget: Option<u64>, over: Option<bool>) {
        let (mut key, mut label) = (self.hasher.hash_one(name), name);
        if self.handlers.len() >= HANDLER_CAP && !self.handlers.contains_key(&key) {
            (key, label) = (self.hasher.hash_one(OTHER), OTHER);
        }
        let (_, h) = self.handlers.entry(key).or_insert_with(|| {
            (
                label.into(),
                Handler {
                    hist: Histogram::new_with_bounds(1, HIST_MAX_NS, 2)
                        .expect("constant bounds are valid"),
                    max_ns: 0,
                    budget_ns: None,
                    over_budget: 0,
                },
            )
        });
        h.hist.saturating_record(d.max(1));
        h.max_ns = h.max_ns.max(d);
        if budget.is_some() {
            h.budget_ns = budget;
        }
        if over == Some(true) || budget.is_some_and(|b| d > b) {
            h.over_budget += 1;
        }
    }

    fn perf_summary(&mut self, r: &Record<'_>) {
        let f = &r.fields;
        let name = f.func.as_deref().or(r.func.as_deref()).unwrap_or("-");
        let name = if self.perf.contains_key(name) || self.perf.len() < HANDLER_CAP {
            name
        } else {
            OTHER
        };
        let p = match self.perf.get_mut(name) {
            Some(p) => p,
            None => self.perf.entry(name.into()).or_default(),
        };
        p.intervals += 1;
        p.count = p.count.saturating_add(f.count.unwrap_or(0));
        p.p50_ns = p.p50_ns.max(f.p50_ns.unwrap_or(0));
        p.p95_ns = p.p95_ns.max(f.p95_ns.unwrap_or(0));
        p.p99_ns = p.p99_ns.max(f.p99_ns.unwrap_or(0));
        p.max_ns = p.max_ns.max(f.max_ns.unwrap_or(0));
        if f.budget_ns.is_some() {
            p.budget_ns = f.budget_ns;
        }
        p.over_budget = p.over_budget.saturating_add(f.over_budget.unwrap_or(0));
    }

    fn alert(&mut self, r: &Record<'_>, ts: Option<Nanos>) {
        let f = &r.fields;
        let event = r.event.as_deref().unwrap_or("");
        let rule = f.rule.as_deref().unwrap_or(match event {
            "authn_login_fail_max" => "brute_force",
            "excess_rate_limit_exceeded" => "quota",
            _ => "-",
        });
        self.alerts_total += 1;
        self.alerts_by_rule.add(rule, 1, 0);
        if self.alerts.len() >= ALERT_CAP {
            return;
        }
        let (key, value) = [
            ("user", f.user.as_deref()),
            ("ip", f.ip.as_deref()),
            ("event", f.event.as_deref()),
            ("fn", f.func.as_deref()),
            ("user", r.user.as_deref()),
            ("ip", r.ip.as_deref()),
        ]
        .into_iter()
        .find_map(|(k, v)| v.map(|v| (k, v)))
        .unwrap_or(("-", "-"));
        self.alerts.push(Alert {
            ts: ts
                .map(time::format)
                .or_else(|| r.ts.as_deref().map(str::to_owned)),
            event: event.to_owned(),
            rule: rule.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
            count: f.count,
            window_s: f.window_s,
            first_seen: f.first_seen.as_deref().map(str::to_owned),
        });
    }

    /// A source (`where.host`, `where.pid`, `where.service`) whose clock was not synchronised
    /// when it said so: listed once, with the first such record's figures.
    fn unsynced_clock(&mut self, r: &Record<'_>, ts: Option<Nanos>) {
        let (host, service) = (r.host.as_deref(), r.service.as_deref());
        let hash = self.hasher.hash_one((host, r.pid, service));
        if self.unsynced_seen.contains(&hash) {
            return;
        }
        // Past the cap, a source is counted without being remembered: the total is then an
        // upper bound.
        if self.unsynced_seen.len() < topk::CAP {
            self.unsynced_seen.insert(hash);
        }
        self.unsynced_total += 1;
        if self.unsynced.len() < UNSYNCED_CAP {
            self.unsynced.push(UnsyncedClock {
                host: host.map(str::to_owned),
                pid: r.pid,
                service: service.map(str::to_owned),
                max_error_us: r.fields.clock.max_error_us,
                est_error_us: r.fields.clock.est_error_us,
                ts: ts
                    .map(time::format)
                    .or_else(|| r.ts.as_deref().map(str::to_owned)),
            });
        }
    }

    /// The summary of what was read.
    pub fn summary(&mut self) -> Summary {
        let top = self.opts.top;
        let keyed = |t: &TopK| -> Vec<Keyed> {
            t.top(top)
                .into_iter()
                .map(|(k, c)| Keyed {
                    key: k.to_owned(),
                    count: c.count,
                    error: c.error,
                })
                .collect()
        };
        let all = |t: &TopK| -> Vec<(String, u64)> {
            t.top(usize::MAX)
                .into_iter()
                .map(|(k, c)| (k.to_owned(), c.count))
                .collect()
        };
        let (usage_map, usage_source) = if self.usage_summary_seen {
            (&self.usage_summaries, "summaries")
        } else if !self.usage_records.is_empty() {
            (&self.usage_records, "records")
        } else {
            (&self.usage_records, "none")
        };
        let callers = usage_map
            .top(top)
            .into_iter()
            .map(|(k, c)| {
                let mut parts = k.split(SEP).map(str::to_owned);
                Caller {
                    usage: parts.next().unwrap_or_default(),
                    tenant: parts.next().unwrap_or_default(),
                    user: parts.next().unwrap_or_default(),
                    calls: c.count,
                    units: c.units,
                    error: c.error,
                }
            })
            .collect();
        let mut latency: Vec<Latency> = self
            .handlers
            .values()
            .map(|(name, h)| Latency {
                func: name.to_string(),
                count: h.hist.len(),
                p50_ns: h.hist.value_at_quantile(0.50).min(h.max_ns),
                p95_ns: h.hist.value_at_quantile(0.95).min(h.max_ns),
                p99_ns: h.hist.value_at_quantile(0.99).min(h.max_ns),
                max_ns: h.max_ns,
                budget_ns: h.budget_ns,
                over_budget: h.over_budget,
            })
            .collect();
        latency.sort_by(|a, b| {
            b.over_budget
                .cmp(&a.over_budget)
                .then(b.p95_ns.cmp(&a.p95_ns))
                .then(a.func.cmp(&b.func))
        });
        let mut perf: Vec<Perf> = self
            .perf
            .iter()
            .map(|(name, p)| Perf {
                func: name.to_string(),
                intervals: p.intervals,
                count: p.count,
                p50_ns: p.p50_ns,
                p95_ns: p.p95_ns,
                p99_ns: p.p99_ns,
                max_ns: p.max_ns,
                budget_ns: p.budget_ns,
                over_budget: p.over_budget,
            })
            .collect();
        perf.sort_by(|a, b| b.p95_ns.cmp(&a.p95_ns).then(a.func.cmp(&b.func)));
        Summary {
            sources: self.sources.clone(),
            records: self.records,
            filtered_out: self.filtered_out,
            file_lines: self.meta_lines,
            bad_lines: BadLines {
                count: self.bad,
                first: self.first_bad.map(|(s, n)| {
                    format!("{}:{n}", self.sources.get(s).map_or("?", String::as_str))
                }),
            },
            first_ts: self.first_ts.map(time::format),
            last_ts: self.last_ts.map(time::format),
            outcomes: self.outcomes.sorted(),
            levels: self.levels.sorted(),
            events: self
                .events
                .top(top)
                .into_iter()
                .map(|(k, c)| EventCount {
                    event: k.to_owned(),
                    count: c.count,
                    failures: c.units,
                    error: c.error,
                })
                .collect(),
            failures: Failures {
                total: self.failures,
                timeline: self.timeline.render(),
            },
            authn_failures: AuthnFailures {
                total: self.authn_failures,
                by_ip: keyed(&self.fail_by_ip),
                by_user: keyed(&self.fail_by_user),
                approximate: self.fail_by_ip.approximate() || self.fail_by_user.approximate(),
            },
            usage: Usage {
                source: usage_source.to_owned(),
                callers,
            },
            latency,
            perf_summaries: perf,
            alerts: Alerts {
                total: self.alerts_total,
                by_rule: all(&self.alerts_by_rule),
                list: self.alerts.clone(),
            },
            unsynced_clocks: self.unsynced.clone(),
            unsynced_clocks_total: self.unsynced_total,
            caps: Caps {
                keys_per_map: topk::CAP,
                handlers: HANDLER_CAP,
                alerts_listed: ALERT_CAP,
                unsynced_clocks_listed: UNSYNCED_CAP,
            },
        }
    }
}

/// A failed authentication: an `authn_*` event that failed or whose name says so
/// (`authn_login_fail`, `authn_password_change_fail`, ...). `authn_login_fail_max` is the
/// brute-force alert, not an attempt.
pub fn is_authn_failure(event: &str, outcome: &str) -> bool {
    event.starts_with("authn_")
        && event != "authn_login_fail_max"
        && (outcome == "failure" || event.ends_with("_fail"))
}

/// What `seclog stats --json` prints, and what `seclog report` draws.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// The inputs read, in order.
    pub sources: Vec<String>,
    /// Records counted (after `--since` / `--until`).
    pub records: u64,
    /// Records left out by `--since` / `--until` (or without a readable `ts` when filtering).
    pub filtered_out: u64,
    /// The file sink's own lines: key notes, and the headers, checkpoints and retention notes of
    /// its earlier format (not records).
    pub file_lines: u64,
    /// Lines that are not records.
    pub bad_lines: BadLines,
    /// The earliest `ts` counted.
    pub first_ts: Option<String>,
    /// The latest `ts` counted.
    pub last_ts: Option<String>,
    /// Records per outcome (`success`, `failure`, `panic`, `cancelled`), most first.
    pub outcomes: Vec<(String, u64)>,
    /// Records per level, most first.
    pub levels: Vec<(String, u64)>,
    /// The most frequent events, each with its failures.
    pub events: Vec<EventCount>,
    /// Failed calls and failed authentication over time.
    pub failures: Failures,
    /// Failed authentication by IP and by user.
    pub authn_failures: AuthnFailures,
    /// Usage by caller.
    pub usage: Usage,
    /// Latency per handler, from each record's `duration_ns`.
    pub latency: Vec<Latency>,
    /// The watcher's `seclog.perf` summaries per handler.
    pub perf_summaries: Vec<Perf>,
    /// Alerts found.
    pub alerts: Alerts,
    /// The sources whose clock was not synchronised (a `sys_startup` or `seclog.chain` record
    /// with `fields.clock.synced` false), each once: the first [`UNSYNCED_CAP`], in input
    /// order.
    #[serde(default)]
    pub unsynced_clocks: Vec<UnsyncedClock>,
    /// How many such sources (exact up to [`topk::CAP`] of them, an upper bound past that).
    #[serde(default)]
    pub unsynced_clocks_total: u64,
    /// The memory bounds in force.
    pub caps: Caps,
}

/// Lines that are not records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BadLines {
    /// How many.
    pub count: u64,
    /// The first, as `source:line`.
    pub first: Option<String>,
}

/// A key and its count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Keyed {
    /// The key (an IP, a user, an event).
    pub key: String,
    /// Its count (exact when `error` is 0).
    pub count: u64,
    /// By how much `count` may overstate the truth (see [`crate::topk`]).
    pub error: u64,
}

/// One event's records and failures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventCount {
    /// The event name.
    pub event: String,
    /// Its records.
    pub count: u64,
    /// Those that failed (outcome `failure` or `panic`, or a failed authentication).
    pub failures: u64,
    /// By how much `count` may overstate the truth.
    pub error: u64,
}

/// Failures over time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failures {
    /// Records with outcome `failure` or `panic`, and failed authentication events.
    pub total: u64,
    /// Per column of time.
    pub timeline: Option<TimelineOut>,
}

/// The timeline, in at most [`TIMELINE_COLUMNS`] columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimelineOut {
    /// The start of the first column.
    pub start: String,
    /// The width of a column.
    pub bucket_s: u64,
    /// Records per column.
    pub records: Vec<u64>,
    /// Failures per column.
    pub failures: Vec<u64>,
    /// `failures` as block characters.
    pub sparkline: String,
}

/// Failed authentication.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthnFailures {
    /// How many.
    pub total: u64,
    /// By `who.ip` (`-` when unknown): the blocklist.
    pub by_ip: Vec<Keyed>,
    /// By `who.user` (`-` when unknown): the accounts at risk.
    pub by_user: Vec<Keyed>,
    /// Whether the maps overflowed their cap (counts are then upper bounds).
    pub approximate: bool,
}

/// Usage by caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Usage {
    /// `summaries` (the watcher's `seclog.usage` records), `records` (records carrying a
    /// `usage`), or `none`.
    pub source: String,
    /// Callers, most calls first.
    pub callers: Vec<Caller>,
}

/// One caller's use of one usage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Caller {
    /// The usage name.
    pub usage: String,
    /// `who.tenant` (`-` when unknown).
    pub tenant: String,
    /// `who.user` (`-` when unknown).
    pub user: String,
    /// Calls.
    pub calls: u64,
    /// Units.
    pub units: u64,
    /// By how much `calls` may overstate the truth.
    pub error: u64,
}

/// Latency of one handler.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    /// `where.fn` (the event when there is none).
    #[serde(rename = "fn")]
    pub func: String,
    /// Calls.
    pub count: u64,
    /// Median (1 % precision).
    pub p50_ns: u64,
    /// 95th percentile (1 % precision).
    pub p95_ns: u64,
    /// 99th percentile (1 % precision).
    pub p99_ns: u64,
    /// Slowest call (exact).
    pub max_ns: u64,
    /// The handler's budget, when its records state one.
    pub budget_ns: Option<u64>,
    /// Calls over budget.
    pub over_budget: u64,
}

/// The `seclog.perf` summaries of one handler, merged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Perf {
    /// The handler.
    #[serde(rename = "fn")]
    pub func: String,
    /// How many summaries.
    pub intervals: u64,
    /// Calls, summed.
    pub count: u64,
    /// The highest p50 of an interval.
    pub p50_ns: u64,
    /// The highest p95 of an interval.
    pub p95_ns: u64,
    /// The highest p99 of an interval.
    pub p99_ns: u64,
    /// The slowest call.
    pub max_ns: u64,
    /// The budget.
    pub budget_ns: Option<u64>,
    /// Calls over budget, summed.
    pub over_budget: u64,
}

/// Alerts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alerts {
    /// How many.
    pub total: u64,
    /// Per rule.
    pub by_rule: Vec<(String, u64)>,
    /// The first [`ALERT_CAP`], in input order.
    pub list: Vec<Alert>,
}

/// One alert.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alert {
    /// When it fired.
    pub ts: Option<String>,
    /// Its event (`seclog.alert`, `authn_login_fail_max`, `excess_rate_limit_exceeded`).
    pub event: String,
    /// The rule (`brute_force`, `credential_stuffing`, `failure_spike`, `perf_drift`, `quota`).
    pub rule: String,
    /// What it is about: `user`, `ip`, `event` or `fn`.
    pub key: String,
    /// Who or what.
    pub value: String,
    /// The count that crossed the threshold.
    pub count: Option<u64>,
    /// The window, in seconds.
    pub window_s: Option<u64>,
    /// The first occurrence in the window.
    pub first_seen: Option<String>,
}

/// A source whose clock was not synchronised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnsyncedClock {
    /// `where.host`.
    pub host: Option<String>,
    /// `where.pid`.
    pub pid: Option<u64>,
    /// `where.service`.
    pub service: Option<String>,
    /// `fields.clock.max_error_us`: the kernel's bound on the clock's error.
    pub max_error_us: Option<u64>,
    /// `fields.clock.est_error_us`: the kernel's estimate of it.
    pub est_error_us: Option<u64>,
    /// The record's `ts`.
    pub ts: Option<String>,
}

/// The memory bounds in force.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Caps {
    /// Keys per map (IPs, users, events, callers).
    pub keys_per_map: usize,
    /// Handlers with a latency histogram.
    pub handlers: usize,
    /// Alerts listed.
    pub alerts_listed: usize,
    /// Sources with an unsynchronised clock listed.
    #[serde(default)]
    pub unsynced_clocks_listed: usize,
}

/// Reads every source into one summary.
pub fn run(sources: &[Source], opts: Options) -> io::Result<Summary> {
    let mut stats = Stats::new(opts);
    for s in sources {
        stats.read(s)?;
    }
    Ok(stats.summary())
}

fn ns(v: u64) -> String {
    match v {
        0..1_000 => format!("{v}ns"),
        1_000..1_000_000 => format!("{:.1}µs", v as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}ms", v as f64 / 1e6),
        _ => format!("{:.2}s", v as f64 / 1e9),
    }
}

/// A duration in nanoseconds, readably (`52.3µs`, `1.20s`).
pub fn human_ns(v: u64) -> String {
    ns(v)
}

fn approx(k: &Keyed) -> String {
    if k.error > 0 {
        format!("≤{}", k.count)
    } else {
        k.count.to_string()
    }
}

/// Writes the summary for a terminal.
pub fn write_text(s: &Summary, out: &mut impl io::Write) -> io::Result<()> {
    let range = match (&s.first_ts, &s.last_ts) {
        (Some(a), Some(b)) => format!(", {a} .. {b}"),
        _ => String::new(),
    };
    writeln!(
        out,
        "{} records from {} input{}{range}",
        s.records,
        s.sources.len(),
        if s.sources.len() == 1 { "" } else { "s" }
    )?;
    if s.filtered_out > 0 {
        writeln!(out, "{} records outside --since/--until", s.filtered_out)?;
    }
    let joined = |v: &[(String, u64)]| {
        v.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(out, "\nOutcomes   {}", joined(&s.outcomes))?;
    writeln!(out, "Levels     {}", joined(&s.levels))?;
    let events = s
        .events
        .iter()
        .take(5)
        .map(|e| format!("{} {} ({} failed)", clip(&e.event, 40), e.count, e.failures))
        .collect::<Vec<_>>()
        .join(", ");
    writeln!(out, "Events     {events}")?;
    writeln!(out, "Failures   {}", s.failures.total)?;
    if let Some(t) = &s.failures.timeline {
        writeln!(
            out,
            "           {}  from {}, {} per column, peak {}",
            t.sparkline,
            t.start,
            human_secs(t.bucket_s),
            t.failures.iter().max().copied().unwrap_or(0)
        )?;
    }

    let a = &s.authn_failures;
    writeln!(out, "\nFailed authentication: {}", a.total)?;
    if a.total > 0 {
        writeln!(
            out,
            "  {:<40} by user (accounts at risk)",
            "by IP (blocklist)"
        )?;
        for i in 0..a.by_ip.len().max(a.by_user.len()) {
            let cell = |v: &[Keyed]| {
                v.get(i)
                    .map(|k| format!("{:<28} {:>8}", clip(&k.key, 28), approx(k)))
                    .unwrap_or_default()
            };
            writeln!(out, "  {:<40} {}", cell(&a.by_ip), cell(&a.by_user))?;
        }
        if a.approximate {
            writeln!(
                out,
                "  (more than {} distinct keys: counts marked ≤ are upper bounds)",
                s.caps.keys_per_map
            )?;
        }
    }

    writeln!(out, "\nLatency per handler")?;
    if s.latency.is_empty() {
        writeln!(out, "  (no record with duration_ns)")?;
    } else {
        writeln!(
            out,
            "  {:<40} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}",
            "fn", "calls", "p50", "p95", "p99", "max", "budget", "over"
        )?;
        for l in &s.latency {
            writeln!(
                out,
                "  {:<40} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}",
                clip(&l.func, 40),
                l.count,
                ns(l.p50_ns),
                ns(l.p95_ns),
                ns(l.p99_ns),
                ns(l.max_ns),
                l.budget_ns.map_or("-".to_owned(), ns),
                l.over_budget
            )?;
        }
    }
    if !s.perf_summaries.is_empty() {
        writeln!(out, "\nPerformance summaries (seclog.perf, worst interval)")?;
        for p in &s.perf_summaries {
            writeln!(
                out,
                "  {:<40} {:>8} calls in {} intervals, p95 {}, max {}, budget {}, over {}",
                clip(&p.func, 40),
                p.count,
                p.intervals,
                ns(p.p95_ns),
                ns(p.max_ns),
                p.budget_ns.map_or("-".to_owned(), ns),
                p.over_budget
            )?;
        }
    }

    writeln!(out, "\nUsage by caller ({})", s.usage.source)?;
    if s.usage.callers.is_empty() {
        writeln!(out, "  (none)")?;
    } else {
        writeln!(
            out,
            "  {:<24} {:<16} {:<20} {:>8} {:>10}",
            "usage", "tenant", "user", "calls", "units"
        )?;
        for c in &s.usage.callers {
            writeln!(
                out,
                "  {:<24} {:<16} {:<20} {:>8} {:>10}",
                clip(&c.usage, 24),
                clip(&c.tenant, 16),
                clip(&c.user, 20),
                c.calls,
                c.units
            )?;
        }
    }

    writeln!(out, "\nAlerts: {}", s.alerts.total)?;
    if s.alerts.total > 0 {
        writeln!(out, "  by rule: {}", joined(&s.alerts.by_rule))?;
        for al in s.alerts.list.iter().take(10) {
            writeln!(
                out,
                "  {} {:<20} {}={} count={} window={}",
                al.ts.as_deref().unwrap_or("-"),
                al.rule,
                al.key,
                clip(&al.value, 40),
                al.count.map_or("-".to_owned(), |c| c.to_string()),
                al.window_s.map_or("-".to_owned(), |w| format!("{w}s")),
            )?;
        }
        if s.alerts.list.len() > 10 {
            writeln!(
                out,
                "  ... {} more (--json lists them)",
                s.alerts.total - 10
            )?;
        }
    }

    if s.unsynced_clocks_total > 0 {
        writeln!(
            out,
            "\nClocks not synchronised: {} source{}",
            s.unsynced_clocks_total,
            if s.unsynced_clocks_total == 1 {
                ""
            } else {
                "s"
            }
        )?;
        let us = |v: Option<u64>| v.map_or("-".to_owned(), |us| ns(us.saturating_mul(1000)));
        for c in &s.unsynced_clocks {
            writeln!(
                out,
                "  {:<28} pid {:<8} {:<20} max error {:>8}, estimated {:>8}, at {}",
                clip(c.host.as_deref().unwrap_or("-"), 28),
                c.pid.map_or("-".to_owned(), |p| p.to_string()),
                clip(c.service.as_deref().unwrap_or("-"), 20),
                us(c.max_error_us),
                us(c.est_error_us),
                c.ts.as_deref().map_or("-".to_owned(), |t| clip(t, 40)),
            )?;
        }
        let listed = s.unsynced_clocks.len() as u64;
        if s.unsynced_clocks_total > listed {
            writeln!(
                out,
                "  ... {} more (not listed)",
                s.unsynced_clocks_total - listed
            )?;
        }
    }

    if s.bad_lines.count > 0 {
        let first = s.bad_lines.first.as_deref().unwrap_or("?");
        if s.bad_lines.count == 1 {
            writeln!(out, "\n1 line was not a record: at {first}")?;
        } else {
            writeln!(
                out,
                "\n{} lines were not records: first at {first}",
                s.bad_lines.count
            )?;
        }
    }
    Ok(())
}

fn human_secs(s: u64) -> String {
    match s {
        0..60 => format!("{s}s"),
        60..3600 if s.is_multiple_of(60) => format!("{}m", s / 60),
        3600..86_400 if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        _ => format!("{s}s"),
    }
}

/// Cuts `s` to `n` characters for a column, and makes control characters visible (record text
/// is JSON-unescaped here, and must not drive the terminal).
fn clip(s: &str, n: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .take(n)
        .collect();
    if s.chars().count() > n {
        out.pop();
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_peak() {
        assert_eq!(sparkline(&[0, 1, 3, 6]), "▁▃▅█");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
    }

    #[test]
    fn the_timeline_stays_bounded_under_scattered_timestamps() {
        let mut t = Timeline::new();
        for i in 0..100_000i64 {
            t.add(i * 3_600_000_000_000, i % 2 == 0);
            t.add(i * 3_600_000_000_000 + 1, false);
            assert!(t.buckets.len() <= TIMELINE_CAP);
        }
        let out = t.render().unwrap();
        assert!(out.failures.len() <= TIMELINE_COLUMNS);
        assert_eq!(out.records.iter().sum::<u64>(), 200_000);
        assert_eq!(out.failures.iter().sum::<u64>(), 50_000);
    }

    #[test]
    fn handlers_past_the_cap_count_as_other() {
        let mut s = Stats::new(Options::default());
        for i in 0..HANDLER_CAP + 100 {
            s.add_line(
                format!(r#"{{"event":"e","duration_ns":5,"where":{{"fn":"f{i}"}}}}"#).as_bytes(),
                0,
                1,
            );
        }
        let out = s.summary();
        assert_eq!(out.latency.len(), HANDLER_CAP + 1);
        let other = out.latency.iter().find(|l| l.func == OTHER).unwrap();
        assert_eq!(other.count, 100);
        assert_eq!(
            out.latency.iter().map(|l| l.count).sum::<u64>(),
            (HANDLER_CAP + 100) as u64
        );
    }

    #[test]
    fn seclogs_own_records_are_not_handlers() {
        let mut s = Stats::new(Options::default());
        for line in [
            r#"{"event":"place","duration_ns":7,"where":{"fn":"shop::place"}}"#,
            r#"{"event":"seclog.alert","duration_ns":9,"where":{"fn":"seclog_runtime::watch"}}"#,
            r#"{"event":"sys_startup","duration_ns":9,"where":{"fn":"seclog_runtime::setup::builder"}}"#,
            r#"{"event":"seclog.perf","duration_ns":9}"#,
        ] {
            s.add_line(line.as_bytes(), 0, 1);
        }
        let out = s.summary();
        let funcs: Vec<&str> = out.latency.iter().map(|l| &*l.func).collect();
        assert_eq!(funcs, ["shop::place"]);
    }

    #[test]
    fn each_unsynchronised_source_is_listed_once() {
        let mut s = Stats::new(Options::default());
        let line = |event: &str, pid: u32, synced: bool| {
            format!(
                r#"{{"ts":"2026-11-22T12:00:00Z","event":"{event}","where":{{"service":"shop","host":"h","pid":{pid}}},"fields":{{"clock":{{"source":"adjtimex","synced":{synced},"max_error_us":16000000,"est_error_us":3}}}}}}"#
            )
        };
        for (event, pid, synced) in [
            ("seclog.chain", 1, false),
            ("sys_startup", 1, false),
            ("sys_startup", 2, true),
            ("authz_fail", 3, false),
        ] {
            s.add_line(line(event, pid, synced).as_bytes(), 0, 1);
        }
        for pid in 10..10 + UNSYNCED_CAP as u32 {
            s.add_line(line("sys_startup", pid, false).as_bytes(), 0, 1);
        }
        let out = s.summary();
        assert_eq!(out.unsynced_clocks_total, 1 + UNSYNCED_CAP as u64);
        assert_eq!(out.unsynced_clocks.len(), UNSYNCED_CAP);
        let first = &out.unsynced_clocks[0];
        assert_eq!(
            (first.host.as_deref(), first.pid, first.service.as_deref()),
            (Some("h"), Some(1), Some("shop"))
        );
        assert_eq!(
            (first.max_error_us, first.est_error_us),
            (Some(16_000_000), Some(3))
        );
        let mut text = Vec::new();
        write_text(&out, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("Clocks not synchronised: 101 sources"),
            "{text}"
        );
        assert!(text.contains("max error   16.00s"), "{text}");
        assert!(text.contains("... 1 more"), "{text}");
    }

    #[test]
    fn authn_failures() {
        assert!(is_authn_failure("authn_login_fail", "success"));
        assert!(is_authn_failure("authn_token_created", "failure"));
        assert!(is_authn_failure("authn_password_change_fail", "failure"));
        assert!(!is_authn_failure("authn_login_success", "success"));
        assert!(!is_authn_failure("authn_login_fail_max", "success"));
        assert!(!is_authn_failure("order.place", "failure"));
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert_eq!(clip("a\u{1b}[31mb", 10), "a\u{fffd}[31mb");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
