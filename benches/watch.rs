//! The watcher's work per record on the writer thread, on batches of 1000 realistic records:
//! handlers' records (some with a budget), failed logins from distinct users and IPs, and a
//! mix. `*_default_rules` is what the writer does: `Watcher::observe_records` with the facts
//! each record is handed over with; `*_parsed` reads the same records from their bytes alone
//! (`Watcher::observe_batch`), as for lines that come without facts. Throughput is per record.
//!
//! Run: `cargo bench --bench watch`. Results: BENCHMARKS.md ("Watcher").

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seclog::__private::{Callsite, CallsiteMeta, Facts, Level, Outcome};
use seclog::watch::{Rules, Watcher};

macro_rules! callsite {
    ($fn_path:expr, $events:expr) => {
        Callsite::new(CallsiteMeta {
            fn_path: $fn_path,
            file: "src/x.rs",
            line: 1,
            events: $events,
            levels: [Level::Info, Level::Warn, Level::Error, Level::Warn],
            mandatory: false,
        })
    };
}

static LOGIN: Callsite = callsite!(
    "shop::auth::login",
    [
        "authn_login_success",
        "authn_login_fail",
        "authn_login_fail",
        "authn_login_fail"
    ]
);
static EXPORT: Callsite =
    callsite!("shop::reports::export", ["report.export"; 4]).with_budget_ns(250_000_000);
static CREATE: [Callsite; 8] = [
    callsite!("shop::orders::create_0", ["orders.create"; 4]),
    callsite!("shop::orders::create_1", ["orders.create"; 4]),
    callsite!("shop::orders::create_2", ["orders.create"; 4]),
    callsite!("shop::orders::create_3", ["orders.create"; 4]),
    callsite!("shop::orders::create_4", ["orders.create"; 4]),
    callsite!("shop::orders::create_5", ["orders.create"; 4]),
    callsite!("shop::orders::create_6", ["orders.create"; 4]),
    callsite!("shop::orders::create_7", ["orders.create"; 4]),
];

/// The facts the record of `record(i)` is handed over with.
fn facts(i: u32, len: usize) -> Facts {
    let (callsite, outcome, duration_ns) = match i % 4 {
        0 => (&LOGIN, Outcome::Failure, 52_311),
        1 => (
            &EXPORT,
            Outcome::Success,
            1_000_000 + u64::from(i * 37 % 9_000_000),
        ),
        _ => (
            &CREATE[(i % 8) as usize],
            Outcome::Success,
            40_000 + u64::from(i % 5_000),
        ),
    };
    Facts {
        duration_ns,
        len: u32::try_from(len).unwrap(),
        site: callsite.id(),
        outcome,
        over_budget: false,
    }
}

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

/// A batch of 1000 records and their facts.
fn batch_of(pick: impl Fn(u32) -> u32) -> (Vec<u8>, Vec<Facts>) {
    let mut batch = Vec::new();
    let mut all = Vec::new();
    for i in 0..1000u32 {
        let mut l = record(pick(i)).into_bytes();
        l.push(b'\n');
        all.push(facts(pick(i), l.len()));
        batch.extend_from_slice(&l);
    }
    (batch, all)
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
    for (name, (batch, facts)) in &batches {
        let mut w = Watcher::new(Rules::default(), Duration::from_secs(3600));
        g.bench_function(format!("{name}_default_rules"), |b| {
            b.iter(|| w.observe_records(black_box(batch), black_box(facts), now));
        });
    }
    let (batch, facts) = &batches[0].1;
    let mut w = Watcher::new(Rules::none(), Duration::from_secs(3600));
    g.bench_function("handlers_no_rules", |b| {
        b.iter(|| w.observe_records(black_box(batch), black_box(facts), now));
    });
    for (name, (batch, _)) in &batches {
        let mut w = Watcher::new(Rules::default(), Duration::from_secs(3600));
        g.bench_function(format!("{name}_parsed"), |b| {
            b.iter(|| w.observe_batch(black_box(batch), now));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
