//! Watching: latency summaries and drift, usage and quotas, attack detection — over seclog's
//! own records, in process, after redaction, off the handler's thread, in bounded memory.
//!
//! The writer thread hands every batch it takes from the queue to a watcher before the sinks
//! get it (with no set-up, the thread that emits a record does the same). Each record comes
//! with 16 bytes of facts from the invocation that made it: its call site's number, outcome,
//! duration and budget verdict. From those alone the watcher updates the handler's latency
//! histogram and the failure counts; it reads the record's bytes only when a rule needs the
//! caller (`who`, for logins and usage). What it finds it writes as records through the
//! normal path — sealed into the integrity chain like any other — and hands alerts to
//! [`Builder::on_alert`](crate::Builder::on_alert). seclog's own records (`seclog.*`, `sys_*`)
//! and the events alerts are written as (`authn_login_fail_max`,
//! `authn_login_successafterfail`, `excess_rate_limit_exceeded`) are not watched, so nothing
//! feeds back. Latency is summarised per handler (`#[security_logged]` function); `event!`
//! call sites count towards the rules but have no latency of their own.
//! [`Builder::watching(false)`](crate::Builder::watching) (or `SECLOG_WATCH=off`) turns
//! watching off.
//!
//! ```no_run
//! use std::time::Duration;
//! use seclog::watch::Rules;
//!
//! let _guard = seclog::builder()
//!     .rules(
//!         Rules::default()
//!             .brute_force(5, Duration::from_secs(300))
//!             .quota("reports.export", 1_000, Duration::from_secs(3600)),
//!     )
//!     .on_alert(|a: &seclog::watch::Alert| eprintln!("alert: {} {}={}", a.rule, a.key, a.value))
//!     .summary_interval(Duration::from_secs(60))
//!     .install()
//!     .unwrap();
//! ```
//!
//! # Rules ([`Rules::default`]; [`Rules::none`] turns every one off)
//!
//! | rule | on | record |
//! |---|---|---|
//! | [`brute_force(10, 5 min)`](Rules::brute_force) | `authn_login_fail` of one user | `authn_login_fail_max`, key `user` |
//! | [`credential_stuffing(20, 10 min)`](Rules::credential_stuffing) | one `who.ip` failing logins for many distinct users (or for half as many users that do not exist) | `seclog.alert` `rule: credential_stuffing`, key `ip` |
//! | [`success_after_fail(3)`](Rules::success_after_fail) | `authn_login_success` of a user with 3 failures in the brute-force window | `authn_login_successafterfail`, key `user` |
//! | [`failure_spike(5.0, 5 min)`](Rules::failure_spike), at least 50 failures, [2 × the odds](Rules::failure_spike_rate) | a handler's failures in a window against its own established baseline | `seclog.alert` `rule: failure_spike`, key `event` |
//! | [`perf_drift(3.0)`](Rules::perf_drift), at least 20 calls, 3 of them slow | a handler's p95 in a summary interval against its established baseline p95 | `seclog.alert` `rule: perf_drift`, key `fn` |
//! | [`quota(usage, units, window)`](Rules::quota) (none by default) | a caller's units of a usage in a window | `excess_rate_limit_exceeded`, key `user` (with `tenant`, `usage`, `limit`) |
//!
//! Alert records carry, under `fields`: `rule`, the key, `count`, `window_s`, `first_seen`,
//! `last_seen` (and `calls`, `failures`, `unknown_users`, `baseline`, `rate`,
//! `baseline_rate`, `p95_ns`, `baseline_p95_ns`, `limit` where they apply). An alert fires once per key per cool-down: the rule's window, or
//! [`Rules::cooldown`] when longer.
//!
//! The login user is `who.user`, else the attempted name recorded by
//! [`events::authn_login_fail`](crate::events::authn_login_fail) (`fields.attempted_user`),
//! else the first input field named `username`. A failure for a user that does not exist is
//! one whose record has `"unknown_user":true` (see
//! [`events::authn_login_fail_unknown_user`](crate::events::authn_login_fail_unknown_user)).
//!
//! Login counts run over sliding windows: the current window plus the previous one weighted
//! by how much of it still overlaps.
//!
//! Failure spikes are judged per handler (`where.fn`) in tumbling windows, against a baseline
//! that is an EWMA (weight 0.3) of earlier full windows' calls and failures. A baseline is
//! established after [two full windows](Rules::baseline_windows) (a handler first called late
//! in a window skips that window): until then nothing is compared, so a process that has just
//! started — a Lambda cold start, a container restart — never alerts on its ordinary
//! failures. A spike needs all of: `min_failures`, more than `factor` × the baseline's
//! failures, and more than [`failure_spike_rate`](Rules::failure_spike_rate) × the
//! baseline's failures per success, so that a surge of traffic whose failures grow with it is
//! not a spike. A handler's baseline p95 is its first interval with enough calls, then an
//! EWMA (weight 0.1) of later ones, so a lasting change alerts a few times and then becomes
//! normal; it is compared after two such intervals, and only when at least three calls are
//! over the threshold (one slow call, a cold start's first, is not a drift).
//!
//! [`Replay`] runs the same rules over records read back, on the records' own clock: this is
//! what `seclog detect` does with a fleet's merged records.
//!
//! # Summaries
//!
//! Every [`Builder::summary_interval`](crate::Builder::summary_interval) (60 s by default; the
//! writer wakes for it even when idle) and when the guard is dropped: `seclog.perf` per
//! handler called in the interval (`fn`, `count`, `p50_ns`, `p95_ns`, `p99_ns`, `max_ns`,
//! `budget_ns`, `over_budget`: the calls over budget) and `seclog.usage` per caller and usage
//! (`usage`, `tenant`, `user`, `calls`, `units`). With no set-up there is no writer thread:
//! summaries come when a record arrives after the interval.
//!
//! # Memory
//!
//! Fixed at construction or capped: four Space-Saving sketches of 4096 counters (users and
//! IPs, current and previous window; a distinct-user bitmap of 64 bytes per IP: 2.8 MB in
//! all, allocated at start), 1024 events, 1024 handlers with a histogram each (1 µs to 1 h,
//! 2 significant digits: 13.5 KiB), 1024 call sites, 16,384 usage callers.
//! [`Watcher::memory_cap`] is the sum (under 30 MB with the default rules); a flood of
//! distinct users and IPs cannot grow it.

