//! The installed configuration and its sink: records arrive in `seq` order from many threads,
//! carry the configured service, and a failing, panicking or re-entrant sink never fails the
//! handler: what it refused is offered again, so every record arrives exactly once.
//!
//! Installation is once per process, so this file is its own test binary with one test.

use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use seclog::{InitError, Sink, security_logged};
use serde_json::Value;

/// Fails every 5th write with an error and panics on every 7th; keeps the rest. Writing a
/// record whose input is 999 calls a logged function from inside the sink.
#[derive(Default)]
struct FlakySink {
    lines: Mutex<Vec<Vec<u8>>>,
    calls: AtomicUsize,
}

static SINK: FlakySink = FlakySink {
    lines: Mutex::new(Vec::new()),
    calls: AtomicUsize::new(0),
};

struct Shared;

impl Sink for Shared {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        let n = SINK.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n.is_multiple_of(5) {
            return Err(io::Error::other("disk on fire"));
        }
        if n.is_multiple_of(7) {
            panic!("sink bug");
        }
        if std::str::from_utf8(record).unwrap().contains("\"n\":999") {
            // A sink that itself logs must not deadlock.
            reentrant(1);
        }
        SINK.lines.lock().unwrap().push(record.to_vec());
        Ok(())
    }
}

#[security_logged]
fn work(n: u32) -> u32 {
    n + 1
}

#[security_logged]
fn reentrant(depth: u32) -> u32 {
    depth
}

#[test]
fn installed_sink_ordering_failures_and_reentrancy() {
    let guard = seclog::builder()
        .service("shop", "0.3.1")
        .sink(Shared)
        .install()
        .expect("first install");
    assert_eq!(
        seclog::builder().install().unwrap_err(),
        InitError::AlreadyInstalled
    );

    // Many threads; the handler never sees the sink's failures or panics.
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                for i in 0..200 {
                    assert_eq!(work(t * 1000 + i), t * 1000 + i + 1);
                }
            });
        }
    });
    assert_eq!(work(999), 1000);
    seclog::flush();

    let calls = SINK.calls.load(Ordering::SeqCst);
    let lines = SINK.lines.lock().unwrap();
    let records: Vec<Value> = lines
        .iter()
        .map(|l| {
            assert_eq!(l.last(), Some(&b'\n'));
            assert_eq!(l.iter().filter(|&&b| b == b'\n').count(), 1);
            serde_json::from_slice(l).unwrap()
        })
        .collect();

    // sys_startup, 801 handler records and the re-entrant one: each arrived exactly once,
    // the refused ones on a later attempt. Each run of failures ended with a record saying so.
    let recoveries: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "sys_monitor_enabled")
        .collect();
    assert!(!recoveries.is_empty());
    for r in &recoveries {
        assert_eq!(r["fields"]["reason"], "sink_recovered");
        assert_eq!(r["fields"]["sink"], "sink::Shared");
        assert!(r["fields"]["failed_attempts"].as_u64().unwrap() >= 1);
    }
    let total = 803 + recoveries.len();
    let failed = (1..=calls).filter(|n| n % 5 == 0 || n % 7 == 0).count();
    assert_eq!(records.len(), total);
    assert_eq!(calls, total + failed);
    let stats = seclog::delivery::stats();
    let total = total as u64;
    assert_eq!(
        (stats.accepted, stats.written, stats.dropped),
        (total, total, 0)
    );
    assert_eq!(records[0]["event"], "sys_startup");
    assert_eq!(records[0]["level"], "WARN");

    // Line order is seq order, without gaps or repeats.
    let seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");

    // The configured service, not the crate, is recorded.
    assert!(records.iter().all(|r| r["where"]["service"] == "shop"));
    assert!(records.iter().all(|r| r["where"]["version"] == "0.3.1"));

    // The re-entrant record was written right after the record being written (a report of
    // the sink's recovery may come between).
    let pos = records
        .iter()
        .position(|r| r["inputs"]["n"] == 999)
        .expect("the 999 record was accepted");
    let next = records[pos + 1..]
        .iter()
        .find(|r| r["event"] != "sys_monitor_enabled")
        .unwrap();
    assert_eq!(next["event"], "reentrant");
    drop(lines);

    // Dropping the guard records sys_shutdown and writes it out (a report of the sink's
    // recovery may follow it, when the sink failed on that batch).
    drop(guard);
    let lines = SINK.lines.lock().unwrap();
    let last: Value = lines
        .iter()
        .rev()
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .find(|r| r["event"] != "sys_monitor_enabled")
        .unwrap();
    assert_eq!(last["event"], "sys_shutdown");
}
