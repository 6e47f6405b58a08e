//! Latency per handler: a fixed-memory histogram per `where.fn` and interval, summaries, and
//! drift against each handler's own baseline.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;

use super::sketch::hash_map_bytes;
use super::{Alert, Output, PerfSummary, Wall};

/// Handlers tracked at most; records of others are counted as untracked.
pub(crate) const MAX_HANDLERS: usize = 1024;
/// Histogram range: 1 µs (finer values share the lowest buckets) to one hour (longer calls
/// count as one hour), two significant digits (1 % relative error).
const LOW_NS: u64 = 1_000;
const HIGH_NS: u64 = 3_600_000_000_000;
const SIGFIG: u8 = 2;
/// Longer `fn` paths are not tracked (counted as untracked).
const MAX_NAME: usize = 256;
/// The weight of a new window in a handler's baseline p95 (a slow EWMA).
const BASELINE_ALPHA: f64 = 0.1;
/// Calls over the drift threshold an interval needs: one slow call (a cold start's first)
/// is never a drift.
const MIN_SLOW_CALLS: u64 = 3;

struct Handler {
    name: Box<str>,
    hist: Histogram<u32>,
    budget_ns: Option<u64>,
    over_budget: u64,
    /// The baseline p95: the first window with enough calls, then a slow EWMA of later ones.
    baseline_p95: Option<f64>,
    /// Intervals with enough calls in the baseline.
    baseline_intervals: u32,
    alerted: Option<Instant>,
}

/// A handler's histogram, or none: past [`MAX_HANDLERS`] handlers, or a name longer than
/// [`MAX_NAME`], calls are only counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Tracked(u32),
    Untracked,
}

/// Drift settings: see [`super::Rules::perf_drift`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Drift {
    pub(crate) factor: f64,
    pub(crate) min_count: u64,
    /// Intervals with enough calls a baseline needs before it can alert.
    pub(crate) warmup: u32,
}

pub(crate) struct Perf {
    index: HashMap<Box<[u8]>, u32, foldhash::fast::FixedState>,
    handlers: Vec<Handler>,
    /// Records of handlers past [`MAX_HANDLERS`] in this interval.
    untracked: u64,
    window_start: SystemTime,
}

impl Perf {
    pub(crate) fn new(start: SystemTime) -> Self {
        Perf {
            index: HashMap::default(),
            handlers: Vec::new(),
            untracked: 0,
            window_start: start,
        }
    }

    /// Counts one call of `func` that took `duration_ns`.
    #[inline]
    pub(crate) fn record(&mut self, func: &[u8], duration_ns: u64, budget: Option<(u64, bool)>) {
        let slot = match self.index.get(func) {
            Some(&i) => Slot::Tracked(i),
            None => self.slot(func),
        };
        self.record_at(slot, duration_ns, budget);
    }

    /// The histogram of `func` (its `where.fn`, JSON-escaped), made on first sight while there
    /// is room for it.
    pub(crate) fn slot(&mut self, func: &[u8]) -> Slot {
        if let Some(&i) = self.index.get(func) {
            return Slot::Tracked(i);
        }
        if self.handlers.len() >= MAX_HANDLERS || func.len() > MAX_NAME {
            return Slot::Untracked;
        }
        let Ok(hist) = Histogram::new_with_bounds(LOW_NS, HIGH_NS, SIGFIG) else {
            return Slot::Untracked;
        };
        let i = self.handlers.len() as u32;
        self.handlers.push(Handler {
            name: String::from_utf8_lossy(func).into(),
            hist,
            budget_ns: None,
            over_budget: 0,
            baseline_p95: None,
            baseline_intervals: 0,
            alerted: None,
        });
        self.index.insert(func.into(), i);
        Slot::Tracked(i)
    }

    /// Counts one call of the handler in `slot` that took `duration_ns`.
    #[inline]
    pub(crate) fn record_at(&mut self, slot: Slot, duration_ns: u64, budget: Option<(u64, bool)>) {
        let Slot::Tracked(i) = slot else {
            self.untracked += 1;
            return;
        };
        let h = &mut self.handlers[i as usize];
        h.hist.saturating_record(duration_ns.max(1));
        if let Some((b, over)) = budget {
            h.budget_ns = Some(b);
            h.over_budget += u64::from(over);
        }
    }

