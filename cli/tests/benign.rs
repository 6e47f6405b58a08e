//! A benign fleet raises no alert, in process or from `seclog detect`.
//!
//! Fifty minutes of a shop's traffic over 20 process starts (each instance lives eight
//! minutes, four or five at a time, as Lambda instances come and go): `orders.create` declines
//! 1–2 % of calls, steadily; traffic surges fivefold for ten minutes and its failures grow with
//! it; logins fail at ordinary rates for many users from many addresses (a user mistypes a
//! password once or twice and then logs in); and every instance's first call is slow. Each
//! instance's records go through the in-process watcher with the default rules (on a simulated
//! clock), and all of them through `seclog detect`. Neither may alert.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use seclog::watch::{Alert, Rules, Watcher};

mod common;
use common::Rng;

const MINUTE: u64 = 60_000_000_000;
const INSTANCES: u64 = 20;
/// Each instance's life, and the gap between two starts.
const LIFE: u64 = 8 * MINUTE;
const START_EVERY: u64 = 2 * MINUTE + MINUTE / 2;
/// Requests a second per instance outside the surge.
const RATE: u64 = 14;
/// The surge: five times the traffic from minute 25 to 35.
const SURGE: (u64, u64, u64) = (25 * MINUTE, 35 * MINUTE, 5);

struct Instance {
    host: String,
    pid: u64,
    seq: u64,
    out: String,
}

impl Instance {
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        t: u64,
        event: &str,
        level: &str,
        outcome: &str,
        duration_ns: u64,
        func: &str,
        who: &str,
    ) -> String {
        self.seq += 1;
        let ts = humantime::format_rfc3339_nanos(UNIX_EPOCH + Duration::from_nanos(t));
        let line = format!(
            r#"{{"ts":"{ts}","seq":{seq},"event":"{event}","level":"{level}","outcome":"{outcome}","duration_ns":{duration_ns},"where":{{"service":"shop","version":"1.4.0","host":"{host}","pid":{pid},"fn":"{func}","file":"src/lib.rs","line":10}}{who}}}"#,
            seq = self.seq,
            host = self.host,
            pid = self.pid,
        );
        self.out.push_str(&line);
        self.out.push('\n');
        line
    }

    /// A login of user `m<user>` from the user's own address, failed or not.
    fn login(&mut self, t: u64, user: u64, ok: bool) -> String {
        let ip = format!(
            "{}.{}.{}.{}",
            20 + user % 180,
            user % 251,
            user % 241,
            1 + user % 250
        );
        let who = format!(r#","who":{{"user":"m{user}","ip":"{ip}"}}"#);
        let (event, level, outcome) = if ok {
            ("authn_login_success", "INFO", "success")
        } else {
            ("authn_login_fail", "WARN", "failure")
        };
        self.record(t, event, level, outcome, 40_000, "shop::auth::login", &who)
    }
}

/// The fleet's records, per instance, each with the wall-clock nanoseconds it was written at.
fn fleet() -> Vec<(Instance, Vec<(u64, String)>)> {
    let t0 = 1_796_000_000 * 1_000_000_000u64;
    let mut rng = Rng(0x5ec1_0900_dead_beef);
    let mut out = Vec::new();
    for i in 0..INSTANCES {
        let start = i * START_EVERY;
        let mut inst = Instance {
            host: format!("ip-10-0-{}-{}", i / 8, 10 + i),
            pid: 8 + i,
            seq: 0,
            out: String::new(),
        };
        let mut lines = Vec::new();
        // A user who has mistyped a password, and when they will try again.
        let mut retry: Vec<(u64, u64, u32)> = Vec::new();
        let mut t = start;
        let mut first = true;
        while t < start + LIFE {
            let surge = if (SURGE.0..SURGE.1).contains(&t) {
                SURGE.2
            } else {
                1
            };
            t += (1_000_000_000 / (RATE * surge)) / 2 + rng.below(1_000_000_000 / (RATE * surge));
            let at = t0 + t;
            // Orders: 1.5 % declined on average, the first call after start-up slow.
            let duration = if std::mem::take(&mut first) {
                180_000_000
            } else {
                800_000 + rng.below(2_400_000)
            };
            let ok = rng.below(1000) >= 15;
            let user = rng.below(20_000);
            let who = format!(
                r#","who":{{"user":"u{user}","ip":"10.1.{}.{}"}}"#,
                user % 200,
                user % 250
            );
            let (event, level, outcome) = if ok {
                ("orders.create", "INFO", "success")
            } else {
                ("orders.create", "WARN", "failure")
            };
            let l = inst.record(
                at,
                event,
                level,
                outcome,
                duration,
                "shop::orders::create",
                &who,
            );
            lines.push((at, l));
            // One request in ten is a login; one login in fifty fails for a mistyped password,
            // and the user tries again a little later (failing once more one time in five).
            if rng.below(10) == 0 {
                let user = rng.below(50_000);
                let failed = rng.below(50) == 0;
                lines.push((at, inst.login(at, user, !failed)));
                if failed {
                    retry.push((at + 5_000_000_000 + rng.below(20_000_000_000), user, 1));
                }
            }
            retry.sort_unstable();
            while let Some(&(when, user, tries)) = retry.first() {
                if when > at {
                    break;
                }
                retry.remove(0);
                let failed = tries == 1 && rng.below(5) == 0;
                lines.push((when, inst.login(when, user, !failed)));
                if failed {
                    retry.push((when + 10_000_000_000, user, 2));
                }
            }
        }
        out.push((inst, lines));
    }
    out
}

