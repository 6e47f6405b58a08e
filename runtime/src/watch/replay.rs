//! The rules over records read back — a central archive, many processes' records merged —
//! on the records' own clock: the watcher's code, unchanged, fed each record at its `ts`.

use std::time::{Duration, Instant, SystemTime};

use super::{Alert, Output, Rules, Wall, Watcher};

/// Runs the watcher's rules over records in `ts` order, as `seclog detect` does.
///
/// Time is the records' own: each record is watched at its `ts`, and summaries (for
/// `perf_drift`) end every `interval` of record time. A record older than one already
/// watched is watched at the latest time seen (and counted as [`late`](Self::late)), so the
/// clock never runs backwards.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use seclog::watch::{Replay, Rules};
///
/// let mut replay = Replay::new(Rules::default().brute_force(3, Duration::from_secs(60)));
/// let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
/// for i in 0..3u64 {
///     let line = format!(
///         r#"{{"ts":"-","seq":{i},"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":1000,"where":{{"service":"shop","version":"1","host":"web-{i}","pid":7,"fn":"shop::login","file":"src/lib.rs","line":1}},"who":{{"user":"bob","ip":"198.51.100.{i}"}}}}"#
///     );
///     replay.observe(line.as_bytes(), t0 + Duration::from_secs(i));
/// }
/// let alerts = replay.take_alerts();
/// assert_eq!(alerts.len(), 1);
/// assert_eq!((alerts[0].rule, alerts[0].value.as_str()), ("brute_force", "bob"));
/// assert_eq!(alerts[0].last_seen, t0 + Duration::from_secs(2));
/// ```
#[derive(Debug)]
pub struct Replay {
    rules: Rules,
    interval: Duration,
    /// Made at the first record, whose `ts` is the clock's origin.
    watcher: Option<(Watcher, Wall)>,
    clock: SystemTime,
    alerts: Vec<Alert>,
    late: u64,
}

impl Replay {
    /// Runs `rules`, with summaries every 60 s of record time (the in-process default).
    pub fn new(rules: Rules) -> Self {
        Replay {
            rules,
            interval: Duration::from_secs(60),
            watcher: None,
            clock: SystemTime::UNIX_EPOCH,
            alerts: Vec::new(),
            late: 0,
        }
    }

    /// The summary interval, in record time, over which `perf_drift` compares latencies.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Watches one record (its JSON, from `{` to `}`) at `ts`. Returns whether it was a
    /// record; a line whose layout is not a seclog JSON record's is counted as
    /// [`skipped`](Self::skipped) and moves neither the clock nor the count of late records.
    pub fn observe(&mut self, record: &[u8], ts: SystemTime) -> bool {
        let (watcher, wall) = self.watcher.get_or_insert_with(|| {
            let wall = Wall {
                instant: Instant::now(),
                system: ts,
            };
            let w = Watcher::with_clock(self.rules.clone(), self.interval, Vec::new(), wall);
            (w, wall)
        });
        let clock = self.clock.max(ts).max(wall.system);
        let since = clock.duration_since(wall.system).unwrap_or(Duration::ZERO);
        // Past what an `Instant` can hold (centuries ahead), the clock stops.
        let now = wall
            .instant
            .checked_add(since)
            .unwrap_or_else(|| watcher.next_summary());
        watcher.tick(now);
        let read = watcher.observe(record, now);
        if read {
            self.late += u64::from(ts < self.clock);
            self.clock = clock;
        }
        Self::keep_alerts(watcher, &mut self.alerts);
        read
    }

    /// Ends the last summary interval at the latest `ts` seen, so that its drift is judged.
    pub fn finish(&mut self) {
        if let Some((watcher, wall)) = &mut self.watcher {
            let since = self.clock.duration_since(wall.system).unwrap_or_default();
            let now = wall.instant.checked_add(since).unwrap_or(wall.instant);
            watcher.summarise(now);
            Self::keep_alerts(watcher, &mut self.alerts);
        }
    }

    /// The alerts found since the last call, in the order they fired.
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.alerts)
    }

    /// Records watched at a later time than their own `ts`, because a later one came first.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// Lines whose layout was not a seclog JSON record's.
    pub fn skipped(&self) -> u64 {
        self.watcher.as_ref().map_or(0, |(w, _)| w.skipped)
    }

    /// The most the rules' state can hold (see [`Watcher::memory_cap`]): fixed whatever the
    /// input.
    pub fn memory_cap(&self) -> usize {
        match &self.watcher {
            Some((w, _)) => w.memory_cap(),
            None => Watcher::new(self.rules.clone(), self.interval).memory_cap(),
        }
    }

    /// The bytes the rules' state holds now.
    pub fn memory_bytes(&self) -> usize {
        self.watcher.as_ref().map_or(0, |(w, _)| w.memory_bytes())
    }

    /// Keeps the alerts and drops the summaries, which describe the records, not the fleet.
    fn keep_alerts(watcher: &mut Watcher, alerts: &mut Vec<Alert>) {
        if watcher.out.is_empty() {
            return;
        }
        alerts.extend(watcher.out.drain(..).filter_map(|o| match o {
            Output::Alert(a) => Some(*a),
            _ => None,
        }));
    }
}
