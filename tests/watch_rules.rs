//! The watcher's rules driven directly, line by line, with a simulated clock: each rule just
//! short of its threshold and past it, once per cool-down, and its memory under a flood of a
//! million failed logins from distinct users and IPs.

use std::time::{Duration, Instant};

use seclog::watch::{Alert, Rule, Rules, Watcher};

fn line(event: &str, outcome: &str, func: &str, duration_ns: u64, who: &str) -> Vec<u8> {
    format!(
        r#"{{"ts":"2026-11-22T12:00:00.000000123Z","seq":7,"event":"{event}","level":"WARN","outcome":"{outcome}","duration_ns":{duration_ns},"where":{{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"{func}","file":"src/auth.rs","line":17}}{who},"inputs":{{"req":{{"username":"x","password":"[REDACTED]"}}}},"error":{{"BadCredentials":null}}}}"#
    )
    .into_bytes()
}

fn login_fail(user: &str, ip: &str) -> Vec<u8> {
    line(
        "authn_login_fail",
        "failure",
        "shop::auth::login",
        52_311,
        &format!(r#","who":{{"user":"{user}","ip":"{ip}"}}"#),
    )
}

fn login_ok(user: &str, ip: &str) -> Vec<u8> {
    line(
        "authn_login_success",
        "success",
        "shop::auth::login",
        52_311,
        &format!(r#","who":{{"user":"{user}","ip":"{ip}"}}"#),
    )
}

const MIN: Duration = Duration::from_secs(60);

fn alerts_of<'a>(alerts: &'a [Alert], rule: &str) -> Vec<&'a Alert> {
    alerts.iter().filter(|a| a.rule == rule).collect()
}

#[test]
fn brute_force_fires_at_its_threshold_once_per_window() {
    let mut w = Watcher::new(Rules::none().brute_force(5, MIN), Duration::from_secs(3600));
    let t0 = Instant::now();
    for i in 0..4 {
        w.observe(
            &login_fail("alice", "203.0.113.7"),
            t0 + Duration::from_secs(i),
        );
    }
    assert!(w.take_alerts().is_empty(), "4 failures are short of 5");
    w.observe(
        &login_fail("alice", "203.0.113.7"),
        t0 + Duration::from_secs(4),
    );
    let a = w.take_alerts();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].rule, "brute_force");
    assert_eq!(a[0].event, "authn_login_fail_max");
    assert_eq!((a[0].key, a[0].value.as_str()), ("user", "alice"));
    assert_eq!(a[0].count, 5);
    assert_eq!(a[0].window, MIN);
    // More failures in the cool-down: no second alert.
    for i in 5..20 {
        w.observe(
            &login_fail("alice", "203.0.113.7"),
            t0 + Duration::from_secs(i),
        );
    }
    assert!(w.take_alerts().is_empty());
    // Other users are counted apart.
    for _ in 0..4 {
        w.observe(
            &login_fail("bob", "203.0.113.8"),
            t0 + Duration::from_secs(21),
        );
    }
    assert!(w.take_alerts().is_empty());
    // After the cool-down, a new run alerts again.
    let later = t0 + Duration::from_secs(200);
    for i in 0..5 {
        w.observe(
            &login_fail("alice", "203.0.113.7"),
            later + Duration::from_secs(i),
        );
    }
    assert_eq!(alerts_of(&w.take_alerts(), "brute_force").len(), 1);
}

#[test]
fn failures_spread_wider_than_the_window_do_not_alert() {
    let mut w = Watcher::new(Rules::none().brute_force(5, MIN), Duration::from_secs(3600));
    let t0 = Instant::now();
    for i in 0..20 {
        // One failure every 40 s: at most 2 in any minute, and at most 3 in the sliding sum.
        w.observe(
            &login_fail("carol", "198.51.100.1"),
            t0 + Duration::from_secs(40 * i),
        );
    }
    assert!(w.take_alerts().is_empty());
}

