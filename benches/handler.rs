//! The caller-thread cost of logging one call of a 2-argument handler returning a struct,
//! side by side in one run:
//!
//! - `plain`: the handler, no logging;
//! - `seclog`: `#[security_logged]`: the record is encoded and handed to the background
//!   writer, which writes it to a discarding sink on its own thread;
//! - `seclog_paced`: `seclog` in bursts of 256 calls, the writer caught up between them
//!   (untimed): the caller's own cost while the writer keeps up;
//! - `seclog_sealed`, `seclog_sealed_paced`: the same two with `Builder::seal(Seal::to(..))`:
//!   the writer thread seals every record into the process's chain. In a tight loop the
//!   caller waits for the writer once sealing makes it the slower (`seclog_sealed`); paced,
//!   the caller's cost is `seclog_paced`'s. A configuration is installed once per process, so
//!   these lines run in a child process of the bench (the same binary and arguments), between
//!   `seclog` and `tracing_instrument`;
//! - `seclog_disabled`: the same handler while the level filter is at `WARN` (the handler
//!   records at `INFO`): what a filtered-out call costs over `plain`;
//! - `plain_again`: `plain` measured again right after it, so that the two are compared
//!   seconds apart;
//! - `tracing_instrument`: `#[tracing::instrument(ret)]` with `tracing_subscriber`'s JSON
//!   formatter writing to `io::sink`;
//! - `floor`: the same record written by hand: `#[derive(Serialize)]` structs and
//!   `serde_json::to_writer` into a reused buffer, then to `io::sink`;
//! - `seclog_no_setup` / `floor_stdout`: with no set-up at all (the Lambda path), each record
//!   is written to standard output on the calling thread; `floor_stdout` writes the
//!   hand-written record to standard output per call. They run in a second child process,
//!   whose standard output is `/dev/null` (its criterion lines are printed by the parent);
//! - `seclog_nested`, `tracing_instrument_nested`, `floor_nested`: the same three for a
//!   handler taking a 100-byte free-text string (scanned) and a struct nesting two more;
//! - `seclog_strings_scanner_on` / `_off`: a handler taking typical strings (an e-mail
//!   address, a user agent), with the scanner (secrets and personal data) on and off: its
//!   cost. With it on, the e-mail address is masked.
//!
//! The writer thread watches every record (`seclog::watch`); `SECLOG_WATCH=off cargo bench
//! --bench handler` measures the same without the watcher, for the caller's cost of it.
//! `SECLOG_BENCH_READING_SINK=1` replaces the discarding sink with one that reads every byte
//! of each batch, as a file or socket sink does.
//!
//! Run: `cargo bench --bench handler`. Results: BENCHMARKS.md.

use std::cell::RefCell;
use std::hint::black_box;
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use seclog::integrity::{Seal, VerifierSecret};
use serde::Serialize;

/// Set in the child process that measures `seclog_sealed`.
const SEALED_CHILD: &str = "SECLOG_BENCH_HANDLER_SEALED";
const NO_SETUP_CHILD: &str = "SECLOG_BENCH_HANDLER_NO_SETUP";

#[derive(Debug, Clone, Serialize, seclog::Redact)]
pub struct Receipt {
    order_id: u64,
    total_cents: u64,
    status: &'static str,
}

fn compute(user: &str, qty: u32) -> Receipt {
    Receipt {
        order_id: 1_000 + user.len() as u64,
        total_cents: u64::from(qty) * 1999,
        status: "accepted",
    }
}

#[inline(never)]
fn plain(user: &str, qty: u32) -> Receipt {
    compute(user, qty)
}

/// The caller's time only, in bursts of 256 calls with the writer caught up in between
/// (untimed): what a handler pays while the writer keeps up, whatever the writer does per
/// record. A tight loop of calls measures the writer's rate instead once it is the slower.
fn paced(b: &mut criterion::Bencher<'_>) {
    b.iter_custom(|iters| {
        let mut spent = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(256);
            let start = Instant::now();
            for _ in 0..n {
                black_box(with_seclog(black_box("alice"), black_box(3)));
            }
            spent += start.elapsed();
            left -= n;
            seclog::flush();
        }
        spent
    })
}

