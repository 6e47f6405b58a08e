//! The detection rules over login records and failures: brute force, credential stuffing,
//! success after failures, failure spikes.
//!
//! Counts are kept per window in two generations (the current window and the one before) and
//! read as a sliding window: `current + previous × (1 − elapsed / window)`, so a burst across a
//! window boundary is not split in two.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use super::sketch::{Distinct, Slot, SpaceSaving, hash_map_bytes};
use super::{Alert, Output, Wall};

/// Counters per sketch: users, IPs.
pub(crate) const SKETCH_COUNTERS: usize = 4096;
/// Handlers whose failures are followed for spikes.
pub(crate) const MAX_EVENTS: usize = 1024;
/// The weight of a finished window in an event's failure baseline.
const SPIKE_ALPHA: f64 = 0.3;

/// A Space-Saving sketch over a sliding window: two generations.
pub(crate) struct Windowed<V> {
    cur: SpaceSaving<V>,
    prev: SpaceSaving<V>,
    start: Instant,
    window: Duration,
}

impl<V: Default + Clone> Windowed<V> {
    fn new(window: Duration, now: Instant) -> Self {
        Windowed {
            cur: SpaceSaving::new(SKETCH_COUNTERS),
            prev: SpaceSaving::new(SKETCH_COUNTERS),
            start: now,
            window: window.max(Duration::from_millis(1)),
        }
    }

    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.start);
        if elapsed < self.window {
            return;
        }
        std::mem::swap(&mut self.cur, &mut self.prev);
        self.cur.clear();
        if elapsed >= 2 * self.window {
            self.prev.clear();
            self.start = now;
        } else {
            self.start += self.window;
        }
    }

    /// The weight of the previous window now.
    fn prev_weight(&self, now: Instant) -> f64 {
        let f = now.saturating_duration_since(self.start).as_secs_f64() / self.window.as_secs_f64();
        (1.0 - f).clamp(0.0, 1.0)
    }

    /// A sliding count of `hash` from `of` (a value of its counter), when the key first
    /// counted, and whether an alert fired for it within `cooldown`.
    fn sliding(
        &self,
        hash: u64,
        now: Instant,
        cooldown: Duration,
        of: impl Fn(&Slot<V>) -> u64,
    ) -> (u64, Option<Instant>, bool) {
        let c = self.cur.get(hash);
        let p = self.prev.get(hash);
        let w = self.prev_weight(now);
        let n = c.map_or(0, &of) as f64 + w * p.map_or(0, &of) as f64;
        let first = p.or(c).map(|s| s.first_seen);
        let alerted = [c, p]
            .into_iter()
            .flatten()
            .filter_map(|s| s.alerted)
            .any(|t| now.saturating_duration_since(t) < cooldown);
        (n.floor() as u64, first, alerted)
    }

    fn memory_bytes(&self) -> usize {
        self.cur.memory_bytes() + self.prev.memory_bytes()
    }
}

/// Per-IP state for credential stuffing.
#[derive(Clone, Copy, Default)]
pub(crate) struct IpState {
    users: Distinct,
    unknown: u64,
}

/// Rule settings, copied from [`super::Rules`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct AuthRules {
    pub(crate) brute_force: Option<(u64, Duration)>,
    pub(crate) credential_stuffing: Option<(u64, Duration)>,
    pub(crate) success_after_fail: Option<u64>,
    pub(crate) cooldown: Duration,
}

/// Login rules: failures per user, distinct users per failing IP.
pub(crate) struct Auth {
    rules: AuthRules,
    users: Option<Windowed<()>>,
    ips: Option<Windowed<IpState>>,
    seed: foldhash::quality::RandomState,
}

impl Auth {
    pub(crate) fn new(rules: AuthRules, now: Instant) -> Option<Self> {
        let user_window = match (rules.brute_force, rules.success_after_fail) {
            (Some((_, w)), _) => Some(w),
            (None, Some(_)) => Some(Duration::from_secs(300)),
            (None, None) => None,
        };
        let users = user_window.map(|w| Windowed::new(w, now));
        let ips = rules
            .credential_stuffing
            .map(|(_, w)| Windowed::new(w, now));
        if users.is_none() && ips.is_none() {
            return None;
        }
        Some(Auth {
            rules,
            users,
            ips,
            seed: foldhash::quality::RandomState::default(),
        })
    }