mod parse;
mod perf;
mod replay;
mod rules;
mod site;
mod sketch;
mod usage;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::record::{self, Callsite, CallsiteMeta, Facts, Invocation, Level};

pub use replay::Replay;
pub use usage::usage;

use parse::Outcome;
use perf::{Drift, Perf};
use rules::{Auth, AuthRules, Spike, SpikeRule};
use site::{Kind, Sites};
use usage::Quota;

/// The detection rules: which are on and their thresholds. Set with
/// [`Builder::rules`](crate::Builder::rules).
///
/// ```
/// use std::time::Duration;
/// use seclog::watch::{Rule, Rules};
///
/// let rules = Rules::default()
///     .brute_force(5, Duration::from_secs(60))
///     .disable(Rule::FailureSpike);
/// let only_quotas = Rules::none().quota("reports.export", 100, Duration::from_secs(3600));
/// # let _ = (rules, only_quotas);
/// ```
#[derive(Clone, Debug)]
pub struct Rules {
    brute_force: Option<(u64, Duration)>,
    credential_stuffing: Option<(u64, Duration)>,
    success_after_fail: Option<u64>,
    failure_spike: Option<SpikeRule>,
    perf_drift: Option<Drift>,
    quotas: Vec<Quota>,
    cooldown: Duration,
}

/// A rule, to switch off with [`Rules::disable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// [`Rules::brute_force`].
    BruteForce,
    /// [`Rules::credential_stuffing`].
    CredentialStuffing,
    /// [`Rules::success_after_fail`].
    SuccessAfterFail,
    /// [`Rules::failure_spike`].
    FailureSpike,
    /// [`Rules::perf_drift`].
    PerfDrift,
    /// Every [`Rules::quota`].
    Quotas,
}

