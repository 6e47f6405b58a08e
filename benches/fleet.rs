//! The fleet's paths at full speed:
//!
//! - `stdout_sealed_2_producers`: two threads call a `#[security_logged]` handler as fast as
//!   they can; installed with `seclog::builder().seal(Seal::to(<verifier public key>))`, the
//!   background writer seals every record into this process's chain and writes each batch
//!   to `sink::Writer` on `/dev/null`: one `write(2)` a batch, as the stdout sink does, without
//!   flooding the terminal. One iteration is one record, timed from the first call until
//!   `seclog::flush()` returns: what is sustained, not what fits in the queue.
//! - `stdout_unsealed_2_producers`: the same run without the seal, so that sealed / unsealed
//!   is the cost of sealing. A configuration is installed once per process, so this line runs
//!   in a child process of the bench (the same binary, the same arguments), right after the
//!   sealed one and before the archive is built.
//! - `verify_archive_8_chains`: `integrity::verify_archive` over an archive of 8 chains of
//!   250,000 records each (sealed to a verifier public key, records shaped like the handler's),
//!   interleaved round-robin behind an rsyslog collector's prefix, as `seclog verify` reads a
//!   central collector's file. One iteration reads the whole archive; throughput is in lines
//!   (2,000,008: each chain's `seclog.chain` and its records).
//!
//! Run: `cargo bench --bench fleet` (about two minutes). Results: BENCHMARKS.md.

use std::fs::File;
use std::hint::black_box;
use std::io::{self, Write};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use seclog::delivery::{Backpressure, Fallback};
use seclog::integrity::{
    ArchiveOptions, ChainWriter, Keys, Seal, Source, VerifierSecret, verify_archive,
};

/// Set in the child process that measures the unsealed line.
const CHILD: &str = "SECLOG_BENCH_FLEET_UNSEALED";

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

/// `/dev/null`, noting whether what it was given was sealed.
struct DevNull {
    file: File,
    sealed: Arc<AtomicBool>,
}