#[inline(never)]
#[seclog::security_logged(event = "order.place")]
fn with_seclog(user: &str, qty: u32) -> Receipt {
    compute(user, qty)
}

#[inline(never)]
#[seclog::security_logged(event = "profile.update")]
fn with_strings(comment: &str, user_agent: &str) -> Receipt {
    compute(comment, user_agent.len() as u32)
}

#[inline(never)]
#[tracing::instrument(ret)]
fn with_tracing(user: &str, qty: u32) -> Receipt {
    compute(user, qty)
}

/// A note of 100 bytes, free text as a user writes it.
const NOTE: &str = "Please leave the parcel at the back door, next to the blue bins; ring twice if nobody answers, thx!!";

/// A struct nesting two more: what a handler is often given besides text.
#[derive(Debug, Clone, Serialize, seclog::Redact)]
pub struct Delivery {
    slot: Slot,
    plan: Plan,
    express: bool,
}

#[derive(Debug, Clone, Serialize, seclog::Redact)]
pub struct Slot {
    day: &'static str,
    from_hour: u8,
    to_hour: u8,
}

#[derive(Debug, Clone, Serialize, seclog::Redact)]
pub struct Plan {
    tier: &'static str,
    seats: u32,
    region: &'static str,
}

fn delivery() -> Delivery {
    Delivery {
        slot: Slot {
            day: "tuesday",
            from_hour: 9,
            to_hour: 12,
        },
        plan: Plan {
            tier: "business",
            seats: 25,
            region: "eu-west-1",
        },
        express: false,
    }
}

fn compute_delivery(note: &str, delivery: &Delivery) -> Receipt {
    compute(note, delivery.plan.seats)
}

#[inline(never)]
#[seclog::security_logged(event = "order.place")]
fn with_seclog_nested(note: &str, delivery: &Delivery) -> Receipt {
    compute_delivery(note, delivery)
}

#[inline(never)]
#[tracing::instrument(ret)]
fn with_tracing_nested(note: &str, delivery: &Delivery) -> Receipt {
    compute_delivery(note, delivery)
}

/// The hand-written record, with the same keys and values as seclog's.
#[derive(Serialize)]
struct Record<'a> {
    ts: String,
    seq: u64,
    event: &'static str,
    level: &'static str,
    outcome: &'static str,
    duration_ns: u64,
    #[serde(rename = "where")]
    where_: Where<'a>,
    inputs: Inputs<'a>,
    output: &'a Receipt,
}

#[derive(Serialize)]
struct Where<'a> {
    service: &'static str,
    version: &'static str,
    host: &'a str,
    pid: u32,
    #[serde(rename = "fn")]
    fn_: &'static str,
    file: &'static str,
    line: u32,
}

#[derive(Serialize)]
struct Inputs<'a> {
    user: &'a str,
    qty: u32,
}

/// The hand-written record of the nested handler.
#[derive(Serialize)]
struct NestedRecord<'a> {
    ts: String,
    seq: u64,
    event: &'static str,
    level: &'static str,
    outcome: &'static str,
    duration_ns: u64,
    #[serde(rename = "where")]
    where_: Where<'a>,
    inputs: NestedInputs<'a>,
    output: &'a Receipt,
}

#[derive(Serialize)]
struct NestedInputs<'a> {
    note: &'a str,
    delivery: &'a Delivery,
}

static SEQ: AtomicU64 = AtomicU64::new(1);
static HOST: OnceLock<String> = OnceLock::new();

thread_local! {
    static BUF: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
}

#[inline(never)]
fn with_floor(user: &str, qty: u32) -> Receipt {
    floor_to(user, qty, false)
}

#[inline(never)]
fn with_floor_stdout(user: &str, qty: u32) -> Receipt {
    floor_to(user, qty, true)
}

