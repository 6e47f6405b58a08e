//! Throughput with the integrity chain on:
//!
//! - `file_chain_2_producers`: two threads call a `#[security_logged]` handler as fast as they
//!   can; the background writer seals every record into the HMAC chain and appends it to
//!   tamper-evident files (`sink::File`, default fsync policy). One iteration is one record,
//!   timed from the first call until `seclog::flush()` returns: what is sustained, not what
//!   fits in the queue.
//! - `verify`: `seclog verify`'s check of a file sink's directory (`integrity::verify_archive`
//!   with `ArchiveOptions::file_sink()`) over a log of 200,000 records; one iteration is one
//!   record.
//!
//! A configuration is installed once per process, so these run in their own bench binary.
//! Run: `cargo bench --bench throughput`. Results: BENCHMARKS.md.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seclog::delivery::{Backpressure, Fallback};
use seclog::integrity::{ArchiveOptions, ChainKey, Keys, Source, log_files, verify_archive};
use seclog::sink::File;

#[derive(Debug, Clone, seclog::Redact)]
pub struct Receipt {
    order_id: u64,
    total_cents: u64,
    status: &'static str,
}

#[inline(never)]
#[seclog::security_logged(event = "order.place")]
fn place_order(user: &str, qty: u32) -> Receipt {
    Receipt {
        order_id: 1_000 + user.len() as u64,
        total_cents: u64::from(qty) * 1999,
        status: "accepted",
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seclog-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn throughput(c: &mut Criterion) {
    let key = ChainKey::from_bytes([7; 32]);
    let dir = temp_dir("e2e");
    let sink = File::builder(&dir, key.clone())
        .max_bytes(64 << 20)
        .open()
        .expect("a log directory");
    // Producers wait for room rather than fall back: the figure is what the writer sustains.
    let guard = seclog::builder()
        .sink(sink)
        .backpressure(Backpressure::Block {
            max_wait: Duration::from_secs(30),
            fallback: Fallback::Stderr,
        })
        .install()
        .expect("installed once");

    let mut g = c.benchmark_group("throughput");
    g.throughput(Throughput::Elements(1));
    g.bench_function("file_chain_2_producers", |b| {
        b.iter_custom(|records| {
            let per_thread = records.div_ceil(2);
            let start = Instant::now();
            std::thread::scope(|s| {
                for t in 0..2 {
                    s.spawn(move || {
                        let user = if t == 0 { "alice" } else { "bob" };
                        for i in 0..per_thread {
                            black_box(place_order(black_box(user), (i % 7) as u32));
                        }
                    });
                }
            });
            assert!(seclog::flush(), "the writer keeps up");
            start.elapsed()
        })
    });
    let stats = seclog::delivery::stats();
    assert_eq!((stats.dropped, stats.fallback), (0, 0), "{stats:?}");
    drop(guard);
    let _ = std::fs::remove_dir_all(&dir);

    // A log of known size for the verifier.
    const RECORDS: u64 = 200_000;
    let dir = temp_dir("verify");
    let sink = File::builder(&dir, key.clone())
        .max_bytes(16 << 20)
        .open()
        .expect("a log directory");
    for start in (1..=RECORDS).step_by(1000) {
        // Records as the pipeline writes them (`ts` first), each with its own seq.
        let batch: String = (start..start + 1000)
            .map(|seq| {
                format!(
                    r#"{{"ts":"2026-12-03T10:00:00.{seq:09}Z","seq":{seq},"event":"order.place","level":"INFO","outcome":"success","duration_ns":1200,"where":{{"service":"shop","version":"1.4.0","host":"web-1","pid":4100,"fn":"shop::place_order","file":"src/orders.rs","line":42}},"who":{{"user":"alice"}},"inputs":{{"user":"alice","qty":3}},"output":{{"order_id":{seq},"total_cents":2997,"status":"placed"}}}}"#
                ) + "\n"
            })
            .collect();
        seclog::Sink::write_batch(&sink, batch.as_bytes(), &mut 0).expect("written");
    }
    seclog::Sink::flush(&sink).expect("flushed");
    drop(sink);
    let sources: Vec<Source> = log_files(&dir)
        .expect("the log files")
        .iter()
        .map(|f| Source::read(f).expect("readable"))
        .collect();
    let keys = Keys::new().with_symmetric(key);

    g.throughput(Throughput::Elements(RECORDS));
    g.sample_size(10);
    g.bench_function("verify", |b| {
        b.iter(|| {
            let report = verify_archive(&keys, &sources, ArchiveOptions::file_sink());
            assert!(report.verified(), "{report:?}");
            assert_eq!(report.chains[0].records, RECORDS + 1);
            report.chains[0].records
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10);
    targets = throughput
}
criterion_main!(benches);
