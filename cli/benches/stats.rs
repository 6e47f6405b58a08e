//! `seclog stats` throughput: records per second through the line splitter, the parser and
//! the totals, on one core, over realistic records (~350–500 bytes) generated here.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seclog_cli::input;
use seclog_cli::stats::{Options, Stats};

/// `n` records shaped as `#[security_logged]` writes them: logins (some failing, from a
/// few hundred IPs), orders with inputs and outputs, a budgeted export, the odd alert.
fn records(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 450);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seq in 0..n {
        let r = rnd();
        let (s, ns) = (seq / 1000, (r % 1_000_000_000) as u32);
        let ts = format!(
            "2026-11-22T{:02}:{:02}:{:02}.{ns:09}Z",
            (s / 3600) % 24,
            (s / 60) % 60,
            s % 60
        );
        let ip = format!("203.0.{}.{}", (r >> 8) % 4, (r >> 16) % 200);
        let user = format!("user{}", (r >> 24) % 5000);
        let d = 20_000 + (r >> 32) % 400_000;
        let line = match r % 20 {
            0..=3 => format!(
                r#"{{"ts":"{ts}","seq":{seq},"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":{d},"where":{{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::auth::login","file":"src/auth.rs","line":17}},"who":{{"user":"{user}","ip":"{ip}","user_agent":"curl/8.5.0","request_id":"r-{seq}"}},"inputs":{{"req":{{"username":"{user}","password":"[REDACTED]"}}}},"error":{{"BadCredentials":null}}}}"#
            ),
            4..=7 => format!(
                r#"{{"ts":"{ts}","seq":{seq},"event":"authn_login_success","level":"INFO","outcome":"success","duration_ns":{d},"where":{{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::auth::login","file":"src/auth.rs","line":17}},"who":{{"user":"{user}","ip":"{ip}","user_agent":"Mozilla/5.0 (X11; Linux x86_64)","request_id":"r-{seq}"}},"inputs":{{"req":{{"username":"{user}","password":"[REDACTED]"}}}},"output":{seq}}}"#
            ),
            8..=16 => format!(
                r#"{{"ts":"{ts}","seq":{seq},"event":"order.place","level":"INFO","outcome":"success","duration_ns":{d},"where":{{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::orders::place","file":"src/orders.rs","line":42}},"who":{{"user":"{user}","tenant":"acme","ip":"{ip}","request_id":"r-{seq}"}},"inputs":{{"sku":"SKU-{r:x}","qty":{},"note":"gift wrap"}},"output":{{"order_id":{seq},"total_cents":{}}}}}"#,
                r % 7 + 1,
                r % 100_000
            ),
            17..=18 => format!(
                r#"{{"ts":"{ts}","seq":{seq},"event":"reports.export","level":"WARN","outcome":"success","duration_ns":{},"budget_ns":250000000,"over_budget":true,"where":{{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::reports::export","file":"src/reports.rs","line":9}},"who":{{"user":"{user}","tenant":"acme","ip":"{ip}"}},"usage":"reports.export","units":3,"inputs":{{"format":"pdf","rows":[1,2,3]}},"output":null}}"#,
                d * 1000
            ),
            _ => format!(
                r#"{{"ts":"{ts}","seq":{seq},"event":"seclog.alert","level":"WARN","outcome":"success","where":{{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"seclog::watch","file":"src/watch.rs","line":1}},"fields":{{"rule":"credential_stuffing","ip":"{ip}","count":25,"window_s":60,"first_seen":"{ts}"}}}}"#
            ),
        };
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

fn bench(c: &mut Criterion) {
    let n = 200_000;
    let data = records(n);
    let mut g = c.benchmark_group("stats");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(20);
    eprintln!(
        "stats bench: {n} records, {:.0} bytes per record on average",
        data.len() as f64 / n as f64
    );
    let run = || {
        let mut stats = Stats::new(Options {
            top: 10,
            ..Options::default()
        });
        input::lines(&data[..], input::BLOCK, |line, number| {
            stats.add_line(line, 0, number)
        })
        .unwrap();
        black_box(stats.summary())
    };
    // Wall-clock time: what a user waits for on an idle machine.
    g.bench_function("records_wall", |b| b.iter(run));
    // The thread's CPU time: what one core spends, which stays meaningful on a machine
    // shared with other work (the wall clock then also counts time spent descheduled).
    g.bench_function("records_cpu", |b| {
        b.iter_custom(|iters| {
            let start = cpu_time::ThreadTime::now();
            for _ in 0..iters {
                run();
            }
            start.elapsed()
        })
    });
    fn cpu<'f>(f: &'f dyn Fn()) -> impl FnMut(&mut criterion::Bencher) + 'f {
        move |b: &mut criterion::Bencher| {
            b.iter_custom(|iters| {
                let start = cpu_time::ThreadTime::now();
                for _ in 0..iters {
                    f();
                }
                start.elapsed()
            })
        }
    }
    g.bench_function(
        "split_utf8",
        cpu(&|| {
            let mut n = 0usize;
            input::lines(&data[..], input::BLOCK, |line, _| {
                n += std::str::from_utf8(line).map_or(0, |s| s.len())
            })
            .unwrap();
            black_box(n);
        }),
    );
    g.bench_function(
        "scan_only",
        cpu(&|| {
            let mut n = 0usize;
            input::lines(&data[..], input::BLOCK, |line, _| {
                n += usize::from(
                    seclog_cli::fast::scan(line, &mut Default::default())
                        == seclog_cli::fast::Scan::Done,
                )
            })
            .unwrap();
            black_box(n);
        }),
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