impl Default for Rules {
    /// Every rule on, with conservative thresholds (see the [module docs](self)); no quotas.
    fn default() -> Self {
        Rules {
            brute_force: Some((10, Duration::from_secs(300))),
            credential_stuffing: Some((20, Duration::from_secs(600))),
            success_after_fail: Some(3),
            failure_spike: Some(SpikeRule {
                factor: 5.0,
                window: Duration::from_secs(300),
                min_failures: 50,
                rate_factor: 2.0,
                warmup: 2,
            }),
            perf_drift: Some(Drift {
                factor: 3.0,
                min_count: 20,
                warmup: 2,
            }),
            quotas: Vec::new(),
            cooldown: Duration::ZERO,
        }
    }
}

impl Rules {
    /// Every rule off (summaries are still written).
    pub fn none() -> Self {
        Rules {
            brute_force: None,
            credential_stuffing: None,
            success_after_fail: None,
            failure_spike: None,
            perf_drift: None,
            quotas: Vec::new(),
            cooldown: Duration::ZERO,
        }
    }

    /// `authn_login_fail_max` for a user with `failures` failed logins within `window`.
    pub fn brute_force(mut self, failures: u64, window: Duration) -> Self {
        self.brute_force = Some((failures.max(1), window));
        self
    }

    /// `seclog.alert` (`rule: credential_stuffing`) for an IP whose failed logins within
    /// `window` name `distinct_users` different users, or half as many users that do not exist.
    pub fn credential_stuffing(mut self, distinct_users: u64, window: Duration) -> Self {
        self.credential_stuffing = Some((distinct_users.max(2), window));
        self
    }

    /// `authn_login_successafterfail` for a successful login of a user with at least
    /// `min_failures` failed logins in the brute-force window (5 minutes when that rule is off).
    pub fn success_after_fail(mut self, min_failures: u64) -> Self {
        self.success_after_fail = Some(min_failures.max(1));
        self
    }

    /// `seclog.alert` (`rule: failure_spike`) for an event whose failures within `window`
    /// exceed `factor` times its baseline, and at least 50 (see
    /// [`failure_spike_min`](Self::failure_spike_min)).
    pub fn failure_spike(mut self, factor: f64, window: Duration) -> Self {
        let old = self.failure_spike.or(Rules::default().failure_spike);
        self.failure_spike = Some(SpikeRule {
            factor: factor.max(1.0),
            window,
            min_failures: old.map_or(50, |s| s.min_failures),
            rate_factor: old.map_or(2.0, |s| s.rate_factor),
            warmup: old.map_or(2, |s| s.warmup),
        });
        self
    }

    /// How many times its baseline odds of failing (failures per success) a window's must
    /// exceed to be a spike (default 2): a surge of traffic whose failures grow in proportion
    /// to its successes is not one. A handler with no successes in its baseline is judged by
    /// counts alone.
    pub fn failure_spike_rate(mut self, factor: f64) -> Self {
        if let Some(s) = &mut self.failure_spike {
            s.rate_factor = factor.max(1.0);
        }
        self
    }

    /// How many full windows (failure spike) or intervals with enough calls (perf drift) a
    /// baseline needs before it can alert (default 2). Until then there is nothing to compare
    /// with: a process that has just started has no baseline.
    pub fn baseline_windows(mut self, windows: u32) -> Self {
        if let Some(s) = &mut self.failure_spike {
            s.warmup = windows;
        }
        if let Some(d) = &mut self.perf_drift {
            d.warmup = windows;
        }
        self
    }

    /// The fewest failures in a window that can be a spike (default 50).
    pub fn failure_spike_min(mut self, failures: u64) -> Self {
        if let Some(s) = &mut self.failure_spike {
            s.min_failures = failures.max(1);
        }
        self
    }

