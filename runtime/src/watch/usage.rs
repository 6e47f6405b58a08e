//! Usage per caller: calls and units of each `usage = ".."` per (usage, tenant, user), their
//! summaries, quotas, and the query a handler makes to refuse a call over quota.
//!
//! The table is process-wide (the query has no handle on the set-up), bounded to
//! [`MAX_KEYS`] callers; a caller past the cap is counted under `[other]`.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use super::sketch::hash_map_bytes;
use super::{Alert, Output, UsageSummary, Wall};
use crate::record::encoder::escaped;

/// Callers (usage, tenant, user) tracked at most.
pub(crate) const MAX_KEYS: usize = 16_384;
/// Bytes kept of each of usage, tenant and user.
const NAME_BYTES: usize = 128;

/// A quota: see [`super::Rules::quota`].
#[derive(Clone, Debug)]
pub(crate) struct Quota {
    pub(crate) usage: String,
    pub(crate) units: u64,
    pub(crate) window: Duration,
}

struct Entry {
    usage: Box<str>,
    tenant: Box<str>,
    user: Box<str>,
    /// Calls and units in the summary interval.
    calls: u64,
    units: u64,
    /// Units in the current quota window (the summary interval without a quota).
    window: Duration,
    window_start: Instant,
    window_first: SystemTime,
    window_units: u64,
    alerted: bool,
}

struct Table {
    seed: foldhash::quality::RandomState,
    map: HashMap<u64, Entry, foldhash::fast::FixedState>,
    other_calls: u64,
    other_units: u64,
}

fn table() -> MutexGuard<'static, Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            Mutex::new(Table {
                seed: foldhash::quality::RandomState::default(),
                map: HashMap::default(),
                other_calls: 0,
                other_units: 0,
            })
        })
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

fn key(seed: &foldhash::quality::RandomState, usage: &[u8], tenant: &[u8], user: &[u8]) -> u64 {
    seed.hash_one((usage, tenant, user))
}

fn name(b: &[u8]) -> Box<str> {
    let mut n = b.len().min(NAME_BYTES);
    while n > 0 && n < b.len() && (b[n] & 0xC0) == 0x80 {
        n -= 1;
    }
    String::from_utf8_lossy(&b[..n]).into()
}

/// The units `usage` counted for the caller (`tenant`, `user`; `""` for one a record did not
/// know) in the current window: the quota's window when [`super::Rules::quota`] set one for
/// `usage`, else the summary interval. It counts the records the writer has seen, so it lags
/// the handler by the queue (normally a few milliseconds).
///
/// ```
/// if seclog::watch::usage("reports.export", "acme", "alice") > 1_000 {
///     // refuse the call: over quota
/// }
/// ```
pub fn usage(usage: &str, tenant: &str, user: &str) -> u64 {
    // The table holds the names as the records have them: JSON-escaped.
    let [usage, tenant, user] = [usage, tenant, user].map(escaped);
    let t = table();
    let k = key(&t.seed, &usage, &tenant, &user);
    t.map.get(&k).map_or(0, |e| {
        if e.window_start.elapsed() < e.window {
            e.window_units
        } else {
            0
        }
    })
}

/// Counts one call of `usage` with `units` for the caller; a quota exceeded in its window
/// alerts once per window.
#[allow(clippy::too_many_arguments)]
pub(crate) fn count(
    quotas: &[Quota],
    interval: Duration,
    usage: &[u8],
    tenant: &[u8],
    user: &[u8],
    units: u64,
    now: Instant,
    wall: Wall,
    out: &mut Vec<Output>,
) {
    let quota = quotas.iter().find(|q| q.usage.as_bytes() == usage);
    let window = quota
        .map_or(interval, |q| q.window)
        .max(Duration::from_millis(1));
    let mut t = table();
    let k = key(&t.seed, usage, tenant, user);
    if !t.map.contains_key(&k) {
        if t.map.len() >= MAX_KEYS {
            t.other_calls += 1;
            t.other_units = t.other_units.saturating_add(units);
            return;
        }
        t.map.insert(
            k,
            Entry {
                usage: name(usage),
                tenant: name(tenant),
                user: name(user),
                calls: 0,
                units: 0,
                window,
                window_start: now,
                window_first: wall.at(now),
                window_units: 0,
                alerted: false,
            },
        );
    }
    let Some(e) = t.map.get_mut(&k) else { return };
    e.window = window;
    if now.saturating_duration_since(e.window_start) >= window {
        e.window_start = now;
        e.window_first = wall.at(now);
        e.window_units = 0;
        e.alerted = false;
    }
    e.calls += 1;
    e.units = e.units.saturating_add(units);
    e.window_units = e.window_units.saturating_add(units);
    if let Some(q) = quota
        && e.window_units > q.units
        && !e.alerted
    {
        e.alerted = true;
        let mut a = Alert::new(
            "quota",
            "excess_rate_limit_exceeded",
            "user",
            user,
            wall.at(now),
        );
        a.count = e.window_units;
        a.window = window;
        a.first_seen = e.window_first;
        a.usage = Some(e.usage.to_string());
        a.tenant = Some(e.tenant.to_string());
        a.limit = Some(q.units);
        out.push(Output::Alert(Box::new(a)));
    }
}

/// Ends the interval: a summary per caller that used something in it; callers idle for a
/// whole interval and past their window are forgotten.
pub(crate) fn summarise(now: Instant, out: &mut Vec<Output>) {
    let mut t = table();
    for e in t.map.values_mut() {
        if e.calls > 0 {
            out.push(Output::Usage(UsageSummary {
                usage: e.usage.to_string(),
                tenant: e.tenant.to_string(),
                user: e.user.to_string(),
                calls: e.calls,
                units: e.units,
            }));
        }
    }
    t.map.retain(|_, e| {
        let keep = e.calls > 0 || now.saturating_duration_since(e.window_start) < e.window;
        e.calls = 0;
        e.units = 0;
        keep
    });
    if t.other_calls > 0 {
        out.push(Output::Usage(UsageSummary {
            usage: "[other]".into(),
            tenant: String::new(),
            user: String::new(),
            calls: std::mem::take(&mut t.other_calls),
            units: std::mem::take(&mut t.other_units),
        }));
    }
}

/// The table's bytes at its cap.
pub(crate) fn cap_bytes() -> usize {
    hash_map_bytes(MAX_KEYS, size_of::<(u64, Entry)>()) + MAX_KEYS * 3 * NAME_BYTES
}

/// The table's bytes now, from capacities.
pub(crate) fn memory_bytes() -> usize {
    let t = table();
    hash_map_bytes(t.map.capacity(), size_of::<(u64, Entry)>())
        + t.map
            .values()
            .map(|e| e.usage.len() + e.tenant.len() + e.user.len())
            .sum::<usize>()
}