/// The in-process watcher of one instance, with the default rules, on the records' clock.
fn in_process(lines: &[(u64, String)]) -> Vec<Alert> {
    let mut w = Watcher::new(Rules::default(), Duration::from_secs(60));
    let base = Instant::now();
    let t0 = lines[0].0;
    let mut alerts = Vec::new();
    for (t, line) in lines {
        let now = base + Duration::from_nanos(t - t0);
        w.tick(now);
        w.observe(line.as_bytes(), now);
        alerts.extend(w.take_alerts());
    }
    w.summarise(base + Duration::from_nanos(lines.last().unwrap().0 - t0));
    alerts.extend(w.take_alerts());
    alerts
}

fn detect(dir: &Path, extra: &[&str]) -> (Vec<serde_json::Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_seclog"))
        .arg("detect")
        .arg("--json")
        .args(extra)
        .arg(dir)
        .env_remove("SECLOG_OUTPUT")
        .env_remove("SECLOG_FORMAT")
        .env_remove("SECLOG_SEAL_TO")
        .env_remove("SECLOG_KEY_FILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (alerts, String::from_utf8(out.stderr).unwrap())
}

#[test]
fn a_benign_fleet_raises_no_alert_in_process_or_from_detect() {
    let fleet = fleet();
    let dir = std::env::temp_dir().join(format!("seclog-benign-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut records = 0;
    let mut failures = 0;
    for (inst, lines) in &fleet {
        let alerts = in_process(lines);
        assert!(alerts.is_empty(), "{}: {alerts:#?}", inst.host);
        records += lines.len();
        failures += lines
            .iter()
            .filter(|(_, l)| l.contains(r#""outcome":"failure""#))
            .count();
        std::fs::write(dir.join(format!("{}.log", inst.host)), &inst.out).unwrap();
    }
    // The workload is what it says: a steady 1–2 % of orders and the surge's five times.
    let orders = |from: u64, to: u64| -> (usize, usize) {
        let t0 = 1_796_000_000 * 1_000_000_000u64;
        let mut n = (0, 0);
        for (_, lines) in &fleet {
            for (t, l) in lines {
                if (t0 + from..t0 + to).contains(t) && l.contains("orders.create") {
                    n.0 += 1;
                    n.1 += usize::from(l.contains(r#""outcome":"failure""#));
                }
            }
        }
        n
    };
    let (calm, calm_failed) = orders(10 * MINUTE, 20 * MINUTE);
    let (surge, surge_failed) = orders(SURGE.0, SURGE.1);
    assert!(
        (4.0..6.0).contains(&(surge as f64 / calm as f64)),
        "{calm} {surge}"
    );
    for (n, f) in [(calm, calm_failed), (surge, surge_failed)] {
        let rate = f as f64 / n as f64;
        assert!((0.01..=0.02).contains(&rate), "{f} of {n}");
    }
    // In its first five minutes each instance alone fails more orders than a spike's
    // minimum (50): judged without a baseline, every start would have alerted.
    for (inst, lines) in &fleet {
        let first = lines[0].0;
        let failed = lines
            .iter()
            .filter(|(t, l)| *t < first + 5 * MINUTE && l.contains(r#""outcome":"failure""#))
            .filter(|(_, l)| l.contains("orders.create"))
            .count();
        assert!(failed >= 50, "{}: {failed}", inst.host);
    }

    let (alerts, summary) = detect(&dir, &[]);
    assert!(alerts.is_empty(), "{alerts:#?}");
    assert!(
        summary.contains(&format!("0 alerts in {records} records from 20 hosts")),
        "{summary}"
    );
    assert!(failures > 1000, "{failures}");

    // The same fleet with an outage on top: every order fails for a minute, on every instance.
    // Against the established baseline that is a spike, and `detect` says so once.
    let t0 = 1_796_000_000 * 1_000_000_000u64;
    let outage = 40 * MINUTE..41 * MINUTE;
    for (inst, lines) in &fleet {
        let text: String = lines
            .iter()
            .map(|(t, l)| {
                let l = if outage.contains(&(t - t0)) && l.contains("orders.create") {
                    l.replace(
                        r#""level":"INFO","outcome":"success""#,
                        r#""level":"WARN","outcome":"failure""#,
                    )
                } else {
                    l.clone()
                };
                l + "\n"
            })
            .collect();
        std::fs::write(dir.join(format!("{}.log", inst.host)), text).unwrap();
    }
    let (alerts, _) = detect(&dir, &[]);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["fields"]["rule"], "failure_spike");
    assert_eq!(alerts[0]["fields"]["event"], "orders.create");
    let at = humantime::parse_rfc3339(alerts[0]["fields"]["last_seen"].as_str().unwrap()).unwrap();
    let at = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        - t0;
    assert!(outage.contains(&at), "{}", alerts[0]);
    std::fs::remove_dir_all(&dir).unwrap();
}