#[inline(always)]
fn floor_to(user: &str, qty: u32, stdout: bool) -> Receipt {
    let ts = humantime::format_rfc3339_nanos(SystemTime::now()).to_string();
    let start = Instant::now();
    let out = compute(user, qty);
    let record = Record {
        ts,
        seq: SEQ.fetch_add(1, Ordering::Relaxed),
        event: "order.place",
        level: "INFO",
        outcome: "success",
        duration_ns: start.elapsed().as_nanos() as u64,
        where_: Where {
            service: "bench",
            version: "0.1.0",
            host: HOST.get_or_init(|| gethostname::gethostname().to_string_lossy().into_owned()),
            pid: std::process::id(),
            fn_: "handler::with_floor",
            file: file!(),
            line: line!(),
        },
        inputs: Inputs { user, qty },
        output: &out,
    };
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        serde_json::to_writer(&mut *b, &record).expect("serializable");
        b.push(b'\n');
        if stdout {
            std::io::stdout()
                .lock()
                .write_all(&b)
                .expect("stdout accepts");
        } else {
            std::io::sink().write_all(&b).expect("sink accepts");
        }
    });
    out
}

#[inline(never)]
fn with_floor_nested(note: &str, delivery: &Delivery) -> Receipt {
    let ts = humantime::format_rfc3339_nanos(SystemTime::now()).to_string();
    let start = Instant::now();
    let out = compute_delivery(note, delivery);
    let record = NestedRecord {
        ts,
        seq: SEQ.fetch_add(1, Ordering::Relaxed),
        event: "order.place",
        level: "INFO",
        outcome: "success",
        duration_ns: start.elapsed().as_nanos() as u64,
        where_: Where {
            service: "bench",
            version: "0.1.0",
            host: HOST.get_or_init(|| gethostname::gethostname().to_string_lossy().into_owned()),
            pid: std::process::id(),
            fn_: "handler::with_floor_nested",
            file: file!(),
            line: line!(),
        },
        inputs: NestedInputs { note, delivery },
        output: &out,
    };
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        serde_json::to_writer(&mut *b, &record).expect("serializable");
        b.push(b'\n');
        std::io::sink().write_all(&b).expect("sink accepts");
    });
    out
}

/// A sink that reads every byte of each batch and keeps nothing, as a file or a socket does
/// when it copies the batch (`SECLOG_BENCH_READING_SINK=1`).
#[derive(Default)]
struct Reading(AtomicU64);

impl seclog::Sink for Reading {
    fn write(&self, record: &[u8]) -> std::io::Result<()> {
        let mut written = 0;
        self.write_batch(record, &mut written)
    }

    fn write_batch(&self, records: &[u8], written: &mut usize) -> std::io::Result<()> {
        let sum = records[*written..]
            .iter()
            .fold(0u64, |a, &b| a.wrapping_add(u64::from(b)));
        self.0.fetch_add(black_box(sum), Ordering::Relaxed);
        *written = records.len();
        Ok(())
    }
}

