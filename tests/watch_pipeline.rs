//! The rules that depend on windows and summaries, through the installed pipeline: a failure
//! spike and latency drift, each just short of its threshold and past it; `event!` call sites
//! keep no latency summary; and `Builder::watching(false)` turns watching off.
//!
//! A configuration is installed once per process: the test that needs another one runs this
//! binary again as a child.

mod common;

use std::time::{Duration, Instant};

use seclog::security_logged;
use seclog::watch::Rules;
use serde_json::Value;

use common::Memory;

/// What these tests read back from the sink.
trait Watched {
    fn alerts(&self, rule: &str) -> Vec<Value>;
    fn next_interval(&self);
}

impl Watched for Memory {
    fn alerts(&self, rule: &str) -> Vec<Value> {
        self.of("seclog.alert")
            .into_iter()
            .filter(|r| r["fields"]["rule"] == rule)
            .collect()
    }

    /// Waits for the next `seclog.perf` summary: the start of a fresh interval.
    fn next_interval(&self) {
        let before = self.of("seclog.perf").len();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.of("seclog.perf").len() == before {
            assert!(Instant::now() < deadline, "no summary within 30 s");
            // A record to summarise, so that every interval writes one.
            tick();
            std::thread::sleep(Duration::from_millis(5));
            seclog::flush();
        }
    }
}

#[security_logged(event = "orders.fetch")]
fn fetch(ok: bool) -> Result<u32, String> {
    if ok {
        Ok(1)
    } else {
        Err("upstream down".into())
    }
}

#[security_logged(event = "report.render")]
fn render(pause_ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(pause_ms));
    pause_ms
}

#[security_logged(event = "clock.tick")]
fn tick() {}

#[test]
fn spike_and_drift_through_the_pipeline() {
    let sink = Memory::default();
    let guard = seclog::builder()
        .service("shop", "1.0.0")
        .sink(sink.clone())
        .rules(
            Rules::none()
                .failure_spike(4.0, Duration::from_secs(600))
                .failure_spike_min(10)
                .perf_drift(3.0)
                .perf_drift_min_count(5)
                // The pipeline's wiring, not the baselines (tests/watch_rules.rs has those):
                // no warm-up, so the first windows can alert.
                .baseline_windows(0),
        )
        .summary_interval(Duration::from_millis(1500))
        .install()
        .unwrap();

    // Failure spike: with no warm-up and no baseline, the minimum decides: 9 failures are
    // short of 10, the 10th alerts, and more in the cool-down do not alert again.
    for _ in 0..9 {
        fetch(false).unwrap_err();
        fetch(true).unwrap();
    }
    assert!(seclog::flush());
    assert!(sink.alerts("failure_spike").is_empty());
    fetch(false).unwrap_err();
    assert!(seclog::flush());
    let spike = sink.alerts("failure_spike");
    assert_eq!(spike.len(), 1, "{spike:?}");
    let failed = sink
        .records()
        .into_iter()
        .find(|r| r["outcome"] == "failure")
        .unwrap();
    let f = &spike[0]["fields"];
    assert_eq!(f["event"], failed["event"]);
    assert_eq!(f["count"], 10);
    assert_eq!(f["window_s"], 600);
    assert_eq!(f["baseline"], 0.0);
    for _ in 0..20 {
        fetch(false).unwrap_err();
    }
    assert!(seclog::flush());
    assert_eq!(sink.alerts("failure_spike").len(), 1);

    // Latency drift. A baseline: 20 quick calls in one interval.
    sink.next_interval();
    for _ in 0..20 {
        render(0);
    }
    // Four slow calls in the next interval are short of the 5 calls a p95 needs.
    sink.next_interval();
    for _ in 0..4 {
        render(40);
    }
    sink.next_interval();
    assert!(seclog::flush());
    // Only `render` is judged: `tick` and `fetch` take a microsecond or so, and on a busy
    // machine a preempted call can put them over three times that.
    let render_drift = || -> Vec<Value> {
        sink.alerts("perf_drift")
            .into_iter()
            .filter(|a| a["fields"]["fn"].as_str().unwrap().ends_with("::render"))
            .collect()
    };
    assert!(render_drift().is_empty());
    // Five are enough: their p95 is far over three times the baseline.
    for _ in 0..5 {
        render(40);
    }
    sink.next_interval();
    assert!(seclog::flush());
    let drift = render_drift();
    assert_eq!(drift.len(), 1, "{drift:?}");
    let f = &drift[0]["fields"];
    assert_eq!(f["count"], 5);
    let (p95, base) = (
        f["p95_ns"].as_u64().unwrap(),
        f["baseline_p95_ns"].as_u64().unwrap(),
    );
    assert!(p95 >= 40_000_000 && p95 > 3 * base, "{f}");

    // `event!` call sites are not handlers: no latency summary names them.
    for n in 0..10u32 {
        seclog::event!("order.note", n = n);
    }
    drop(guard);
    let perf = sink.of("seclog.perf");
    let handlers: Vec<&str> = perf
        .iter()
        .map(|r| r["fields"]["fn"].as_str().unwrap())
        .collect();
    assert!(handlers.iter().all(|f| f.contains("::")), "{handlers:?}");
    assert!(handlers.iter().any(|f| f.ends_with("::fetch")));
    assert_eq!(sink.of("order.note").len(), 10);
}

/// With watching off, neither summaries nor alerts are written: 60 failures would be a
/// failure spike under the default rules.
#[test]
fn watching_off() {
    if !common::is_child("watching_off") {
        common::run_child("watching_off", &[], &[]);
        return;
    }
    let sink = Memory::default();
    let guard = seclog::builder()
        .sink(sink.clone())
        .watching(false)
        .summary_interval(Duration::from_millis(10))
        .install()
        .unwrap();
    for _ in 0..60 {
        fetch(false).unwrap_err();
    }
    std::thread::sleep(Duration::from_millis(50));
    drop(guard);
    let records = sink.records();
    assert_eq!(
        records
            .iter()
            .filter(|r| r["event"].as_str().unwrap().starts_with("orders.fetch"))
            .count(),
        60
    );
    assert!(
        records
            .iter()
            .all(|r| !r["event"].as_str().unwrap().starts_with("seclog.")),
        "{records:?}"
    );
}