#[test]
fn success_after_failures_is_recorded_once() {
    let mut w = Watcher::new(
        Rules::none().brute_force(10, MIN).success_after_fail(2),
        Duration::from_secs(3600),
    );
    let t0 = Instant::now();
    w.observe(&login_fail("dave", "192.0.2.1"), t0);
    w.observe(&login_ok("dave", "192.0.2.1"), t0 + Duration::from_secs(1));
    assert!(w.take_alerts().is_empty(), "one failure is short of 2");
    w.observe(
        &login_fail("dave", "192.0.2.1"),
        t0 + Duration::from_secs(2),
    );
    w.observe(
        &login_fail("dave", "192.0.2.1"),
        t0 + Duration::from_secs(3),
    );
    w.observe(&login_ok("dave", "192.0.2.1"), t0 + Duration::from_secs(4));
    let a = w.take_alerts();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].event, "authn_login_successafterfail");
    assert_eq!(
        (a[0].key, a[0].value.as_str(), a[0].count),
        ("user", "dave", 2)
    );
    // The failures are forgotten by the success.
    w.observe(&login_ok("dave", "192.0.2.1"), t0 + Duration::from_secs(5));
    assert!(w.take_alerts().is_empty());
}

#[test]
fn credential_stuffing_counts_distinct_users_per_ip() {
    let mut w = Watcher::new(
        Rules::none().credential_stuffing(20, MIN),
        Duration::from_secs(3600),
    );
    let t0 = Instant::now();
    // One user many times from an IP: not stuffing.
    for _ in 0..100 {
        w.observe(&login_fail("erin", "198.51.100.9"), t0);
    }
    // 15 users from another IP: short of 20.
    for u in 0..15 {
        w.observe(&login_fail(&format!("user{u}"), "203.0.113.66"), t0);
    }
    assert!(w.take_alerts().is_empty());
    for u in 15..40 {
        w.observe(&login_fail(&format!("user{u}"), "203.0.113.66"), t0);
    }
    let a = w.take_alerts();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].rule, "credential_stuffing");
    assert_eq!(a[0].event, "seclog.alert");
    assert_eq!((a[0].key, a[0].value.as_str()), ("ip", "203.0.113.66"));
    assert!((18..=23).contains(&a[0].count), "{}", a[0].count);
    assert!(a[0].failures.unwrap() >= 19);
}

#[test]
fn failures_for_users_that_do_not_exist_count_double() {
    let mut w = Watcher::new(
        Rules::none().credential_stuffing(20, MIN),
        Duration::from_secs(3600),
    );
    let t0 = Instant::now();
    let unknown = |u: &str| {
        line(
            "authn_login_fail",
            "failure",
            "seclog_runtime::what::events",
            900,
            &format!(
                r#","who":{{"ip":"192.0.2.200"}},"fields":{{"attempted_user":"{u}","unknown_user":true}}"#
            ),
        )
    };
    for u in 0..9 {
        w.observe(&unknown(&format!("ghost{u}")), t0);
    }
    assert!(
        w.take_alerts().is_empty(),
        "9 unknown users are short of 10"
    );
    w.observe(&unknown("ghost9"), t0);
    let a = w.take_alerts();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].value, "192.0.2.200");
    assert_eq!(a[0].unknown_users, Some(10));
}

#[test]
fn a_failure_spike_is_measured_against_the_events_baseline() {
    let mut w = Watcher::new(
        Rules::none().failure_spike(4.0, MIN).failure_spike_min(10),
        Duration::from_secs(3600),
    );
    let t0 = Instant::now();
    let fail = line(
        "orders.create",
        "failure",
        "shop::orders::create",
        1_000,
        "",
    );
    // Five windows of 6 failures: the baseline.
    for win in 0..5u64 {
        for i in 0..6 {
            w.observe(&fail, t0 + MIN * win as u32 + Duration::from_secs(i));
        }
    }
    assert!(w.take_alerts().is_empty());
    // 24 in a window is 4 × the baseline of about 6: not over it.
    let t1 = t0 + MIN * 5;
    for i in 0..24 {
        w.observe(&fail, t1 + Duration::from_millis(i));
    }
    assert!(w.take_alerts().is_empty());
    // The next window: 40 failures, over 4 × a baseline now near 10.
    let t2 = t0 + MIN * 6;
    for i in 0..60 {
        w.observe(&fail, t2 + Duration::from_millis(i));
    }
    let a = w.take_alerts();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].rule, "failure_spike");
    assert_eq!((a[0].key, a[0].value.as_str()), ("event", "orders.create"));
    assert!(a[0].count > 4 * 10 && a[0].count <= 60, "{}", a[0].count);
    assert!(a[0].baseline.unwrap() > 5.0);
}