    /// A failed login of `user` (if known) from `ip` (if known).
    pub(crate) fn failure(
        &mut self,
        user: Option<&[u8]>,
        ip: Option<&[u8]>,
        unknown_user: bool,
        now: Instant,
        wall: Wall,
        out: &mut Vec<Output>,
    ) {
        let cooldown = self.rules.cooldown;
        if let (Some(users), Some(user)) = (&mut self.users, user) {
            users.roll(now);
            let h = SpaceSaving::<()>::hash(&self.seed, user);
            users.cur.add(h, 1, now);
            if let Some((max, window)) = self.rules.brute_force {
                let (n, first, alerted) =
                    users.sliding(h, now, cooldown.max(window), Slot::guaranteed);
                if n >= max && !alerted {
                    if let Some(s) = users.cur.get_mut(h) {
                        s.alerted = Some(now);
                    }
                    let mut a = Alert::new(
                        "brute_force",
                        "authn_login_fail_max",
                        "user",
                        user,
                        wall.at(now),
                    );
                    a.count = n;
                    a.window = window;
                    a.first_seen = wall.at(first.unwrap_or(now));
                    out.push(Output::Alert(Box::new(a)));
                }
            }
        }
        if let (Some(ips), Some(ip), Some((max, window))) =
            (&mut self.ips, ip, self.rules.credential_stuffing)
        {
            ips.roll(now);
            let h = SpaceSaving::<IpState>::hash(&self.seed, ip);
            let slot = ips.cur.add(h, 1, now);
            if let Some(user) = user {
                slot.extra.users.insert(self.seed.hash_one(user));
            }
            slot.extra.unknown += u64::from(unknown_user);
            let (users_n, first, alerted) =
                ips.sliding(h, now, cooldown.max(window), |s| s.extra.users.estimate());
            let (unknown_n, _, _) = ips.sliding(h, now, cooldown, |s| s.extra.unknown);
            // Failures naming users that do not exist are spraying on their own: half as many.
            if (users_n >= max || unknown_n >= max.div_ceil(2).max(2)) && !alerted {
                let (failures, _, _) = ips.sliding(h, now, cooldown, Slot::guaranteed);
                if let Some(s) = ips.cur.get_mut(h) {
                    s.alerted = Some(now);
                }
                let mut a = Alert::new(
                    "credential_stuffing",
                    "seclog.alert",
                    "ip",
                    ip,
                    wall.at(now),
                );
                a.count = users_n;
                a.window = window;
                a.first_seen = wall.at(first.unwrap_or(now));
                a.failures = Some(failures);
                a.unknown_users = Some(unknown_n);
                out.push(Output::Alert(Box::new(a)));
            }
        }
    }

    /// A successful login of `user`: after failures, `authn_login_successafterfail`, and the
    /// user's failures are forgotten.
    pub(crate) fn success(&mut self, user: &[u8], now: Instant, wall: Wall, out: &mut Vec<Output>) {
        let (Some(users), Some(min)) = (&mut self.users, self.rules.success_after_fail) else {
            return;
        };
        users.roll(now);
        let h = SpaceSaving::<()>::hash(&self.seed, user);
        let (n, first, _) = users.sliding(h, now, Duration::ZERO, Slot::guaranteed);
        if n >= min.max(1) {
            let mut a = Alert::new(
                "success_after_fail",
                "authn_login_successafterfail",
                "user",
                user,
                wall.at(now),
            );
            a.count = n;
            a.window = users.window;
            a.first_seen = wall.at(first.unwrap_or(now));
            out.push(Output::Alert(Box::new(a)));
        }
        for s in [&mut users.cur, &mut users.prev] {
            if let Some(s) = s.get_mut(h) {
                s.error = s.count;
            }
        }
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.users.as_ref().map_or(0, Windowed::memory_bytes)
            + self.ips.as_ref().map_or(0, Windowed::memory_bytes)
    }
}

/// Failure-spike settings: see [`super::Rules::failure_spike`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpikeRule {
    pub(crate) factor: f64,
    pub(crate) window: Duration,
    pub(crate) min_failures: u64,
    /// How many times its baseline failure rate a window's rate must exceed.
    pub(crate) rate_factor: f64,
    /// Full windows a handler's baseline needs before it can alert.
    pub(crate) warmup: u32,
}

/// One handler's calls and failures: this window's, and the baseline of earlier ones.
struct Entry {
    /// The event its failures are recorded as (the alert's key), JSON-escaped.
    event: Box<[u8]>,
    calls: u64,
    failures: u64,
    /// EWMAs of earlier full windows' calls and failures.
    base_calls: f64,
    base_failures: f64,
    /// Full windows in the baseline.
    windows: u32,
    /// First seen late in the current window: that window is partial and is not a baseline.
    partial: bool,
    first_failure: Instant,
    alerted: Option<Instant>,
}

/// Failures per handler (`where.fn`), against the handler's own established baseline of
/// failure counts and failure rates, in tumbling windows.
pub(crate) struct Spike {
    rule: SpikeRule,
    cooldown: Duration,
    index: HashMap<Box<[u8]>, u32, foldhash::fast::FixedState>,
    entries: Vec<Entry>,
    start: Instant,
}

impl Spike {
    pub(crate) fn new(rule: SpikeRule, cooldown: Duration, now: Instant) -> Self {
        let mut rule = rule;
        rule.window = rule.window.max(Duration::from_millis(1));
        Spike {
            rule,
            cooldown: cooldown.max(rule.window),
            index: HashMap::default(),
            entries: Vec::new(),
            start: now,
        }
    }

