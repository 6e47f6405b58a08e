//! The watcher's work per record on the writer thread: `Watcher::observe_batch` on batches of
//! 1000 realistic record lines, as the writer hands them over: handlers' records (some with a
//! budget), failed logins from distinct users and IPs, and a mix. Throughput is per record.
//!
//! Run: `cargo bench --bench watch`. Results: BENCHMARKS.md ("Watcher").

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seclog::watch::{Rules, Watcher};

fn record(i: u32) -> String {
    match i % 4 {
        // A failed login from a new user and IP: parses `who`, touches both sketches.
        0 => format!(
            r#"{{"ts":"2026-11-22T12:00:00.000000123Z","seq":{i},"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":52311,"where":{{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::auth::login","file":"src/auth.rs","line":17}},"who":{{"user":"user{i}","ip":"10.0.{}.{}","user_agent":"curl/8.5.0","request_id":"r-91"}},"inputs":{{"req":{{"username":"user{i}","password":"[REDACTED]"}}}},"error":{{"BadCredentials":null}}}}"#,
            (i >> 8) & 255,
            i & 255
        ),
        // A budgeted handler.
        1 => format!(
            r#"{{"ts":"2026-11-22T12:00:00.000000123Z","seq":{i},"event":"report.export","level":"INFO","outcome":"success","duration_ns":{},"budget_ns":250000000,"over_budget":false,"where":{{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::reports::export","file":"src/reports.rs","line":40}},"who":{{"user":"alice","tenant":"acme","ip":"203.0.113.7"}},"inputs":{{"id":42,"format":"csv"}},"output":{{"rows":1200}}}}"#,
            1_000_000 + i * 37 % 9_000_000
        ),
        // Ordinary handlers.
        _ => format!(
            r#"{{"ts":"2026-11-22T12:00:00.000000123Z","seq":{i},"event":"orders.create","level":"INFO","outcome":"success","duration_ns":{},"where":{{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::orders::create_{}","file":"src/orders.rs","line":88}},"who":{{"user":"bob","ip":"198.51.100.4"}},"inputs":{{"sku":"A-1","qty":2}},"output":{{"order_id":1042,"total_cents":3998,"status":"accepted"}}}}"#,
            40_000 + i % 5_000,
            i % 8
        ),
    }
}

fn batch_of(pick: impl Fn(u32) -> u32) -> Vec<u8> {
    (0..1000u32)
        .flat_map(|i| {
            let mut l = record(pick(i)).into_bytes();
            l.push(b'\n');
            l
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let batches = [
        // Handlers' records: two in three without a budget, one with.
        (
            "handlers",
            batch_of(|i| if i % 3 == 0 { 4 * i + 1 } else { 4 * i + 2 }),
        ),
        // Failed logins, each from a new user and IP: the rules' heaviest path.
        ("failed_logins", batch_of(|i| 4 * i)),
        // One in four a failed login.
        ("mix", batch_of(|i| i)),
    ];
    let mut g = c.benchmark_group("watch");
    g.throughput(Throughput::Elements(1000));
    g.measurement_time(Duration::from_secs(4));
    let now = Instant::now();
    for (name, batch) in &batches {
        let mut w = Watcher::new(Rules::default(), Duration::from_secs(3600));
        g.bench_function(format!("{name}_default_rules"), |b| {
            b.iter(|| w.observe_batch(black_box(batch), now));
        });
    }
    let mut w = Watcher::new(Rules::none(), Duration::from_secs(3600));
    g.bench_function("handlers_no_rules", |b| {
        b.iter(|| w.observe_batch(black_box(&batches[0].1), now));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
