//! Delivery under pressure: a slow sink with `drop_newest` counts every lost record exactly, a
//! stuck sink costs a handler at most the bounded wait, and sinks that fail (an erroring
//! writer, a full device, a directory without write permission) hold their records, report
//! the failure once, and lose nothing when they recover; each sink gets records in its own
//! format.
//!
//! A configuration is installed once per process, so each case runs in a child process: the
//! test re-runs this binary with one `*_child` test selected, which does the work and checks
//! what it can see; the parent checks the exit status and what the child wrote to stderr.

mod common;

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{is_child, parse, run_child, stderr_lines, verify_log_dir};
use seclog::delivery::{Backpressure, Fallback};
use seclog::{Sink, security_logged};
use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seclog-delivery-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The `n` of every `work` record, checking that none came twice.
fn work_inputs(records: &[Value]) -> BTreeSet<u64> {
    let mut seen = BTreeSet::new();
    for r in records.iter().filter(|r| r["event"] == "work") {
        let n = r["inputs"]["n"].as_u64().unwrap();
        assert!(seen.insert(n), "record {n} written twice");
    }
    seen
}

#[security_logged]
fn work(n: u64) -> u64 {
    n * 2
}

/// A sink into memory that can be made slow, stuck or failing.
#[derive(Clone, Default)]
struct Memory {
    bytes: Arc<Mutex<Vec<u8>>>,
    /// Slept per batch.
    delay: Duration,
    /// While set, a batch waits inside the sink.
    stuck: Arc<AtomicBool>,
    batches: Arc<AtomicU64>,
}

impl Sink for Memory {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        self.write_batch(record, &mut 0)
    }

    fn write_batch(&self, records: &[u8], written: &mut usize) -> io::Result<()> {
        self.batches.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        while self.stuck.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.bytes.lock().unwrap().extend_from_slice(records);
        *written = records.len();
        Ok(())
    }
}

#[test]
fn drop_newest_counts_every_dropped_record() {
    run_child("drop_newest_child", &[], &[]);
}