    /// `seclog.alert` (`rule: perf_drift`) for a handler whose p95 in a summary interval
    /// exceeds `factor` times its baseline p95, over at least 20 calls (see
    /// [`perf_drift_min_count`](Self::perf_drift_min_count)).
    pub fn perf_drift(mut self, factor: f64) -> Self {
        let old = self.perf_drift.or(Rules::default().perf_drift);
        self.perf_drift = Some(Drift {
            factor: factor.max(1.0),
            min_count: old.map_or(20, |d| d.min_count),
            warmup: old.map_or(2, |d| d.warmup),
        });
        self
    }

    /// The fewest calls in an interval for its p95 to count (default 20).
    pub fn perf_drift_min_count(mut self, calls: u64) -> Self {
        if let Some(d) = &mut self.perf_drift {
            d.min_count = calls.max(1);
        }
        self
    }

    /// `excess_rate_limit_exceeded` for a caller (tenant, user) whose `units` of `usage`
    /// within `window` exceed `units`, once per window. One quota per usage: a later call
    /// for the same usage replaces it.
    pub fn quota(mut self, usage: &str, units: u64, window: Duration) -> Self {
        self.quotas.retain(|q| q.usage != usage);
        self.quotas.push(Quota {
            usage: usage.to_owned(),
            units,
            window,
        });
        self
    }

    /// The least time between two alerts for the same key (default: the rule's window).
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Switches `rule` off.
    pub fn disable(mut self, rule: Rule) -> Self {
        match rule {
            Rule::BruteForce => self.brute_force = None,
            Rule::CredentialStuffing => self.credential_stuffing = None,
            Rule::SuccessAfterFail => self.success_after_fail = None,
            Rule::FailureSpike => self.failure_spike = None,
            Rule::PerfDrift => self.perf_drift = None,
            Rule::Quotas => self.quotas.clear(),
        }
        self
    }
}

/// An alert: what a rule found. The same values are written as the alert's record.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Alert {
    /// `brute_force`, `credential_stuffing`, `success_after_fail`, `failure_spike`,
    /// `perf_drift` or `quota`.
    pub rule: &'static str,
    /// The record's event: `authn_login_fail_max`, `authn_login_successafterfail`,
    /// `excess_rate_limit_exceeded` or `seclog.alert`.
    pub event: &'static str,
    /// What the alert is about: `user`, `ip`, `event` or `fn`.
    pub key: &'static str,
    /// Its value, as recorded (JSON-escaped).
    pub value: String,
    /// Failures (users for `credential_stuffing`, calls for `perf_drift`, units for `quota`).
    pub count: u64,
    /// The rule's window.
    pub window: Duration,
    /// When the key's count started.
    pub first_seen: SystemTime,
    /// When the rule fired: the time of the record that crossed the threshold (for
    /// `perf_drift`, the end of the interval).
    pub last_seen: SystemTime,
    /// `credential_stuffing`: the IP's failed logins.
    pub failures: Option<u64>,
    /// `credential_stuffing`: failures naming users that do not exist.
    pub unknown_users: Option<u64>,
    /// `failure_spike`: the event's baseline failures per window.
    pub baseline: Option<f64>,
    /// `failure_spike`: the handler's calls in the window; `perf_drift`: the calls over the
    /// threshold.
    pub calls: Option<u64>,
    /// `failure_spike`: failures per call in the window.
    pub rate: Option<f64>,
    /// `failure_spike`: the baseline's failures per call.
    pub baseline_rate: Option<f64>,
    /// `perf_drift`: the interval's p95.
    pub p95_ns: Option<u64>,
    /// `perf_drift`: the handler's baseline p95.
    pub baseline_p95_ns: Option<u64>,
    /// `quota`: the usage, the caller's tenant and the quota.
    pub usage: Option<String>,
    /// `quota`: the caller's tenant (`""` when unknown).
    pub tenant: Option<String>,
    /// `quota`: the units allowed per window.
    pub limit: Option<u64>,
}