#[test]
fn latency_drift_against_the_handlers_baseline_p95() {
    let mut w = Watcher::new(
        Rules::none().perf_drift(3.0).perf_drift_min_count(10),
        Duration::from_secs(60),
    );
    let t0 = Instant::now();
    let call = |ms: u64| {
        line(
            "report.export",
            "success",
            "shop::reports::export",
            ms * 1_000_000,
            "",
        )
    };
    for i in 0..20 {
        w.observe(&call(250 + i), t0);
    }
    w.summarise(t0 + MIN);
    // 2.5 × slower: under the factor.
    for i in 0..20 {
        w.observe(&call(600 + i), t0 + MIN);
    }
    w.summarise(t0 + MIN * 2);
    assert!(w.take_alerts().is_empty());
    // Too few calls to judge.
    for _ in 0..5 {
        w.observe(&call(2_500), t0 + MIN * 2);
    }
    w.summarise(t0 + MIN * 3);
    assert!(w.take_alerts().is_empty());
    for _ in 0..20 {
        w.observe(&call(2_500), t0 + MIN * 3);
    }
    w.summarise(t0 + MIN * 4);
    let a = w.take_alerts();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].rule, "perf_drift");
    assert_eq!(
        (a[0].key, a[0].value.as_str()),
        ("fn", "shop::reports::export")
    );
    assert_eq!(a[0].count, 20);
    let p95 = a[0].p95_ns.unwrap();
    assert!((2_450_000_000..=2_550_000_000).contains(&p95), "{p95}");
    let base = a[0].baseline_p95_ns.unwrap();
    assert!((250_000_000..=450_000_000).contains(&base), "{base}");
}

#[test]
fn rules_none_and_disable_switch_rules_off() {
    let t0 = Instant::now();
    for rules in [
        Rules::none(),
        Rules::default()
            .disable(Rule::BruteForce)
            .disable(Rule::CredentialStuffing)
            .disable(Rule::SuccessAfterFail)
            .disable(Rule::FailureSpike),
    ] {
        let mut w = Watcher::new(rules, Duration::from_secs(3600));
        for u in 0..500 {
            w.observe(&login_fail(&format!("u{}", u % 50), "203.0.113.1"), t0);
            w.observe(&login_ok(&format!("u{}", u % 50), "203.0.113.1"), t0);
        }
        assert!(w.take_alerts().is_empty());
    }
    // The defaults catch the same traffic; a failure spike needs a baseline, and a process
    // that has just started has none.
    let mut w = Watcher::new(Rules::default(), Duration::from_secs(3600));
    for u in 0..500 {
        w.observe(&login_fail(&format!("u{}", u % 50), "203.0.113.1"), t0);
    }
    let a = w.take_alerts();
    assert!(!alerts_of(&a, "brute_force").is_empty());
    assert_eq!(alerts_of(&a, "credential_stuffing").len(), 1);
    assert!(alerts_of(&a, "failure_spike").is_empty());
    let mut w = Watcher::new(
        Rules::default().baseline_windows(0),
        Duration::from_secs(3600),
    );
    for u in 0..500 {
        w.observe(&login_fail(&format!("u{}", u % 50), "203.0.113.1"), t0);
    }
    assert_eq!(alerts_of(&w.take_alerts(), "failure_spike").len(), 1);
}