#[test]
fn drop_newest_child() {
    if !is_child("drop_newest_child") {
        return;
    }
    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 2_000;
    let sink = Memory {
        delay: Duration::from_millis(2),
        ..Memory::default()
    };
    let guard = seclog::builder()
        .sink(sink.clone())
        .backpressure(Backpressure::DropNewest)
        .queue_bytes(16 * 1024)
        .install()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    let n = t * PER_THREAD + i;
                    assert_eq!(work(n), n * 2);
                }
            });
        }
    });
    assert!(seclog::flush());
    drop(guard);

    let stats = seclog::delivery::stats();
    let records = parse(&sink.bytes.lock().unwrap());
    let written = work_inputs(&records).len() as u64;
    let attempted = THREADS * PER_THREAD;
    assert!(stats.dropped > 0, "the slow sink made the queue overflow");
    assert_eq!(written + stats.dropped, attempted, "{stats:?}");
    assert_eq!(stats.pending, 0);
    assert_eq!(stats.written, stats.accepted);

    // Every drop was reported, with how many and since when.
    let reports: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "sys_monitor_disabled")
        .collect();
    assert!(!reports.is_empty());
    let mut reported = 0;
    for r in &reports {
        assert_eq!(r["fields"]["reason"], "records_dropped");
        let since = r["fields"]["since"].as_str().unwrap();
        let until = r["fields"]["until"].as_str().unwrap();
        assert!(since <= until, "{since} .. {until}");
        reported += r["fields"]["dropped"].as_u64().unwrap();
    }
    assert_eq!(reported, stats.dropped);

    // Output order is seq order.
    let seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn a_stuck_sink_costs_one_bounded_wait_then_the_fallback() {
    let out = run_child("stuck_child", &[], &[]);
    // The records that found no room are on stderr, whole; the child counted them.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fallback: u64 = stdout
        .lines()
        .find_map(|l| l.split_once("fallback=").map(|(_, v)| v))
        .expect("the child reports its count")
        .parse()
        .unwrap();
    let on_stderr: Vec<Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(fallback > 0);
    assert_eq!(on_stderr.len() as u64, fallback);
    let in_sink: BTreeSet<u64> = stdout
        .lines()
        .find_map(|l| l.split_once("in_sink=").map(|(_, v)| v))
        .unwrap()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    // The sink's stream says which seqs went to stderr: every one of them, and no more.
    let diverted: u64 = stdout
        .lines()
        .find_map(|l| l.split_once("diverted=").map(|(_, v)| v))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(diverted, fallback);
    let ranges: Vec<(u64, u64)> = stdout
        .lines()
        .find_map(|l| l.split_once("diverted_ranges=").map(|(_, v)| v))
        .unwrap()
        .split(',')
        .map(|r| {
            let (a, b) = r.split_once('-').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    for r in &on_stderr {
        let seq = r["seq"].as_u64().unwrap();
        assert!(
            ranges.iter().any(|&(a, b)| a <= seq && seq <= b),
            "{seq} in {ranges:?}"
        );
    }
    let on_stderr = work_inputs(&on_stderr);
    assert!(in_sink.is_disjoint(&on_stderr));
    let all: BTreeSet<u64> = in_sink.union(&on_stderr).copied().collect();
    assert_eq!(
        all,
        (0..400).collect(),
        "every record is in the sink or on stderr"
    );
}

#[test]
fn stuck_child() {
    if !is_child("stuck_child") {
        return;
    }
    let sink = Memory::default();
    sink.stuck.store(true, Ordering::SeqCst);
    let guard = seclog::builder()
        .sink(sink.clone())
        .backpressure(Backpressure::Block {
            max_wait: Duration::from_millis(20),
            fallback: Fallback::Stderr,
        })
        .queue_bytes(8 * 1024)
        .install()
        .unwrap();
    // The writer takes the start-up record and gets stuck in the sink with it.
    while sink.batches.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    // The handlers still return: the queue fills, one of them waits 20 ms, the rest go to
    // stderr at once.
    std::thread::scope(|s| {
        for t in 0..2 {
            s.spawn(move || {
                for i in 0..200 {
                    let n = t * 200 + i;
                    assert_eq!(work(n), n * 2);
                }
            });
        }
    });
    let stats = seclog::delivery::stats();
    assert!(stats.fallback > 0);
    assert_eq!(stats.dropped, 0);
    assert_eq!(stats.accepted + stats.fallback, 401);

    // Unstuck, the sink gets everything that was accepted.
    sink.stuck.store(false, Ordering::SeqCst);
    assert!(seclog::flush());
    drop(guard);
    let records = parse(&sink.bytes.lock().unwrap());
    let in_sink = work_inputs(&records);
    let stats = seclog::delivery::stats();
    assert_eq!(in_sink.len() as u64 + stats.fallback, 400);
    let list: Vec<String> = in_sink.iter().map(u64::to_string).collect();
    let reports: Vec<&Value> = records
        .iter()
        .filter(|r| r["fields"]["reason"] == "records_to_stderr")
        .collect();
    assert!(reports.iter().all(|r| r["event"] == "sys_monitor_disabled"));
    let diverted: u64 = reports
        .iter()
        .map(|r| r["fields"]["diverted"].as_u64().unwrap())
        .sum();
    let ranges: Vec<String> = reports
        .iter()
        .map(|r| format!("{}-{}", r["fields"]["from_seq"], r["fields"]["to_seq"]))
        .collect();
    println!("diverted={diverted}");
    println!("diverted_ranges={}", ranges.join(","));
    println!("fallback={}", stats.fallback);
    println!("in_sink={}", list.join(","));
}

/// A writer stuck in its sink when the program ends: what is still queued goes to stderr,
/// whole, and the message says how many records the sink holds.
#[test]
fn a_writer_stuck_at_shutdown_sends_the_queue_to_stderr() {
    let out = run_child("stuck_at_shutdown_child", &[], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let on_stderr: Vec<Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(work_inputs(&on_stderr), (0..50).collect());
    assert!(
        stderr.contains(
            "the writer thread is stuck in a sink; the 1 records it holds are not written, the"
        ),
        "{stderr}"
    );
}

#[test]
fn stuck_at_shutdown_child() {
    if !is_child("stuck_at_shutdown_child") {
        return;
    }
    let sink = Memory::default();
    sink.stuck.store(true, Ordering::SeqCst);
    let guard = seclog::builder()
        .sink(sink.clone())
        .flush_timeout(Duration::from_millis(50))
        .install()
        .unwrap();
    // The writer takes the start-up record and gets stuck in the sink with it.
    while sink.batches.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    for n in 0..50 {
        assert_eq!(work(n), n * 2);
    }
    drop(guard);
}

/// A writer that fails while `fail` is set: with a message, or as a full device does.
struct Failing {
    fail: Arc<AtomicBool>,
    attempts: Arc<AtomicU64>,
    /// While failing, writes go here (e.g. `/dev/full`); else into `ok`.
    broken: Option<std::fs::File>,
    ok: Arc<Mutex<Vec<u8>>>,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.fail.load(Ordering::SeqCst) {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            return match &mut self.broken {
                Some(device) => device.write(buf),
                None => Err(io::Error::other("disk on fire")),
            };
        }
        self.ok.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Emits 50 records while the writer fails, waits until the pipeline sees the failure, lets
/// the writer recover, and checks that every record arrived once, with a recovery report.
fn fail_and_recover(broken: Option<std::fs::File>, error: &str) {
    let fail = Arc::new(AtomicBool::new(true));
    let attempts = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(Mutex::new(Vec::new()));
    let writer = Failing {
        fail: fail.clone(),
        attempts: attempts.clone(),
        broken,
        ok: ok.clone(),
    };
    let guard = seclog::builder()
        .sink(seclog::sink::Writer::new(writer).named("audit-writer"))
        .install()
        .unwrap();
    for n in 0..50 {
        assert_eq!(work(n), n * 2);
    }
    // Held and retried, not lost: wait for a few attempts.
    while attempts.load(Ordering::SeqCst) < 3 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let stats = seclog::delivery::stats();
    assert_eq!(stats.failing_sinks, 1);
    assert!(stats.pending > 0);
    assert!(!seclog::flush_within(Duration::from_millis(30)));

    fail.store(false, Ordering::SeqCst);
    assert!(seclog::flush());
    // The recovery report is written by the time the flush returns: it is part of what the
    // flush waited for.
    let flushed = parse(&ok.lock().unwrap());
    let reports = flushed
        .iter()
        .filter(|r| r["event"] == "sys_monitor_enabled")
        .count();
    assert_eq!(reports, 1);
    drop(guard);

    let records = parse(&ok.lock().unwrap());
    assert_eq!(work_inputs(&records), (0..50).collect());
    let seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let recovered: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "sys_monitor_enabled")
        .collect();
    assert_eq!(recovered.len(), 1);
    let fields = &recovered[0]["fields"];
    assert_eq!(fields["reason"], "sink_recovered");
    assert_eq!(fields["sink"], "audit-writer");
    assert!(
        fields["error"].as_str().unwrap().contains(error),
        "{fields}"
    );
    assert!(fields["failed_attempts"].as_u64().unwrap() >= 3);
    let stats = seclog::delivery::stats();
    assert_eq!(
        (stats.pending, stats.dropped, stats.failing_sinks),
        (0, 0, 0)
    );
}

#[test]
fn an_erroring_writer_holds_records_until_it_recovers() {
    let out = run_child("erroring_child", &[], &[]);
    assert_eq!(
        stderr_lines(&out, "audit-writer failed to write: disk on fire"),
        1
    );
    assert_eq!(stderr_lines(&out, "audit-writer accepts records again"), 1);
}

#[test]
fn erroring_child() {
    if is_child("erroring_child") {
        fail_and_recover(None, "disk on fire");
    }
}

#[test]
fn a_full_device_holds_records_until_there_is_room() {
    let out = run_child("full_device_child", &[], &[]);
    assert_eq!(
        stderr_lines(&out, "failed to write: No space left on device"),
        1
    );
}

#[test]
fn full_device_child() {
    if is_child("full_device_child") {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        fail_and_recover(Some(full), "No space left on device");
    }
}

/// Whether this process runs as root, which writes anywhere unless it gives up the
/// capability to.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn a_directory_without_write_permission_holds_records_until_it_has_it() {
    let dir = temp_dir("read-only");
    let dir_arg = dir.to_str().unwrap();
    // As root, the child drops the capabilities that override file permissions.
    let wrap: &[&str] = if is_root() {
        &[
            "setpriv",
            "--inh-caps=-dac_override,-dac_read_search",
            "--bounding-set=-dac_override,-dac_read_search",
        ]
    } else {
        &[]
    };
    let out = run_child("read_only_dir_child", &[("SECLOG_TEST_DIR", dir_arg)], wrap);
    assert_eq!(stderr_lines(&out, "failed to write: Permission denied"), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_only_dir_child() {
    use std::os::unix::fs::PermissionsExt;
    if !is_child("read_only_dir_child") {
        return;
    }
    let dir = PathBuf::from(std::env::var("SECLOG_TEST_DIR").unwrap());
    let key = seclog::integrity::ChainKey::from_bytes([9; 32]);
    let sink = seclog::sink::File::builder(&dir, key.clone())
        .max_bytes(4 * 1024)
        .open()
        .unwrap();
    let guard = seclog::builder().sink(sink).install().unwrap();
    // Fill the first file past its size, so that the next batch needs a new file.
    for n in 0..20 {
        work(n);
    }
    assert!(seclog::flush());

    let set_mode = |mode| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode));
    set_mode(0o500).unwrap();
    assert!(
        std::fs::File::create(dir.join("probe")).is_err(),
        "the directory must refuse new files"
    );
    // Records go on into the current file until it is full and a new one is needed.
    let mut n = 20;
    while seclog::delivery::stats().failing_sinks == 0 {
        assert!(n < 10_000, "the sink never needed a new file");
        assert_eq!(work(n), n * 2);
        n += 1;
        seclog::flush_within(Duration::from_millis(5));
    }
    // The handlers go on while the sink fails.
    for _ in 0..50 {
        assert_eq!(work(n), n * 2);
        n += 1;
    }
    assert!(!seclog::flush_within(Duration::from_millis(30)));
    set_mode(0o700).unwrap();
    assert!(seclog::flush());
    drop(guard);

    let report = verify_log_dir(&seclog::integrity::Keys::new().with_symmetric(key), &dir);
    assert!(report.verified(), "{report:#?}");
    assert_eq!(report.chains.len(), 1, "{report:#?}");
    let files = seclog::integrity::log_files(&dir).unwrap();
    assert!(files.len() >= 2);
    let mut bytes = Vec::new();
    for f in &files {
        bytes.extend(std::fs::read(f).unwrap());
    }
    assert_eq!(
        report.chains[0].records,
        parse(&bytes).len() as u64,
        "every line verifies"
    );
    let records: Vec<Value> = parse(&bytes)
        .into_iter()
        .filter(|r| r.get("event").is_some())
        .collect();
    assert_eq!(work_inputs(&records), (0..n).collect());
    let recovered = records
        .iter()
        .find(|r| r["event"] == "sys_monitor_enabled")
        .expect("a recovery record");
    assert!(
        recovered["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("Permission denied")
    );
    assert_eq!(seclog::delivery::stats().dropped, 0);
}

#[test]
fn each_sink_gets_its_own_format() {
    run_child("formats_child", &[], &[]);
}

#[test]
fn formats_child() {
    if !is_child("formats_child") {
        return;
    }
    let (json, ecs) = (Memory::default(), Memory::default());
    let guard = seclog::builder()
        .service("shop", "0.3.1")
        .sink(json.clone())
        .sink_with(ecs.clone(), seclog::Format::Ecs)
        .install()
        .unwrap();
    for n in 0..3 {
        work(n);
    }
    assert!(seclog::flush());
    drop(guard);

    let json = parse(&json.bytes.lock().unwrap());
    let ecs = parse(&ecs.bytes.lock().unwrap());
    assert_eq!(json.len(), ecs.len());
    for (j, e) in json.iter().zip(&ecs) {
        assert_eq!(e["@timestamp"], j["ts"]);
        assert_eq!(e["event"]["action"], j["event"]);
        assert_eq!(e["event"]["outcome"], j["outcome"]);
        assert_eq!(e["event"]["sequence"], j["seq"]);
        assert_eq!(e["event"]["duration"], j["duration_ns"]);
        assert_eq!(e["service"]["name"], "shop");
        assert_eq!(
            e["log"]["level"],
            j["level"].as_str().unwrap().to_lowercase()
        );
    }
    assert_eq!(work_inputs(&json), (0..3).collect());
}