impl Alert {
    fn new(
        rule: &'static str,
        event: &'static str,
        key: &'static str,
        value: &[u8],
        at: SystemTime,
    ) -> Self {
        Alert {
            rule,
            event,
            key,
            value: String::from_utf8_lossy(value).into_owned(),
            count: 0,
            window: Duration::ZERO,
            first_seen: at,
            last_seen: at,
            failures: None,
            unknown_users: None,
            baseline: None,
            calls: None,
            rate: None,
            baseline_rate: None,
            p95_ns: None,
            baseline_p95_ns: None,
            usage: None,
            tenant: None,
            limit: None,
        }
    }
}

impl Alert {
    /// Writes the alert as a record, as the in-process watcher does: through the installed
    /// set-up, or the default one (standard output) when there is none. Its record's `ts` is
    /// now; [`first_seen`](Self::first_seen) and [`last_seen`](Self::last_seen) say when.
    pub fn emit(&self) {
        emit_alert(self);
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}={} count={} in {:?}",
            self.rule, self.event, self.key, self.value, self.count, self.window
        )
    }
}

/// One handler's latency in a summary interval.
#[derive(Clone, Debug)]
pub(crate) struct PerfSummary {
    func: String,
    count: u64,
    p50_ns: u64,
    p95_ns: u64,
    p99_ns: u64,
    max_ns: u64,
    budget_ns: Option<u64>,
    over_budget: u64,
}

/// One caller's use of one usage in a summary interval.
#[derive(Clone, Debug)]
pub(crate) struct UsageSummary {
    usage: String,
    tenant: String,
    user: String,
    calls: u64,
    units: u64,
}

/// What the watcher has to write.
#[derive(Clone, Debug)]
pub(crate) enum Output {
    Alert(Box<Alert>),
    Perf(PerfSummary),
    Usage(UsageSummary),
}

/// Wall-clock time of an `Instant`, from one pair of readings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wall {
    instant: Instant,
    system: SystemTime,
}

impl Wall {
    fn now() -> Self {
        Wall {
            instant: Instant::now(),
            system: SystemTime::now(),
        }
    }

    fn at(self, t: Instant) -> SystemTime {
        match t.checked_duration_since(self.instant) {
            Some(d) => self.system + d,
            None => self.system - self.instant.duration_since(t),
        }
    }
}

/// A callback of [`Builder::on_alert`](crate::Builder::on_alert).
pub(crate) type AlertHook = Box<dyn Fn(&Alert) + Send + Sync>;

/// The watcher of one pipeline. Public for benchmarks and tests only.
#[doc(hidden)]
pub struct Watcher {
    rules: Rules,
    interval: Duration,
    perf: Perf,
    sites: Sites,
    auth: Option<Auth>,
    spike: Option<Spike>,
    out: Vec<Output>,
    next_summary: Instant,
    wall: Wall,
    hooks: Arc<[AlertHook]>,
    /// Lines whose layout was not a record's.
    skipped: u64,
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("rules", &self.rules)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// A watcher applying `rules`, summarising every `interval`.
    pub fn new(rules: Rules, interval: Duration) -> Self {
        Self::with_hooks(rules, interval, Vec::new())
    }

    pub(crate) fn with_hooks(rules: Rules, interval: Duration, hooks: Vec<AlertHook>) -> Self {
        Self::with_clock(rules, interval, hooks, Wall::now())
    }

    /// A watcher whose clock reads `wall.instant` as `wall.system`.
    fn with_clock(rules: Rules, interval: Duration, hooks: Vec<AlertHook>, wall: Wall) -> Self {
        let now = wall.instant;
        let interval = interval.max(Duration::from_millis(1));
        let cooldown = rules.cooldown;
        let auth = Auth::new(
            AuthRules {
                brute_force: rules.brute_force,
                credential_stuffing: rules.credential_stuffing,
                success_after_fail: rules.success_after_fail,
                cooldown,
            },
            now,
        );
        let spike = rules.failure_spike.map(|s| Spike::new(s, cooldown, now));
        Watcher {
            rules,
            interval,
            perf: Perf::new(wall.system),
            sites: Sites::default(),
            auth,
            spike,
            out: Vec::new(),
            next_summary: now + interval,
            wall,
            hooks: hooks.into(),
            skipped: 0,
        }
    }

