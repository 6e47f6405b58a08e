//! Watching end to end: handlers' records go through the installed pipeline, the watcher on
//! the writer thread raises alerts as records (sealed like any other) and hands them to
//! `on_alert`, and writes `seclog.perf` summaries every interval and when the guard is dropped.
//!
//! A configuration is installed once per process: this file is its own test binary with one
//! test.

mod common;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seclog::context::{self, Caller};
use seclog::security_logged;
use seclog::watch::{Alert, Rules};
use serde_json::Value;

use common::Memory;

#[security_logged(event = "authn_login", who = user)]
fn login(user: &str, ok: bool) -> Result<u32, String> {
    if ok {
        Ok(1)
    } else {
        Err("bad credentials".into())
    }
}

#[security_logged(event = "report.export", budget = "5ms")]
fn export(pause_ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(pause_ms));
    pause_ms
}

#[security_logged(usage = "reports.export", units = rows)]
fn export_rows(rows: u32) -> u32 {
    rows
}

fn from_ip<R>(ip: &str, f: impl FnOnce() -> R) -> R {
    let ip: IpAddr = ip.parse().unwrap();
    context::scope_sync(Caller::new().with_ip(ip), f)
}

#[test]
fn watching_through_the_pipeline() {
    let sink = Memory::default();
    let seen: Arc<Mutex<Vec<Alert>>> = Arc::default();
    let seen2 = seen.clone();
    let guard = seclog::builder()
        .service("shop", "1.0.0")
        .sink(sink.clone())
        .rules(
            Rules::default()
                .brute_force(3, Duration::from_secs(60))
                .credential_stuffing(5, Duration::from_secs(60))
                .quota("reports.export", 100, Duration::from_secs(60)),
        )
        .on_alert(move |a| seen2.lock().unwrap().push(a.clone()))
        .summary_interval(Duration::from_millis(300))
        .install()
        .unwrap();

    // Brute force: two failures are short of three.
    for _ in 0..2 {
        from_ip("198.51.100.7", || login("alice", false)).unwrap_err();
    }
    assert!(seclog::flush());
    assert!(sink.of("authn_login_fail_max").is_empty());
    from_ip("198.51.100.7", || login("alice", false)).unwrap_err();
    assert!(seclog::flush());
    let max = sink.of("authn_login_fail_max");
    assert_eq!(max.len(), 1, "{max:?}");
    let f = &max[0]["fields"];
    assert_eq!(f["rule"], "brute_force");
    assert_eq!(f["user"], "alice");
    assert_eq!(f["count"], 3);
    assert_eq!(f["window_s"], 60);
    assert!(f["first_seen"].as_str().unwrap().ends_with('Z'));
    assert_eq!(max[0]["level"], "WARN");
    // Once per cool-down.
    from_ip("198.51.100.7", || login("alice", false)).unwrap_err();
    assert!(seclog::flush());
    assert_eq!(sink.of("authn_login_fail_max").len(), 1);
    // A success after those failures.
    from_ip("198.51.100.7", || login("alice", true)).unwrap();
    assert!(seclog::flush());
    let saf = sink.of("authn_login_successafterfail");
    assert_eq!(saf.len(), 1, "{saf:?}");
    assert_eq!(saf[0]["fields"]["user"], "alice");
    assert_eq!(saf[0]["fields"]["count"], 4);

    // Credential stuffing: one IP, many users; four are short of five.
    for u in 0..4 {
        from_ip("203.0.113.66", || login(&format!("user{u}"), false)).unwrap_err();
    }
    assert!(seclog::flush());
    assert!(sink.of("seclog.alert").is_empty());
    for u in 4..8 {
        from_ip("203.0.113.66", || login(&format!("user{u}"), false)).unwrap_err();
    }
    assert!(seclog::flush());
    let cs = sink.of("seclog.alert");
    assert_eq!(cs.len(), 1, "{cs:?}");
    assert_eq!(cs[0]["fields"]["rule"], "credential_stuffing");
    assert_eq!(cs[0]["fields"]["ip"], "203.0.113.66");
    assert!(cs[0]["fields"]["count"].as_u64().unwrap() >= 5);

    // Failures for users that do not exist (the helper's records) count half: 2 are short of
    // 3, the third alerts.
    for u in 0..2 {
        from_ip("192.0.2.99", || {
            seclog::events::authn_login_fail_unknown_user(&format!("ghost{u}"))
        });
    }
    assert!(seclog::flush());
    assert_eq!(sink.of("seclog.alert").len(), 1);
    from_ip("192.0.2.99", || {
        seclog::events::authn_login_fail_unknown_user("ghost2")
    });
    assert!(seclog::flush());
    let cs = sink.of("seclog.alert");
    assert_eq!(cs.len(), 2, "{cs:?}");
    assert_eq!(cs[1]["fields"]["ip"], "192.0.2.99");
    assert_eq!(cs[1]["fields"]["unknown_users"], 3);

    // The callback saw the same alerts, in order.
    let rules: Vec<&str> = seen.lock().unwrap().iter().map(|a| a.rule).collect();
    assert_eq!(
        rules,
        [
            "brute_force",
            "success_after_fail",
            "credential_stuffing",
            "credential_stuffing"
        ]
    );

    // Usage: the record carries it, the query counts it, a quota alerts once per window.
    let acme = || Caller::new().with_user("carol").with_tenant("acme");
    context::scope_sync(acme(), || export_rows(60));
    assert!(seclog::flush());
    let rec = sink.of("report.export");
    assert!(rec.is_empty());
    let rows: Vec<Value> = sink
        .records()
        .into_iter()
        .filter(|r| r["usage"] == "reports.export")
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["units"], 60);
    assert_eq!(seclog::watch::usage("reports.export", "acme", "carol"), 60);
    assert_eq!(seclog::watch::usage("reports.export", "acme", "dan"), 0);
    assert!(sink.of("excess_rate_limit_exceeded").is_empty());
    context::scope_sync(acme(), || export_rows(41));
    context::scope_sync(acme(), || export_rows(1));
    assert!(seclog::flush());
    assert_eq!(seclog::watch::usage("reports.export", "acme", "carol"), 102);
    // Names that JSON escapes are asked for as they are.
    let odd = || Caller::new().with_user("zoë \"z\"").with_tenant("a\\b");
    context::scope_sync(odd(), || export_rows(7));
    assert!(seclog::flush());
    assert_eq!(
        seclog::watch::usage("reports.export", "a\\b", "zoë \"z\""),
        7
    );
    let over = sink.of("excess_rate_limit_exceeded");
    assert_eq!(over.len(), 1, "{over:?}");
    let f = &over[0]["fields"];
    assert_eq!(
        (&f["rule"], &f["user"], &f["tenant"], &f["usage"]),
        (
            &"quota".into(),
            &"carol".into(),
            &"acme".into(),
            &"reports.export".into()
        )
    );
    assert_eq!(
        (&f["count"], &f["limit"], &f["window_s"]),
        (&101.into(), &100.into(), &60.into())
    );

    // Summaries come every interval, even with no record to wake the writer.
    export(0);
    export(10);
    std::thread::sleep(Duration::from_millis(700));
    assert!(seclog::flush());
    let perf = sink.of("seclog.perf");
    let ex: Vec<&Value> = perf
        .iter()
        .filter(|r| r["fields"]["fn"].as_str().unwrap().ends_with("::export"))
        .collect();
    assert_eq!(ex.len(), 1, "{perf:?}");
    let f = &ex[0]["fields"];
    assert_eq!(f["count"], 2);
    assert_eq!(f["budget_ns"], 5_000_000);
    assert_eq!(f["over_budget"], 1);
    let (p50, p99, max) = (
        f["p50_ns"].as_u64().unwrap(),
        f["p99_ns"].as_u64().unwrap(),
        f["max_ns"].as_u64().unwrap(),
    );
    assert!(
        p50 < 5_000_000 && p99 >= 10_000_000 && max >= 10_000_000,
        "{f}"
    );

    // The last summaries when the guard is dropped.
    export(1);
    drop(guard);
    let all = sink.records();
    assert_eq!(all.last().unwrap()["event"], "sys_shutdown");
    let perf = sink.of("seclog.perf");
    let last = perf.last().unwrap();
    assert!(last["fields"]["fn"].as_str().unwrap().ends_with("::export"));
    assert_eq!(last["fields"]["count"], 1);
    let usage = sink.of("seclog.usage");
    let f = &usage
        .iter()
        .find(|r| r["fields"]["user"] == "carol")
        .unwrap()["fields"];
    assert_eq!(
        (&f["usage"], &f["tenant"]),
        (&"reports.export".into(), &"acme".into())
    );
    assert_eq!((&f["calls"], &f["units"]), (&3.into(), &102.into()));
    // Every record has its own seq; alerts are ordinary records.
    let all = sink.records();
    let mut seqs: Vec<u64> = all.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    let n = seqs.len();
    seqs.dedup();
    assert_eq!(seqs.len(), n);
}
