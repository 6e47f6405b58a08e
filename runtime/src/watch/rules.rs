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
/// Events whose failures are followed for spikes.
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
                    let mut a = Alert::new("brute_force", "authn_login_fail_max", "user", user);
                    a.count = n;
                    a.window = window;
                    a.first_seen = wall.at(first.unwrap_or(now));
                    out.push(Output::Alert(a));
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
                let mut a = Alert::new("credential_stuffing", "seclog.alert", "ip", ip);
                a.count = users_n;
                a.window = window;
                a.first_seen = wall.at(first.unwrap_or(now));
                a.failures = Some(failures);
                a.unknown_users = Some(unknown_n);
                out.push(Output::Alert(a));
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
            );
            a.count = n;
            a.window = users.window;
            a.first_seen = wall.at(first.unwrap_or(now));
            out.push(Output::Alert(a));
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
}

struct EventFailures {
    count: u64,
    baseline: Option<f64>,
    first_seen: Instant,
    alerted: Option<Instant>,
}

/// Failures per event, against each event's own baseline.
pub(crate) struct Spike {
    rule: SpikeRule,
    cooldown: Duration,
    events: HashMap<Box<[u8]>, EventFailures, foldhash::fast::FixedState>,
    start: Instant,
}

impl Spike {
    pub(crate) fn new(rule: SpikeRule, cooldown: Duration, now: Instant) -> Self {
        let mut rule = rule;
        rule.window = rule.window.max(Duration::from_millis(1));
        Spike {
            rule,
            cooldown: cooldown.max(rule.window),
            events: HashMap::default(),
            start: now,
        }
    }

    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.start);
        if elapsed < self.rule.window {
            return;
        }
        let windows = (elapsed.as_nanos() / self.rule.window.as_nanos()).min(16) as u32;
        for e in self.events.values_mut() {
            for k in 0..windows {
                let n = if k == 0 { e.count as f64 } else { 0.0 };
                e.baseline = Some(match e.baseline {
                    None => n,
                    Some(b) => b + SPIKE_ALPHA * (n - b),
                });
            }
            e.count = 0;
        }
        self.events
            .retain(|_, e| e.baseline.is_some_and(|b| b >= 0.01));
        self.start = now;
    }

    /// A failure of `event`.
    pub(crate) fn failure(
        &mut self,
        event: &[u8],
        now: Instant,
        wall: Wall,
        out: &mut Vec<Output>,
    ) {
        self.roll(now);
        if !self.events.contains_key(event) {
            if self.events.len() >= MAX_EVENTS || event.len() > 256 {
                return;
            }
            self.events.insert(
                event.into(),
                EventFailures {
                    count: 0,
                    baseline: None,
                    first_seen: now,
                    alerted: None,
                },
            );
        }
        let Some(e) = self.events.get_mut(event) else {
            return;
        };
        if e.count == 0 {
            e.first_seen = now;
        }
        e.count += 1;
        let base = e.baseline.unwrap_or(0.0);
        let cooled = e
            .alerted
            .is_none_or(|t| now.saturating_duration_since(t) >= self.cooldown);
        if e.count >= self.rule.min_failures && e.count as f64 > self.rule.factor * base && cooled {
            e.alerted = Some(now);
            let mut a = Alert::new("failure_spike", "seclog.alert", "event", event);
            a.count = e.count;
            a.window = self.rule.window;
            a.first_seen = wall.at(e.first_seen);
            a.baseline = Some(base);
            out.push(Output::Alert(a));
        }
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        hash_map_bytes(
            self.events.capacity(),
            size_of::<(Box<[u8]>, EventFailures)>(),
        ) + self.events.keys().map(|k| k.len()).sum::<usize>()
    }
}

/// The most a [`Spike`] holds: [`MAX_EVENTS`] events, names of at most 256 bytes.
pub(crate) fn spike_cap_bytes() -> usize {
    hash_map_bytes(MAX_EVENTS, size_of::<(Box<[u8]>, EventFailures)>()) + MAX_EVENTS * 256
}