    /// Watches a batch as the pipeline hands it over: its records' bytes and their
    /// [`Facts`], in the same order. A record's bytes are read only when a rule needs its
    /// caller (logins, usage).
    pub fn observe_records(&mut self, batch: &[u8], facts: &[Facts], now: Instant) {
        let mut at = 0;
        for f in facts {
            let end = match f.len {
                // Longer than 4 GiB: its end is its newline.
                u32::MAX => batch
                    .get(at..)
                    .and_then(|rest| memchr::memchr(b'\n', rest))
                    .map_or(batch.len(), |i| at + i + 1),
                len => at + len as usize,
            };
            let line = batch.get(at..end).unwrap_or_default();
            at = end;
            self.observe_facts(f, line, now);
        }
    }

    /// Watches one record from its facts; `line` is its bytes (with the final newline).
    #[inline]
    fn observe_facts(&mut self, f: &Facts, line: &[u8], now: Instant) {
        let Some(site) = self
            .sites
            .get(f.site, &mut self.perf, self.spike.as_mut(), now)
        else {
            self.observe(line.strip_suffix(b"\n").unwrap_or(line), now);
            return;
        };
        let kind = site.kinds[f.outcome as usize];
        if kind == Kind::Own {
            return;
        }
        if let Some(slot) = site.perf {
            let budget = site.budget_ns.map(|b| (b, f.over_budget));
            self.perf.record_at(slot, f.duration_ns, budget);
        }
        if let (Some(slot), Some(spike)) = (site.spike, &mut self.spike) {
            let failed = (f.outcome == record::Outcome::Failure).then_some(&*site.failure_event);
            spike.call(slot, failed, now, self.wall, &mut self.out);
        }
        if !site.needs_who(f.outcome, self.auth.is_some()) {
            return;
        }
        let Some(l) = parse::parse(line) else {
            self.skipped += 1;
            return;
        };
        self.by_caller(kind, l.usage, &l, now);
    }

    /// Watches every line of a batch of records, read from their bytes alone.
    pub fn observe_batch(&mut self, batch: &[u8], now: Instant) {
        let mut from = 0;
        for end in memchr::memchr_iter(b'\n', batch) {
            self.observe(&batch[from..end], now);
            from = end + 1;
        }
        if from < batch.len() {
            self.observe(&batch[from..], now);
        }
    }

    /// Watches one record line, read from its bytes. Returns whether it was a record (its
    /// layout a seclog JSON record's); a line that is not is counted as skipped.
    #[inline]
    pub fn observe(&mut self, line: &[u8], now: Instant) -> bool {
        let Some(l) = parse::parse(line) else {
            // seclog's own records (a chain's start, say) have another layout, and no rule
            // reads them.
            if parse::event(line).is_some_and(|(e, _)| Kind::of(e) == Kind::Own) {
                return true;
            }
            self.skipped += 1;
            return false;
        };
        let kind = Kind::of(l.event);
        if kind == Kind::Own {
            return true;
        }
        self.perf.record(l.func, l.duration_ns, l.budget);
        if let Some(spike) = &mut self.spike
            && let Some(slot) = spike.slot(l.func, now)
        {
            let failed = (l.outcome == Outcome::Failure).then_some(l.event);
            spike.call(slot, failed, now, self.wall, &mut self.out);
        }
        let auth = self.auth.is_some() && matches!(kind, Kind::LoginFail | Kind::LoginOk);
        if l.usage.is_some() || auth {
            self.by_caller(kind, l.usage, &l, now);
        }
        true
    }