    /// Ends the interval: a summary per handler called in it, drift alerts, and a fresh
    /// interval.
    pub(crate) fn summarise(
        &mut self,
        drift: Option<Drift>,
        interval: Duration,
        cooldown: Duration,
        now: Instant,
        wall: Wall,
        out: &mut Vec<Output>,
    ) {
        let start = self.window_start;
        for h in &mut self.handlers {
            let count = h.hist.len();
            if count == 0 {
                continue;
            }
            let p95 = h.hist.value_at_quantile(0.95);
            out.push(Output::Perf(PerfSummary {
                func: h.name.to_string(),
                count,
                p50_ns: h.hist.value_at_quantile(0.5),
                p95_ns: p95,
                p99_ns: h.hist.value_at_quantile(0.99),
                max_ns: h.hist.max(),
                budget_ns: h.budget_ns,
                over_budget: h.over_budget,
            }));
            if let Some(d) = drift
                && count >= d.min_count
            {
                match h.baseline_p95 {
                    None => h.baseline_p95 = Some(p95 as f64),
                    Some(base) => {
                        let cooled = h
                            .alerted
                            .is_none_or(|t| now.saturating_duration_since(t) >= cooldown);
                        let threshold = d.factor * base;
                        // Past the threshold by enough calls, not by one outlier.
                        let slow = h.hist.count_between(threshold.ceil() as u64, u64::MAX);
                        if h.baseline_intervals >= d.warmup
                            && p95 as f64 > threshold
                            && slow >= MIN_SLOW_CALLS
                            && cooled
                        {
                            h.alerted = Some(now);
                            let mut a = Alert::new(
                                "perf_drift",
                                "seclog.alert",
                                "fn",
                                h.name.as_bytes(),
                                wall.at(now),
                            );
                            a.count = count;
                            a.window = interval;
                            a.first_seen = start;
                            a.p95_ns = Some(p95);
                            a.baseline_p95_ns = Some(base.round() as u64);
                            a.calls = Some(slow);
                            out.push(Output::Alert(Box::new(a)));
                        }
                        h.baseline_p95 = Some(base + BASELINE_ALPHA * (p95 as f64 - base));
                    }
                }
                h.baseline_intervals = h.baseline_intervals.saturating_add(1);
            }
            h.hist.reset();
            h.over_budget = 0;
        }
        if self.untracked > 0 {
            out.push(Output::Perf(PerfSummary {
                func: "[untracked]".into(),
                count: std::mem::take(&mut self.untracked),
                p50_ns: 0,
                p95_ns: 0,
                p99_ns: 0,
                max_ns: 0,
                budget_ns: None,
                over_budget: 0,
            }));
        }
        self.window_start = wall.at(now);
    }

    /// Bytes held, from capacities: at most [`Perf::cap_bytes`].
    pub(crate) fn memory_bytes(&self) -> usize {
        let per = self
            .handlers
            .first()
            .map_or(0, |h| h.hist.distinct_values() * size_of::<u32>());
        self.handlers.capacity() * size_of::<Handler>()
            + self
                .handlers
                .iter()
                .map(|h| per + h.name.len())
                .sum::<usize>()
            + self.index.keys().map(|k| k.len()).sum::<usize>()
            + hash_map_bytes(self.index.capacity(), size_of::<(Box<[u8]>, u32)>())
    }
}

/// The bytes of one handler's histogram.
pub(crate) fn histogram_bytes() -> usize {
    Histogram::<u32>::new_with_bounds(LOW_NS, HIGH_NS, SIGFIG)
        .map_or(0, |h| h.distinct_values() * size_of::<u32>())
}

/// The most a [`Perf`] holds: [`MAX_HANDLERS`] handlers, each with its histogram and name
/// (twice: the name and the index key).
pub(crate) fn cap_bytes() -> usize {
    MAX_HANDLERS * (size_of::<Handler>() + histogram_bytes() + 2 * MAX_NAME)
        + hash_map_bytes(MAX_HANDLERS, size_of::<(Box<[u8]>, u32)>())
}