/// A million failed logins, each from a new user and a new IP (100 a second for almost three
/// hours of simulated time); inside it one IP tries 200 users and one user is tried 50 times.
/// The watcher's memory stays under its cap, both are found, and no one-off key is reported.
#[test]
fn a_flood_of_distinct_keys_stays_bounded_and_the_heavy_hitters_are_found() {
    let mut w = Watcher::new(
        Rules::none()
            .brute_force(50, Duration::from_secs(600))
            .credential_stuffing(150, Duration::from_secs(600)),
        Duration::from_secs(3600),
    );
    let t0 = Instant::now();
    let cap = w.memory_cap();
    let before = w.memory_bytes();
    assert!(before <= cap, "{before} > {cap}");
    let mut alerts = Vec::new();
    let mut peak = before;
    for i in 0..1_000_000u32 {
        let now = t0 + Duration::from_millis(10 * u64::from(i));
        w.observe(
            &login_fail(
                &format!("user{i}"),
                &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
            ),
            now,
        );
        if (500_000..540_000).contains(&i) && i % 200 == 100 {
            // One attempt every 2 s for 400 s, each at another user, from one IP ...
            w.observe(
                &login_fail(&format!("victim{}", i / 200 % 200), "203.0.113.99"),
                now,
            );
        }
        if (200_000..210_000).contains(&i) && i % 200 == 7 {
            // ... and 50 attempts at one account, from as many addresses.
            w.observe(
                &login_fail("admin", &format!("192.0.2.{}", i / 200 % 250)),
                now,
            );
        }
        if i % 100_000 == 0 {
            peak = peak.max(w.memory_bytes());
            alerts.extend(w.take_alerts());
        }
    }
    alerts.extend(w.take_alerts());
    let after = w.memory_bytes();
    assert!(after <= cap && peak <= cap, "{after} / {peak} > {cap}");
    println!("memory {after} bytes (cap {cap}), alerts: {alerts:?}");
    let ips: Vec<&str> = alerts_of(&alerts, "credential_stuffing")
        .iter()
        .map(|a| a.value.as_str())
        .collect();
    assert_eq!(ips, ["203.0.113.99"], "{alerts:?}");
    let users: Vec<&str> = alerts_of(&alerts, "brute_force")
        .iter()
        .map(|a| a.value.as_str())
        .collect();
    assert_eq!(users, ["admin"], "{alerts:?}");
}

/// `orders.create` calls: `failed` of `calls` fail, spread over the minute from `at`.
fn orders(w: &mut Watcher, at: Instant, calls: u32, failed: u32) {
    let ok = line(
        "orders.create",
        "success",
        "shop::orders::create",
        1_000,
        "",
    );
    let fail = line(
        "orders.create",
        "failure",
        "shop::orders::create",
        1_000,
        "",
    );
    for i in 0..calls {
        // Failures spread evenly among the calls.
        let l = if (i + 1) * failed / calls > i * failed / calls {
            &fail
        } else {
            &ok
        };
        w.observe(l, at + MIN * i / calls);
    }
}

/// A watcher, and the instant its windows start from.
fn fresh(rules: Rules) -> (Watcher, Instant) {
    let w = Watcher::new(rules, Duration::from_secs(3600));
    (w, Instant::now())
}

#[test]
fn a_failure_spike_needs_an_established_baseline() {
    let rules = || Rules::none().failure_spike(5.0, MIN);
    // At start-up there is no baseline: 200 failures in the first window are not a spike.
    let (mut w, t0) = fresh(rules());
    orders(&mut w, t0, 1000, 200);
    orders(&mut w, t0 + MIN, 1000, 200);
    assert!(w.take_alerts().is_empty());
    // The third window has two full windows of baseline behind it: a spike there alerts.
    orders(&mut w, t0 + MIN * 2, 1000, 20);
    orders(&mut w, t0 + MIN * 3, 1000, 20);
    orders(&mut w, t0 + MIN * 4, 1000, 20);
    assert!(w.take_alerts().is_empty());
    // The start-up's failures are in that baseline: five times it is over 400 now.
    orders(&mut w, t0 + MIN * 5, 1000, 600);
    assert_eq!(alerts_of(&w.take_alerts(), "failure_spike").len(), 1);

    // One window of baseline is short of two.
    let (mut w, t0) = fresh(rules());
    orders(&mut w, t0, 1000, 20);
    orders(&mut w, t0 + MIN, 1000, 300);
    assert!(w.take_alerts().is_empty());
    // A handler first called late in a window: that window is partial, not a baseline.
    let (mut w, t0) = fresh(rules());
    w.observe(&line("x", "success", "shop::x", 1, ""), t0);
    orders(&mut w, t0 + MIN / 2, 500, 10);
    orders(&mut w, t0 + MIN, 1000, 20);
    orders(&mut w, t0 + MIN * 2, 1000, 300);
    assert!(w.take_alerts().is_empty());
    orders(&mut w, t0 + MIN * 3, 1000, 800);
    assert_eq!(alerts_of(&w.take_alerts(), "failure_spike").len(), 1);
}

