//! How a verified log ends: closed by the guard's `sys_shutdown`, or open — a writer killed
//! mid-stream, or records cut from the end at a line boundary, which the chain alone cannot
//! tell from a log still being written.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{log_sources, source_name, verify_log_dir};
use seclog::Sink;
use seclog::integrity::{
    ArchiveReport, ChainKey, ChainReport, Checkpoint, EndState, Keys, checkpoint_problem, log_files,
};
use seclog::sink::{File, Fsync};
use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seclog-end-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn key() -> ChainKey {
    ChainKey::from_bytes([9; 32])
}

fn verify(dir: &Path) -> ArchiveReport {
    verify_log_dir(&Keys::new().with_symmetric(key()), dir)
}

/// The report's only chain, which verifies: every record there and none changed.
fn verified_chain(report: &ArchiveReport) -> &ChainReport {
    assert_eq!(report.chains.len(), 1, "one chain: {report:#?}");
    let chain = &report.chains[0];
    assert!(chain.verified(), "{chain:#?}");
    assert_eq!(report.unsealed, 0, "{report:#?}");
    chain
}

/// Runs this test binary's `child` test with `mode` writing into `dir`.
fn spawn_child(mode: &str, dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("SECLOG_TEST_END_MODE", mode)
        .env("SECLOG_TEST_END_DIR", dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// A writer in its own process: `shutdown` installs seclog with a file sink, records 301
/// events and drops the guard; `forever` records until it is killed.
#[test]
fn child() {
    let (Ok(mode), Ok(dir)) = (
        std::env::var("SECLOG_TEST_END_MODE"),
        std::env::var("SECLOG_TEST_END_DIR"),
    ) else {
        return;
    };
    let sink = File::builder(&dir, key())
        .max_bytes(32 * 1024)
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    let guard = seclog::builder()
        .service("end-test", "1.0.0")
        .sink(sink)
        .install()
        .unwrap();
    match mode.as_str() {
        "shutdown" => {
            for n in 0..300u32 {
                seclog::event!("order.place", n = n);
            }
            // The 300 fill the first file: this record and the shutdown record start the
            // next one, so that the shutdown record is never the only record of the newest
            // file.
            seclog::flush();
            seclog::event!("order.close", n = 300u32);
            drop(guard);
        }
        _ => {
            for n in 0u64.. {
                seclog::event!("order.place", n = n);
                if n % 64 == 0 {
                    seclog::flush();
                }
            }
        }
    }
}

fn write_closed_log(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let status = spawn_child("shutdown", &dir).wait().unwrap();
    assert!(status.success());
    dir
}

fn lines_of(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn json(line: &str) -> Value {
    serde_json::from_str(line).unwrap()
}

#[test]
fn a_clean_shutdown_ends_closed() {
    let dir = write_closed_log("closed");
    let report = verify(&dir);
    let chain = verified_chain(&report);
    assert!(report.incomplete_tails.is_empty());
    assert_eq!(chain.end, EndState::Closed);
    assert_eq!(chain.last_event.as_deref(), Some("sys_shutdown"));
    let (first, last) = (chain.first_seq.unwrap(), chain.last_seq.unwrap());
    assert!(last >= 300, "{chain:#?}");
    assert_eq!(
        chain.records,
        last - first + 2,
        "every record from the first to the shutdown, and the chain's first"
    );
    assert!(chain.last_ts.as_deref().is_some_and(|t| t.ends_with('Z')));
    // The shutdown is the last line of the newest file.
    let newest = log_files(&dir).unwrap().pop().unwrap();
    let shutdown = json(lines_of(&newest).last().unwrap());
    assert_eq!(shutdown["event"], "sys_shutdown");
    assert_eq!(shutdown["seq"].as_u64(), Some(last));
    assert_eq!(shutdown["ts"].as_str(), chain.last_ts.as_deref());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_cut_at_a_line_boundary_verifies_but_ends_open() {
    let dir = write_closed_log("cut");
    let closed_at = verified_chain(&verify(&dir)).last_seq.unwrap();
    // Cut the last 200 records, the shutdown among them, at a line boundary: what is left
    // still verifies record by record.
    let mut cut = 200usize;
    let mut files = log_files(&dir).unwrap();
    while cut > 0 {
        let newest = files.last().unwrap().clone();
        let lines = lines_of(&newest);
        // Drop whole files above the oldest, which keeps the chain's first record.
        if lines.len() <= cut && files.len() > 1 {
            cut -= lines.len();
            std::fs::remove_file(&newest).unwrap();
            files.pop();
            continue;
        }
        let keep = lines.len() - cut;
        assert!(keep > 1, "the chain's first record stays");
        std::fs::write(&newest, lines[..keep].join("\n") + "\n").unwrap();
        cut = 0;
    }
    let newest = files.last().unwrap().clone();
    let remaining = json(lines_of(&newest).last().unwrap());

    let report = verify(&dir);
    let chain = verified_chain(&report);
    assert_eq!(
        chain.missing,
        vec![],
        "a cut at a line boundary leaves no gap"
    );
    assert_eq!(chain.end, EndState::Open);
    assert_eq!(chain.last_seq, Some(closed_at - 200));
    assert_eq!(chain.last_seq, remaining["seq"].as_u64());
    assert_eq!(chain.last_event.as_deref(), Some("order.place"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_killed_writer_ends_open() {
    let dir = temp_dir("killed");
    let mut child = spawn_child("forever", &dir);
    let deadline = Instant::now() + Duration::from_secs(20);
    while log_files(&dir).map_or(0, |f| f.len()) < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let report = verify(&dir);
    let chain = verified_chain(&report);
    assert_eq!(chain.end, EndState::Open);
    assert_ne!(chain.last_event.as_deref(), Some("sys_shutdown"));
    // The end is the last complete line: a torn tail is not counted.
    let files = log_files(&dir).unwrap();
    let newest = files.last().unwrap();
    let bytes = std::fs::read(newest).unwrap();
    let torn = !bytes.is_empty() && !bytes.ends_with(b"\n");
    assert_eq!(
        report.incomplete_tails,
        if torn {
            vec![source_name(newest)]
        } else {
            vec![]
        }
    );
    let last_complete = files
        .iter()
        .rev()
        .find_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
            complete.lines().last().map(json)
        })
        .unwrap();
    assert_eq!(chain.last_seq, last_complete["seq"].as_u64());
    assert_eq!(chain.last_event.as_deref(), last_complete["event"].as_str());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_torn_shutdown_record_does_not_close_the_log() {
    let dir = write_closed_log("torn");
    let newest = log_files(&dir).unwrap().pop().unwrap();
    let mut bytes = std::fs::read(&newest).unwrap();
    // The shutdown record half written: a crash while it was being written.
    let last_start = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    // The record before it (the last complete one): what the end must name.
    let before_start = bytes[..last_start - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let before: Value = serde_json::from_slice(&bytes[before_start..last_start - 1]).unwrap();
    let before_event = before["event"].as_str().unwrap().to_owned();
    assert_ne!(before_event, "sys_shutdown");
    bytes.truncate(last_start + 20);
    std::fs::write(&newest, &bytes).unwrap();

    let report = verify(&dir);
    let chain = verified_chain(&report);
    assert_eq!(report.incomplete_tails, vec![source_name(&newest)]);
    assert_eq!(chain.end, EndState::Open);
    assert_eq!(chain.last_event.as_deref(), Some(before_event.as_str()));
    assert_eq!(chain.last_seq, before["seq"].as_u64());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sealed_shutdown_written_by_any_writer_closes_the_log() {
    // The verifier reads the record, not the writer: a sink fed directly closes the same way.
    let dir = temp_dir("direct");
    let sink = File::builder(&dir, key())
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    sink.write(
        b"{\"ts\":\"2026-11-23T00:00:00.000000000Z\",\"seq\":1,\"event\":\"order.place\"}\n",
    )
    .unwrap();
    sink.write(
        b"{\"ts\":\"2026-11-23T00:00:01.000000000Z\",\"seq\":2,\"event\":\"sys_shutdown\"}\n",
    )
    .unwrap();
    sink.flush().unwrap();
    let report = verify(&dir);
    let chain = verified_chain(&report);
    assert_eq!(
        (chain.end, chain.records, chain.last_seq),
        (EndState::Closed, 3, Some(2))
    );
    assert_eq!(lines_of(&log_files(&dir).unwrap()[0]).len(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checkpoints_after_the_shutdown_keep_the_log_closed() {
    let dir = temp_dir("checkpointed");
    let kept: Arc<Mutex<Vec<Checkpoint>>> = Arc::default();
    let sink = {
        let kept = kept.clone();
        File::builder(&dir, key())
            .fsync(Fsync::Never)
            .checkpoint_every(Duration::from_millis(10))
            .on_checkpoint(move |cp| kept.lock().unwrap().push(cp.clone()))
            .open()
            .unwrap()
    };
    sink.write(
        b"{\"ts\":\"2026-11-23T00:00:00.000000000Z\",\"seq\":1,\"event\":\"order.place\"}\n",
    )
    .unwrap();
    sink.write(
        b"{\"ts\":\"2026-11-23T00:00:01.000000000Z\",\"seq\":2,\"event\":\"sys_shutdown\"}\n",
    )
    .unwrap();
    sink.flush().unwrap();
    // The sink goes on taking checkpoints until it is dropped.
    let written = kept.lock().unwrap().len();
    let deadline = Instant::now() + Duration::from_secs(20);
    while kept.lock().unwrap().len() < written + 3 {
        assert!(Instant::now() < deadline, "no checkpoint was taken");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(sink);
    let checkpoint = kept.lock().unwrap().last().cloned().unwrap();
    let newest = log_files(&dir).unwrap().pop().unwrap();
    let lines = lines_of(&newest);
    assert_eq!(lines.len(), 3, "checkpoints add no line after the shutdown");
    assert_eq!(checkpoint.count, 2, "the checkpoint names the shutdown");
    assert_eq!(checkpoint_problem(&log_sources(&dir), &checkpoint), None);
    let report = verify(&dir);
    let chain = verified_chain(&report);
    assert_eq!(chain.end, EndState::Closed);
    assert_eq!(chain.last_event.as_deref(), Some("sys_shutdown"));
    assert_eq!(chain.last_seq, Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