    /// Folds the finished windows into each handler's baseline. Windows with no calls fold
    /// in as zeros, so a quiet spell lowers both counts and keeps the rate.
    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.start);
        if elapsed < self.rule.window {
            return;
        }
        let windows = elapsed.as_nanos() / self.rule.window.as_nanos();
        for e in &mut self.entries {
            for k in 0..windows.min(16) {
                let (c, f) = if k == 0 {
                    (e.calls as f64, e.failures as f64)
                } else {
                    (0.0, 0.0)
                };
                if k == 0 && e.partial {
                    continue;
                }
                if e.windows == 0 {
                    (e.base_calls, e.base_failures) = (c, f);
                } else {
                    e.base_calls += SPIKE_ALPHA * (c - e.base_calls);
                    e.base_failures += SPIKE_ALPHA * (f - e.base_failures);
                }
                e.windows = e.windows.saturating_add(1);
            }
            (e.calls, e.failures, e.partial) = (0, 0, false);
        }
        // Stay on the window grid; after a long gap, start again from now.
        self.start = if windows > 16 {
            now
        } else {
            self.start + self.rule.window * windows as u32
        };
    }

    /// The entry of handler `func`: made on first sight while there is room ([`MAX_EVENTS`]
    /// handlers, names of at most 256 bytes).
    #[inline]
    pub(crate) fn slot(&mut self, func: &[u8], now: Instant) -> Option<u32> {
        match self.index.get(func) {
            Some(&i) => Some(i),
            None => self.add(func, now),
        }
    }

    #[cold]
    fn add(&mut self, func: &[u8], now: Instant) -> Option<u32> {
        if self.entries.len() >= MAX_EVENTS || func.len() > 256 {
            return None;
        }
        self.roll(now);
        let i = self.entries.len() as u32;
        // Seen in the first tenth of a window: the window counts as a full one.
        let partial = now.saturating_duration_since(self.start) > self.rule.window / 10;
        self.entries.push(Entry {
            event: Box::default(),
            calls: 0,
            failures: 0,
            base_calls: 0.0,
            base_failures: 0.0,
            windows: 0,
            partial,
            first_failure: now,
            alerted: None,
        });
        self.index.insert(func.into(), i);
        Some(i)
    }

    /// A call of the handler in `slot`; `failed` holds the event of a failed call.
    #[inline]
    pub(crate) fn call(
        &mut self,
        slot: u32,
        failed: Option<&[u8]>,
        now: Instant,
        wall: Wall,
        out: &mut Vec<Output>,
    ) {
        if now.saturating_duration_since(self.start) >= self.rule.window {
            self.roll(now);
        }
        let rule = self.rule;
        let Some(e) = self.entries.get_mut(slot as usize) else {
            return;
        };
        e.calls += 1;
        let Some(event) = failed else {
            return;
        };
        if *e.event != *event && event.len() <= 256 {
            e.event = event.into();
        }
        if e.failures == 0 {
            e.first_failure = now;
        }
        e.failures += 1;
        if e.windows < rule.warmup || e.failures < rule.min_failures {
            return;
        }
        let successes = (e.calls - e.failures) as f64;
        let base_successes = e.base_calls - e.base_failures;
        // A surge of traffic raises failures and successes alike; a spike raises failures
        // per success (the odds of failing) as well. A handler with no successes in its
        // baseline is judged by counts alone.
        let odds_up = base_successes <= 0.0
            || e.failures as f64 * base_successes > rule.rate_factor * e.base_failures * successes;
        let cooled = e
            .alerted
            .is_none_or(|t| now.saturating_duration_since(t) >= self.cooldown);
        if e.failures as f64 > rule.factor * e.base_failures && odds_up && cooled {
            e.alerted = Some(now);
            let mut a = Alert::new(
                "failure_spike",
                "seclog.alert",
                "event",
                &e.event,
                wall.at(now),
            );
            a.count = e.failures;
            a.window = rule.window;
            a.first_seen = wall.at(e.first_failure);
            a.baseline = Some(e.base_failures);
            a.calls = Some(e.calls);
            a.rate = Some(e.failures as f64 / e.calls as f64);
            a.baseline_rate = Some(if e.base_calls > 0.0 {
                e.base_failures / e.base_calls
            } else {
                0.0
            });
            out.push(Output::Alert(Box::new(a)));
        }
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        hash_map_bytes(self.index.capacity(), size_of::<(Box<[u8]>, u32)>())
            + self.entries.capacity() * size_of::<Entry>()
            + self.index.keys().map(|k| k.len()).sum::<usize>()
            + self.entries.iter().map(|e| e.event.len()).sum::<usize>()
    }
}

/// The most a [`Spike`] holds: [`MAX_EVENTS`] handlers, names of at most 256 bytes.
pub(crate) fn spike_cap_bytes() -> usize {
    hash_map_bytes(MAX_EVENTS, size_of::<(Box<[u8]>, u32)>())
        + MAX_EVENTS.next_power_of_two() * size_of::<Entry>()
        + MAX_EVENTS * 2 * 256
}