#[test]
fn a_surge_whose_failures_grow_in_proportion_is_not_a_spike() {
    let baseline = |w: &mut Watcher, t0: Instant| {
        for k in 0..4 {
            orders(w, t0 + MIN * k, 1000, 15);
        }
    };
    // Five times the calls and five times the failures (1.5 % throughout): the counts pass
    // the factor, the odds of failing do not.
    let (mut w, t0) = fresh(Rules::none().failure_spike(4.0, MIN));
    baseline(&mut w, t0);
    orders(&mut w, t0 + MIN * 4, 5000, 75);
    assert!(w.take_alerts().is_empty());
    // Twice the odds is the default's edge: 1.5 % → 2.9 % of 5000 is short of it ...
    let (mut w, t0) = fresh(Rules::none().failure_spike(4.0, MIN));
    baseline(&mut w, t0);
    orders(&mut w, t0 + MIN * 4, 5000, 145);
    assert!(w.take_alerts().is_empty());
    // ... and 3.2 % is past it.
    let (mut w, t0) = fresh(Rules::none().failure_spike(4.0, MIN));
    baseline(&mut w, t0);
    orders(&mut w, t0 + MIN * 4, 5000, 160);
    let a = w.take_alerts();
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(
        a[0].rate.unwrap() > 2.0 * a[0].baseline_rate.unwrap(),
        "{a:?}"
    );
    // Counted as the window went: 1.5 % of the calls so far, at the failure that alerted.
    assert!(a[0].calls.unwrap() > 25 * a[0].count, "{a:?}");
    // A handler that only ever fails is judged by its counts.
    let (mut w, t0) = fresh(Rules::none().failure_spike(4.0, MIN));
    for k in 0..3 {
        orders(&mut w, t0 + MIN * k, 15, 15);
    }
    orders(&mut w, t0 + MIN * 3, 61, 61);
    assert_eq!(alerts_of(&w.take_alerts(), "failure_spike").len(), 1);
}

#[test]
fn one_slow_call_is_not_a_latency_drift() {
    let call = |ms: u64| {
        line(
            "report.export",
            "success",
            "shop::reports::export",
            ms * 1_000_000,
            "",
        )
    };
    let interval = |w: &mut Watcher, k: u32, slow: u32| {
        let at = Instant::now() + MIN * k;
        for i in 0..40 {
            w.observe(
                &call(if i < slow { 900 } else { 10 + u64::from(i % 5) }),
                at,
            );
        }
        w.summarise(at + MIN);
    };
    let rules = || Rules::none().perf_drift(3.0);
    // The first interval holds a cold start's slow call; the baseline is not yet established.
    let mut w = Watcher::new(rules(), Duration::from_secs(60));
    interval(&mut w, 0, 0);
    interval(&mut w, 1, 3);
    assert!(
        w.take_alerts().is_empty(),
        "one interval is short of the warm-up"
    );
    interval(&mut w, 2, 0);
    // Two slow calls of 40 put the p95 over three times the baseline, but are two calls.
    interval(&mut w, 3, 2);
    assert!(w.take_alerts().is_empty());
    // Three are a drift.
    interval(&mut w, 4, 3);
    let a = w.take_alerts();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!((a[0].rule, a[0].calls), ("perf_drift", Some(3)));
}

#[test]
fn success_after_failures_by_default_needs_three() {
    let mut w = Watcher::new(Rules::default(), Duration::from_secs(3600));
    let t0 = Instant::now();
    // A mistyped password, twice, then the right one: ordinary.
    for s in 0..2 {
        w.observe(
            &login_fail("erin", "192.0.2.9"),
            t0 + Duration::from_secs(s),
        );
    }
    w.observe(&login_ok("erin", "192.0.2.9"), t0 + Duration::from_secs(3));
    assert!(w.take_alerts().is_empty());
    for s in 0..3 {
        w.observe(
            &login_fail("erin", "192.0.2.9"),
            t0 + Duration::from_secs(10 + s),
        );
    }
    w.observe(&login_ok("erin", "192.0.2.9"), t0 + Duration::from_secs(20));
    let a = w.take_alerts();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!((a[0].rule, a[0].count), ("success_after_fail", 3));
}
