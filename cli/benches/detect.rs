//! `seclog detect` throughput: records per second through the reader, the merge in `ts` order
//! and the watcher's rules, on one core (`detect` is single-threaded), over 1,000,000
//! realistic records (~480 bytes) from 8 hosts generated here: logins from many users and
//! addresses (one in ten failing), orders, and every six minutes of record time a
//! credential-stuffing run and a brute force, so that the rules fire now and then (and, with
//! so many users mistyping at random, `success_after_fail` a few dozen times).

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seclog_cli::detect::{self, Options};
use seclog_cli::input::Source;

const RECORDS: usize = 1_000_000;
const HOSTS: usize = 8;
/// Record time between two records of the fleet: 1 M records over an hour.
const STEP_NS: u64 = 3_600_000_000_000 / RECORDS as u64;

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn ts(ns: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns);
    humantime::format_rfc3339_nanos(t).to_string()
}

/// One login record, as `#[security_logged]` writes it.
fn login(ts: &str, seq: u64, host: usize, user: &str, ip: &str, ok: bool, d: u64) -> String {
    let (event, level, outcome) = if ok {
        ("authn_login_success", "INFO", "success")
    } else {
        ("authn_login_fail", "WARN", "failure")
    };
    let end = if ok {
        format!(r#""output":{}"#, seq % 9973)
    } else {
        r#""error":{"BadCredentials":null}"#.to_owned()
    };
    format!(
        r#"{{"ts":"{ts}","seq":{seq},"event":"{event}","level":"{level}","outcome":"{outcome}","duration_ns":{d},"where":{{"service":"shop","version":"1.4.2","host":"web-{host}","pid":{},"fn":"shop::auth::login","file":"src/auth.rs","line":17}},"who":{{"user":"{user}","ip":"{ip}","user_agent":"Mozilla/5.0 (X11; Linux x86_64)","request_id":"r-{host}-{seq}"}},"inputs":{{"req":{{"username":"{user}","password":"[REDACTED]"}}}},{end},"redacted":["inputs.req.password:full"]}}"#,
        3000 + host
    )
}

/// The fleet's records, each host's in its own file (in `ts` order, as a process writes
/// them); returns the files and the bytes written.
fn write_fleet(dir: &std::path::Path) -> (Vec<PathBuf>, u64) {
    let files: Vec<PathBuf> = (0..HOSTS)
        .map(|h| dir.join(format!("web-{h}.log")))
        .collect();
    let mut outs: Vec<_> = files
        .iter()
        .map(|p| std::io::BufWriter::new(std::fs::File::create(p).unwrap()))
        .collect();
    let mut seqs = [0u64; HOSTS];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let start = 1_796_000_000_000_000_000u64;
    let mut bytes = 0u64;
    for i in 0..RECORDS as u64 {
        let r = rng.next();
        let host = (r % HOSTS as u64) as usize;
        seqs[host] += 1;
        let seq = seqs[host];
        let at = ts(start + i * STEP_NS + r % 1000);
        let d = 20_000 + (r >> 32) % 400_000;
        let user = format!("user{}", (r >> 8) % 50_000);
        let ip = format!(
            "10.{}.{}.{}",
            (r >> 24) % 4,
            (r >> 32) % 250,
            (r >> 40) % 250
        );
        // Every 100,000 records (six minutes), an attack of 42 records in a row: 30 names
        // from one address, then 12 guesses at one account.
        let k = i % 100_000;
        let line = if k < 30 {
            let ip = format!("203.0.113.{}", i / 100_000);
            login(&at, seq, host, &format!("leaked{k}"), &ip, false, d)
        } else if k < 42 {
            let user = format!("victim{}", i / 100_000);
            let ip = format!("198.51.100.{k}");
            login(&at, seq, host, &user, &ip, false, d)
        } else {
            match r % 10 {
                0 => login(&at, seq, host, &user, &ip, false, d),
                1..=3 => login(&at, seq, host, &user, &ip, true, d),
                _ => format!(
                    r#"{{"ts":"{at}","seq":{seq},"event":"order.place","level":"INFO","outcome":"success","duration_ns":{d},"where":{{"service":"shop","version":"1.4.2","host":"web-{host}","pid":{},"fn":"shop::orders::place","file":"src/orders.rs","line":42}},"who":{{"user":"{user}","tenant":"acme","ip":"{ip}","request_id":"r-{host}-{seq}"}},"inputs":{{"sku":"SKU-{:x}","qty":{},"note":"gift wrap"}},"output":{{"order_id":{seq},"total_cents":{}}}}}"#,
                    3000 + host,
                    r >> 20,
                    r % 7 + 1,
                    r % 100_000
                ),
            }
        };
        bytes += line.len() as u64 + 1;
        writeln!(outs[host], "{line}").unwrap();
    }
    for o in &mut outs {
        o.flush().unwrap();
    }
    (files, bytes)
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("seclog-bench-detect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (files, bytes) = write_fleet(&dir);
    let sources: Vec<Source> = files.iter().cloned().map(Source::File).collect();
    let options = Options::default();
    let run = || {
        let mut alerts = 0u64;
        let s = detect::detect(&sources, &options, |_| alerts += 1).unwrap();
        black_box((s, alerts))
    };
    let mut found = Vec::new();
    let s = detect::detect(&sources, &options, |a| {
        found.push((a.rule, a.value.clone()))
    })
    .unwrap();
    eprintln!(
        "detect bench: {RECORDS} records, {:.0} bytes each on average, {HOSTS} files; {}",
        bytes as f64 / RECORDS as f64,
        detect::summary_line(&s)
    );
    let mut by_rule = std::collections::BTreeMap::new();
    for (rule, _) in &found {
        *by_rule.entry(*rule).or_insert(0u32) += 1;
    }
    eprintln!("detect bench: alerts by rule {by_rule:?}");
    assert_eq!(s.records, RECORDS as u64);
    assert_eq!((s.not_records, s.late, s.hosts), (0, 0, HOSTS));
    // Every attack raises its two alerts.
    for n in 0..RECORDS / 100_000 {
        for (rule, value) in [
            ("credential_stuffing", format!("203.0.113.{n}")),
            ("brute_force", format!("victim{n}")),
        ] {
            assert!(
                found.iter().any(|(r, v)| *r == rule && *v == value),
                "{rule} {value}: {found:?}"
            );
        }
    }

    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Elements(RECORDS as u64));
    // About a second a run: ten samples keep the whole bench within a minute.
    g.sample_size(10);
    g.warm_up_time(std::time::Duration::from_secs(1));
    g.measurement_time(std::time::Duration::from_secs(10));
    // The thread's CPU time: what one core spends, which stays meaningful on a machine
    // shared with other work (the wall clock then also counts time spent descheduled).
    g.bench_function("8_hosts_cpu", |b| {
        b.iter_custom(|iters| {
            let start = cpu_time::ThreadTime::now();
            for _ in 0..iters {
                run();
            }
            start.elapsed()
        })
    });
    // Wall-clock time: what a user waits for on an idle machine (files in the page cache).
    g.bench_function("8_hosts_wall", |b| b.iter(run));
    g.finish();
    std::fs::remove_dir_all(&dir).unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
