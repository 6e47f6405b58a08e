//! Performance budgets: `#[security_logged(budget = "..")]` records `budget_ns` and
//! `over_budget` on every call, and a call over its budget is recorded at `WARN` at least,
//! even when its own level is below the level filter.
//!
//! The level filter is process-wide, so this file is its own test binary with one test.

use std::time::Duration;

use seclog::testing::{capture, capture_future};
use seclog::{Encoder, Level, Loggable, security_logged};
use serde_json::Value;

#[security_logged(event = "report.export", budget = "20ms")]
fn export(pause_ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(pause_ms));
    pause_ms
}

#[security_logged(event = "authz_fail", budget = "1ms")]
fn deny(pause_ms: u64) {
    std::thread::sleep(Duration::from_millis(pause_ms));
}

#[security_logged(event = "authn_login", budget = "1s 500ms")]
fn login(ok: bool) -> Result<(), String> {
    std::thread::sleep(Duration::from_millis(2));
    if ok {
        Ok(())
    } else {
        Err("bad password".into())
    }
}

#[security_logged(event = "report.render", budget = "10ms")]
async fn render(pause_ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(pause_ms)).await;
    pause_ms
}

#[security_logged(event = "report.list")]
fn list() -> u32 {
    3
}

/// A value whose recording takes 30 ms: a slow `Loggable`, or seclog's own first use.
struct SlowToRecord;

impl Loggable for SlowToRecord {
    fn log(&self, out: &mut Encoder<'_>) {
        std::thread::sleep(Duration::from_millis(30));
        out.u64(1);
    }
}

/// A fast body with a slow input and a slow output, under a 20 ms budget.
#[security_logged(event = "report.export", budget = "20ms")]
fn slow_to_record(input: &SlowToRecord) -> SlowToRecord {
    let _ = input;
    SlowToRecord
}

fn one(records: &[Value]) -> &Value {
    assert_eq!(records.len(), 1, "{records:?}");
    &records[0]
}

#[test]
fn budgets() {
    seclog::set_level(Some(Level::Trace));

    // Under the budget: the budget is named, the level is the handler's own.
    let (_, r) = capture(|| export(0));
    let r = one(&r);
    assert_eq!(r["budget_ns"], 20_000_000);
    assert_eq!(r["over_budget"], false);
    assert_eq!(r["level"], "INFO");
    assert!(r["duration_ns"].as_u64().unwrap() <= 20_000_000);

    // Recording the inputs and the output is not the handler's time: 60 ms of it do not put
    // a fast body over its 20 ms budget.
    let (_, r) = capture(|| slow_to_record(&SlowToRecord));
    let r = one(&r);
    assert_eq!(
        (r["inputs"]["input"].as_u64(), r["output"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(r["over_budget"], false, "{r}");
    assert_eq!(r["level"], "INFO");

    // Over it: flagged, and raised to WARN.
    let (_, r) = capture(|| export(40));
    let r = one(&r);
    assert_eq!(r["over_budget"], true);
    assert_eq!(r["budget_ns"], 20_000_000);
    assert_eq!(r["level"], "WARN");
    assert_eq!(r["outcome"], "success");
    assert!(r["duration_ns"].as_u64().unwrap() > 20_000_000);

    // A higher level is kept: a CRITICAL event over budget stays CRITICAL.
    let (_, r) = capture(|| deny(5));
    let r = one(&r);
    assert_eq!(
        (r["level"].as_str(), r["over_budget"].as_bool()),
        (Some("CRITICAL"), Some(true))
    );

    // Both outcomes of a `Result` handler carry the budget ("1s 500ms" is 1.5 s).
    let (_, r) = capture(|| (login(true), login(false)));
    assert_eq!(r.len(), 2);
    for r in &r {
        assert_eq!(r["budget_ns"], 1_500_000_000);
        assert_eq!(r["over_budget"], false);
    }
    assert_eq!(r[0]["level"], "INFO");
    assert_eq!(r[1]["level"], "WARN");

    // Handlers without a budget write no budget keys.
    let (_, r) = capture(list);
    let r = one(&r);
    assert!(r.get("budget_ns").is_none() && r.get("over_budget").is_none());

    // Async handlers measure the whole call, awaits included.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (_, r) = rt.block_on(capture_future(render(30)));
    let r = one(&r);
    assert_eq!(
        (r["over_budget"].as_bool(), r["level"].as_str()),
        (Some(true), Some("WARN"))
    );

    // At WARN, an INFO handler is recorded only when it runs over its budget.
    seclog::set_level(Some(Level::Warn));
    let (_, r) = capture(|| (export(0), export(40), list()));
    let r = one(&r);
    assert_eq!(
        (r["event"].as_str(), r["over_budget"].as_bool()),
        (Some("report.export"), Some(true))
    );
    let (_, r) = rt.block_on(capture_future(async {
        (render(0).await, render(30).await)
    }));
    assert_eq!(one(&r)["over_budget"], true);

    // Above WARN, over-budget INFO calls are filtered like any WARN record.
    seclog::set_level(Some(Level::Error));
    let (_, r) = capture(|| export(40));
    assert!(r.is_empty(), "{r:?}");
    seclog::set_level(Some(Level::Trace));
}