impl Write for DevNull {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.sealed.load(Ordering::Relaxed) && buf.windows(8).any(|w| w == b",\"mac\":\"") {
            self.sealed.store(true, Ordering::Relaxed);
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Installs seclog writing to `/dev/null`, sealed to a fresh verifier key when `sealed`, and
/// measures two producers end to end.
fn stdout_2_producers(c: &mut Criterion, sealed: bool) {
    let seen_mac = Arc::new(AtomicBool::new(false));
    let sink = seclog::sink::Writer::new(DevNull {
        file: File::options()
            .write(true)
            .open("/dev/null")
            .expect("/dev/null opens"),
        sealed: Arc::clone(&seen_mac),
    });
    let mut builder = seclog::builder()
        .sink(sink)
        // Producers wait for room rather than fall back: the figure is what the writer sustains.
        .backpressure(Backpressure::Block {
            max_wait: Duration::from_secs(30),
            fallback: Fallback::Stderr,
        });
    if sealed {
        let verifier = VerifierSecret::generate();
        builder = builder.seal(Seal::to(verifier.public().clone()));
    }
    let _guard = builder.install().expect("installed once");

    let name = if sealed {
        "stdout_sealed_2_producers"
    } else {
        "stdout_unsealed_2_producers"
    };
    let ran = AtomicBool::new(false);
    let mut g = c.benchmark_group("fleet");
    g.throughput(Throughput::Elements(1));
    g.bench_function(name, |b| {
        b.iter_custom(|records| {
            ran.store(true, Ordering::Relaxed);
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
    g.finish();
    let stats = seclog::delivery::stats();
    assert_eq!((stats.dropped, stats.fallback), (0, 0), "{stats:?}");
    if ran.load(Ordering::Relaxed) {
        assert_eq!(
            seen_mac.load(Ordering::Relaxed),
            sealed,
            "the sink got sealed records exactly when a seal is set"
        );
    }
}

fn stdout_sealed(c: &mut Criterion) {
    stdout_2_producers(c, true);
}

fn stdout_unsealed(c: &mut Criterion) {
    stdout_2_producers(c, false);
}

/// Runs the unsealed line in a process of its own, with this run's arguments.
fn stdout_unsealed_in_child() {
    let exe = std::env::current_exe().expect("the bench's own path");
    let status = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(CHILD, "1")
        .status()
        .expect("the bench runs itself");
    assert!(status.success(), "the unsealed run failed: {status}");
}

const CHAINS: u64 = 8;
const RECORDS_PER_CHAIN: u64 = 250_000;
/// Every record and each chain's first record.
const LINES: u64 = CHAINS * (RECORDS_PER_CHAIN + 1);

/// A record of `place_order` as seclog writes it (about 250 bytes), for chain `chain`.
fn record(chain: u64, seq: u64) -> String {
    let (s, ns) = (seq / 1000, seq % 1000 * 997_001);
    format!(
        concat!(
            r#"{{"ts":"2026-12-02T10:{:02}:{:02}.{:09}Z","seq":{},"event":"order.place","level":"INFO","#,
            r#""outcome":"success","duration_ns":{},"where":{{"service":"shop","version":"1.4.2","#,
            r#""host":"web-{}","pid":{},"fn":"shop::orders::place_order","file":"src/orders.rs","line":42}},"#,
            r#""inputs":{{"user":"u{}","qty":{}}},"output":{{"order_id":{},"total_cents":{},"status":"accepted"}}}}"#,
        ),
        s / 60 % 60,
        s % 60,
        ns,
        seq,
        1_800 + seq % 977,
        chain,
        4_000 + chain,
        seq % 5_000,
        seq % 7,
        100_000 + seq,
        seq % 7 * 1999,
    )
}

/// The archive: `CHAINS` chains sealed to `seal`, one line of each in turn, each behind the
/// prefix `.ci/fleet.sh`'s rsyslogd writes (`%timegenerated% %fromhost-ip% %hostname%
/// %app-name%[%procid%]: %msg%`, the message starting with a byte order mark).
fn archive(seal: &Seal) -> (Vec<u8>, u64) {
    let mut writers: Vec<ChainWriter> = (0..CHAINS)
        .map(|_| ChainWriter::new(seal).expect("a chain"))
        .collect();
    let mut out = Vec::with_capacity(((CHAINS * RECORDS_PER_CHAIN) as usize) * 440);
    let mut sealed = Vec::with_capacity(2048);
    let mut lines = 0;
    for seq in 1..=RECORDS_PER_CHAIN {
        for (chain, w) in (0..CHAINS).zip(&mut writers) {
            sealed.clear();
            w.seal(record(chain, seq).as_bytes(), &mut sealed);
            // The first call also writes the chain's first record, `seclog.chain`.
            for line in sealed.split_inclusive(|&b| b == b'\n') {
                let (s, us) = (seq / 1000, seq % 1000 * 997);
                write!(
                    out,
                    "2026-12-02T10:{:02}:{:02}.{us:06}+00:00 10.0.1.{chain} web-{chain} shop[{}]: \u{feff}",
                    s / 60 % 60,
                    s % 60,
                    4_000 + chain,
                )
                .expect("written to memory");
                out.extend_from_slice(line);
                lines += 1;
            }
        }
    }
    (out, lines)
}

/// The archive and what opens it, built and checked once.
struct Archive {
    keys: Keys,
    sources: [Source; 1],
}

fn build() -> Archive {
    let verifier = VerifierSecret::generate();
    let seal = Seal::to(verifier.public().clone());
    let (bytes, lines) = archive(&seal);
    assert_eq!(lines, LINES);
    let sources = [Source::new("collected.log", bytes)];
    let keys = Keys::new().with_secret(verifier);

    // A check before timing anything: every chain verifies whole.
    let report = verify_archive(&keys, &sources, ArchiveOptions::default());
    assert!(report.verified(), "{report:?}");
    assert_eq!(report.lines, LINES);
    assert_eq!(report.chains.len(), CHAINS as usize);
    for chain in &report.chains {
        assert_eq!(chain.records, RECORDS_PER_CHAIN + 1, "{}", chain.chain);
        assert!(chain.missing.is_empty() && chain.problems.is_empty());
    }
    Archive { keys, sources }
}

fn verify(c: &mut Criterion) {
    // Built on first use only: a run filtered to the other lines, or `--list`, skips it.
    let archive = OnceLock::new();
    let mut g = c.benchmark_group("fleet");
    g.throughput(Throughput::Elements(LINES));
    // About a second an iteration: one iteration a sample keeps the run short.
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("verify_archive_8_chains", |b| {
        let a = archive.get_or_init(build);
        b.iter(|| {
            let report = verify_archive(&a.keys, &a.sources, ArchiveOptions::default());
            assert_eq!(report.chains.len(), CHAINS as usize);
            report.lines
        })
    });
    g.finish();
}

criterion_group! {
    name = sealed;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10);
    targets = stdout_sealed
}

criterion_group! {
    name = unsealed;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10);
    targets = stdout_unsealed
}

criterion_group! {
    name = archive_verify;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .sample_size(10);
    targets = verify
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        unsealed();
        return;
    }
    sealed();
    stdout_unsealed_in_child();
    archive_verify();
    Criterion::default().configure_from_args().final_summary();
}