    /// The rules keyed by the caller: usage and quotas, and the login rules.
    fn by_caller(
        &mut self,
        kind: Kind,
        usage: Option<(&[u8], u64)>,
        l: &parse::Line<'_>,
        now: Instant,
    ) {
        let (who, body) = l.who();
        if let Some((name, units)) = usage {
            usage::count(
                &self.rules.quotas,
                self.interval,
                name,
                who.tenant.unwrap_or_default(),
                who.user.unwrap_or_default(),
                units,
                now,
                self.wall,
                &mut self.out,
            );
        }
        let Some(auth) = &mut self.auth else { return };
        match kind {
            Kind::LoginFail => {
                let user = l.login_user(&who, body);
                auth.failure(
                    user,
                    who.ip,
                    l.unknown_user(body),
                    now,
                    self.wall,
                    &mut self.out,
                );
            }
            Kind::LoginOk => {
                if let Some(user) = l.login_user(&who, body) {
                    auth.success(user, now, self.wall, &mut self.out);
                }
            }
            _ => {}
        }
    }

    /// When the next summary is due.
    pub fn next_summary(&self) -> Instant {
        self.next_summary
    }

    /// Writes the summaries if they are due.
    pub fn tick(&mut self, now: Instant) {
        if now >= self.next_summary {
            self.summarise(now);
        }
    }

    /// Ends the interval now: summaries and drift.
    pub fn summarise(&mut self, now: Instant) {
        let cooldown = self.rules.cooldown.max(self.interval);
        self.perf.summarise(
            self.rules.perf_drift,
            self.interval,
            cooldown,
            now,
            self.wall,
            &mut self.out,
        );
        usage::summarise(now, &mut self.out);
        self.next_summary = now + self.interval;
    }

    /// The alerts found since the last call (summaries are dropped): for tests.
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        self.out
            .drain(..)
            .filter_map(|o| match o {
                Output::Alert(a) => Some(*a),
                _ => None,
            })
            .collect()
    }

    /// Whether there is anything to write.
    #[inline]
    pub(crate) fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// What there is to write, and the callbacks alerts go to.
    pub(crate) fn take_output(&mut self) -> (Vec<Output>, Arc<[AlertHook]>) {
        (std::mem::take(&mut self.out), self.hooks.clone())
    }

    /// The bytes the watcher holds now, from the capacities of its structures (the usage
    /// table, shared by the process, included).
    pub fn memory_bytes(&self) -> usize {
        size_of::<Self>()
            + self.perf.memory_bytes()
            + self.sites.memory_bytes()
            + self.auth.as_ref().map_or(0, Auth::memory_bytes)
            + self.spike.as_ref().map_or(0, Spike::memory_bytes)
            + usage::memory_bytes()
            + self.out.capacity() * size_of::<Output>()
    }

    /// The most [`memory_bytes`](Self::memory_bytes) can be with these rules, outputs
    /// pending between two batches aside.
    pub fn memory_cap(&self) -> usize {
        size_of::<Self>()
            + perf::cap_bytes()
            + site::cap_bytes()
            // The sketches are allocated whole at construction: their size is their cap.
            + self.auth.as_ref().map_or(0, Auth::memory_bytes)
            + self.spike.as_ref().map_or(0, |_| rules::spike_cap_bytes())
            + usage::cap_bytes()
    }
}

macro_rules! callsite {
    ($event:literal, $level:expr, $mandatory:expr) => {{
        static CALLSITE: Callsite = Callsite::new(CallsiteMeta {
            fn_path: module_path!(),
            file: file!(),
            line: line!(),
            events: [$event; 4],
            levels: [$level; 4],
            mandatory: $mandatory,
        });
        &CALLSITE
    }};
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
        .max(u64::from(d.subsec_nanos() > 0 && d.as_secs() == 0))
}