fn handler(c: &mut Criterion) {
    if std::env::var_os(NO_SETUP_CHILD).is_some() {
        // Nothing installed: the first record makes the default set-up (stdout).
        let mut g = c.benchmark_group("handler");
        g.bench_function("seclog_no_setup", |b| {
            b.iter(|| with_seclog(black_box("alice"), black_box(3)))
        });
        g.bench_function("floor_stdout", |b| {
            b.iter(|| with_floor_stdout(black_box("alice"), black_box(3)))
        });
        g.finish();
        return;
    }
    // The environment only for `SECLOG_WATCH`: nothing else is set when benchmarking.
    let builder = if std::env::var_os("SECLOG_BENCH_READING_SINK").is_some() {
        seclog::builder().sink(Reading::default())
    } else {
        seclog::builder().sink(seclog::sink::Discard)
    };
    let mut builder = builder.with_env().expect("valid SECLOG_* variables");
    let sealed_child = std::env::var_os(SEALED_CHILD).is_some();
    if sealed_child {
        builder = builder.seal(Seal::to(VerifierSecret::generate().public().clone()));
    }
    let _guard = builder.install().expect("installed once");
    if sealed_child {
        let mut g = c.benchmark_group("handler");
        g.bench_function("seclog_sealed", |b| {
            b.iter(|| with_seclog(black_box("alice"), black_box(3)))
        });
        g.bench_function("seclog_sealed_paced", paced);
        g.finish();
        let stats = seclog::delivery::stats();
        assert_eq!((stats.dropped, stats.fallback), (0, 0), "{stats:?}");
        return;
    }
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::sink)
        .finish();
    let _tracing = tracing::subscriber::set_default(subscriber);

    let mut g = c.benchmark_group("handler");
    g.bench_function("plain", |b| {
        b.iter(|| plain(black_box("alice"), black_box(3)))
    });
    g.bench_function("seclog", |b| {
        b.iter(|| with_seclog(black_box("alice"), black_box(3)))
    });
    g.bench_function("seclog_paced", paced);
    let status = std::process::Command::new(std::env::current_exe().expect("the bench's path"))
        .args(std::env::args_os().skip(1))
        .env(SEALED_CHILD, "1")
        .status()
        .expect("the bench runs itself");
    assert!(status.success(), "the sealed run failed: {status}");
    let status = std::process::Command::new(std::env::current_exe().expect("the bench's path"))
        .args(std::env::args_os().skip(1))
        .env(NO_SETUP_CHILD, "1")
        .env_remove("SECLOG_OUTPUT")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the bench runs itself");
    assert!(status.success(), "the run with no set-up failed: {status}");
    for line in ["seclog_no_setup", "floor_stdout"] {
        println!("handler/{line}: median {}", median_of(line));
    }
    g.bench_function("tracing_instrument", |b| {
        b.iter(|| with_tracing(black_box("alice"), black_box(3)))
    });
    g.bench_function("floor", |b| {
        b.iter(|| with_floor(black_box("alice"), black_box(3)))
    });
    let d = delivery();
    g.bench_function("seclog_nested", |b| {
        b.iter(|| with_seclog_nested(black_box(NOTE), black_box(&d)))
    });
    g.bench_function("tracing_instrument_nested", |b| {
        b.iter(|| with_tracing_nested(black_box(NOTE), black_box(&d)))
    });
    g.bench_function("floor_nested", |b| {
        b.iter(|| with_floor_nested(black_box(NOTE), black_box(&d)))
    });
    seclog::set_level(Some(seclog::Level::Warn));
    g.bench_function("seclog_disabled", |b| {
        b.iter(|| with_seclog(black_box("alice"), black_box(3)))
    });
    g.bench_function("plain_again", |b| {
        b.iter(|| plain(black_box("alice"), black_box(3)))
    });
    seclog::set_level(Some(seclog::Level::Trace));
    // An address in a free-text parameter: what the run-time scanner is there to find.
    let (comment, agent) = (
        "ann.smith@example.com",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    );
    g.bench_function("seclog_strings_scanner_on", |b| {
        b.iter(|| with_strings(black_box(comment), black_box(agent)))
    });
    seclog::redact::scanner::set_enabled(false);
    seclog::redact::scanner::set_pii(seclog::redact::scanner::PiiSet::NONE);
    g.bench_function("seclog_strings_scanner_off", |b| {
        b.iter(|| with_strings(black_box(comment), black_box(agent)))
    });
    seclog::redact::scanner::set_enabled(true);
    seclog::redact::scanner::set_pii(seclog::redact::scanner::PiiSet::ALL);
    g.finish();
    let stats = seclog::delivery::stats();
    assert_eq!((stats.dropped, stats.fallback), (0, 0), "{stats:?}");
}

/// The median criterion saved for `handler/<line>` (the child's output went to /dev/null).
fn median_of(line: &str) -> String {
    let dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or("target".into(), std::path::PathBuf::from);
    let path = dir.join(format!("criterion/handler/{line}/new/estimates.json"));
    std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["median"]["point_estimate"].as_f64())
        .map_or_else(
            || format!("not found in {}", path.display()),
            |ns| format!("{ns:.1} ns"),
        )
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = handler
}
criterion_main!(benches);