/// Writes what the watcher found as records, and hands alerts to the callbacks.
pub(crate) fn emit(outputs: Vec<Output>, hooks: &[AlertHook]) {
    for o in outputs {
        match o {
            Output::Alert(a) => {
                emit_alert(&a);
                for hook in hooks {
                    if catch_unwind(AssertUnwindSafe(|| hook(&a))).is_err() {
                        eprintln!("seclog: an on_alert callback panicked");
                    }
                }
            }
            Output::Perf(p) => {
                let mut inv = Invocation::start(callsite!("seclog.perf", Level::Info, false));
                inv.field("\"fn\":", p.func.as_str());
                inv.field("\"count\":", &p.count);
                inv.field("\"p50_ns\":", &p.p50_ns);
                inv.field("\"p95_ns\":", &p.p95_ns);
                inv.field("\"p99_ns\":", &p.p99_ns);
                inv.field("\"max_ns\":", &p.max_ns);
                inv.field("\"budget_ns\":", &p.budget_ns);
                inv.field("\"over_budget\":", &p.over_budget);
                inv.finish_success();
            }
            Output::Usage(u) => {
                let mut inv = Invocation::start(callsite!("seclog.usage", Level::Info, false));
                inv.field("\"usage\":", u.usage.as_str());
                inv.field("\"tenant\":", u.tenant.as_str());
                inv.field("\"user\":", u.user.as_str());
                inv.field("\"calls\":", &u.calls);
                inv.field("\"units\":", &u.units);
                inv.finish_success();
            }
        }
    }
}

fn emit_alert(a: &Alert) {
    let callsite = match a.event {
        "authn_login_fail_max" => callsite!("authn_login_fail_max", Level::Warn, true),
        "authn_login_successafterfail" => {
            callsite!("authn_login_successafterfail", Level::Info, true)
        }
        "excess_rate_limit_exceeded" => {
            callsite!("excess_rate_limit_exceeded", Level::Warn, true)
        }
        _ => callsite!("seclog.alert", Level::Warn, true),
    };
    let mut inv = Invocation::start(callsite);
    inv.field("\"rule\":", a.rule);
    let key = match a.key {
        "user" => "\"user\":",
        "ip" => "\"ip\":",
        "event" => "\"event\":",
        _ => "\"fn\":",
    };
    inv.field(key, a.value.as_str());
    if let Some(t) = &a.tenant {
        inv.field("\"tenant\":", t.as_str());
    }
    if let Some(u) = &a.usage {
        inv.field("\"usage\":", u.as_str());
    }
    inv.field("\"count\":", &a.count);
    inv.field("\"window_s\":", &secs(a.window));
    inv.field("\"first_seen\":", &a.first_seen);
    inv.field("\"last_seen\":", &a.last_seen);
    let extras = [
        ("\"calls\":", a.calls),
        ("\"failures\":", a.failures),
        ("\"unknown_users\":", a.unknown_users),
        ("\"p95_ns\":", a.p95_ns),
        ("\"baseline_p95_ns\":", a.baseline_p95_ns),
        ("\"limit\":", a.limit),
    ];
    for (k, v) in extras {
        if let Some(v) = v {
            inv.field(k, &v);
        }
    }
    let ratios = [
        ("\"baseline\":", a.baseline, 100.0),
        ("\"rate\":", a.rate, 10_000.0),
        ("\"baseline_rate\":", a.baseline_rate, 10_000.0),
    ];
    for (k, v, scale) in ratios {
        if let Some(v) = v {
            inv.field(k, &((v * scale).round() / scale));
        }
    }
    inv.finish_success();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures the docs give: a histogram of 13.5 KiB, sketches of 2.8 MB fixed at
    /// construction, a cap under 30 MB with the default rules.
    #[test]
    fn memory_figures() {
        let w = Watcher::new(Rules::default(), Duration::from_secs(60));
        let hist = perf::histogram_bytes();
        let sketches = w.auth.as_ref().map_or(0, Auth::memory_bytes);
        println!(
            "histogram {hist} B, sketches {sketches} B, now {} B, cap {} B",
            w.memory_bytes(),
            w.memory_cap()
        );
        assert_eq!(hist, 13_824);
        assert!((2_700_000..2_900_000).contains(&sketches), "{sketches}");
        assert!(w.memory_bytes() <= w.memory_cap());
        assert!(w.memory_cap() < 30_000_000);
        assert!(Watcher::new(Rules::none(), Duration::from_secs(60)).memory_bytes() < 1 << 16);
    }
}
