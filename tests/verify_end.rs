//! How a verified log ends: closed by the guard's `sys_shutdown`, or open — a writer killed
//! mid-stream, or records cut from the end at a line boundary, which the chain alone cannot
//! tell from a log still being written.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seclog::Sink;
use seclog::integrity::{ChainKey, EndState, log_files, verify_dir};
use seclog::sink::{File, Fsync};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seclog-end-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn key() -> ChainKey {
    ChainKey::from_bytes([9; 32])
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

#[test]
fn a_clean_shutdown_ends_closed() {
    let dir = write_closed_log("closed");
    let report = verify_dir(&key(), &dir).unwrap();
    assert_eq!(report.failure, None);
    let end = report.end.expect("a log has an end");
    let newest = log_files(&dir).unwrap().pop().unwrap();
    assert_eq!(end.state, EndState::Closed);
    assert_eq!(end.file, newest);
    assert_eq!(end.last_line, lines_of(&newest).len() as u64);
    assert_eq!(end.last_event.as_deref(), Some("sys_shutdown"));
    assert!(end.last_seq.is_some_and(|s| s >= 300), "{end:?}");
    assert!(end.last_ts.as_deref().is_some_and(|t| t.ends_with('Z')));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_cut_at_a_line_boundary_verifies_but_ends_open() {
    let dir = write_closed_log("cut");
    // Cut the last 200 records, the shutdown among them, at a line boundary: what is left
    // still verifies record by record.
    let mut cut = 200usize;
    let mut files = log_files(&dir).unwrap();
    while cut > 0 {
        let newest = files.last().unwrap().clone();
        let lines = lines_of(&newest);
        // Keep the header of the oldest file; drop whole files above it.
        if lines.len() - 1 <= cut && files.len() > 1 {
            cut -= lines.len() - 1;
            std::fs::remove_file(&newest).unwrap();
            files.pop();
            continue;
        }
        let keep = lines.len() - cut;
        std::fs::write(&newest, lines[..keep].join("\n") + "\n").unwrap();
        cut = 0;
    }
    let newest = files.last().unwrap().clone();
    let remaining = lines_of(&newest);

    let report = verify_dir(&key(), &dir).unwrap();
    assert_eq!(
        report.failure, None,
        "a cut at a line boundary breaks no MAC"
    );
    let end = report.end.unwrap();
    assert_eq!(end.state, EndState::Open);
    assert_eq!(end.file, newest);
    assert_eq!(end.last_line, remaining.len() as u64);
    assert_eq!(end.last_event.as_deref(), Some("order.place"));
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

    let report = verify_dir(&key(), &dir).unwrap();
    assert_eq!(report.failure, None, "every complete record verifies");
    let end = report.end.unwrap();
    assert_eq!(end.state, EndState::Open);
    let newest = log_files(&dir).unwrap().pop().unwrap();
    let complete = std::fs::read(&newest)
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    assert_eq!(end.last_line, complete as u64, "a torn tail is not counted");
    assert_ne!(end.last_event.as_deref(), Some("sys_shutdown"));
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
    let before: serde_json::Value =
        serde_json::from_slice(&bytes[before_start..last_start - 1]).unwrap();
    let before_event = before["event"].as_str().unwrap().to_owned();
    assert_ne!(before_event, "sys_shutdown");
    bytes.truncate(last_start + 20);
    std::fs::write(&newest, &bytes).unwrap();

    let report = verify_dir(&key(), &dir).unwrap();
    assert_eq!(report.failure, None);
    assert_eq!(report.incomplete_tails, vec![newest.clone()]);
    let end = report.end.unwrap();
    assert_eq!(end.state, EndState::Open);
    assert_eq!(end.last_event.as_deref(), Some(before_event.as_str()));
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
    sink.write(b"{\"seq\":1,\"event\":\"order.place\"}\n")
        .unwrap();
    sink.write(b"{\"seq\":2,\"event\":\"sys_shutdown\"}\n")
        .unwrap();
    sink.flush().unwrap();
    let end = verify_dir(&key(), &dir).unwrap().end.unwrap();
    assert_eq!(
        (end.state, end.last_line, end.last_seq),
        (EndState::Closed, 3, Some(2))
    );
}

#[test]
fn checkpoints_after_the_shutdown_keep_the_log_closed() {
    let dir = temp_dir("checkpointed");
    let sink = File::builder(&dir, key())
        .fsync(Fsync::Never)
        .checkpoint_every(Duration::from_millis(10))
        .open()
        .unwrap();
    sink.write(b"{\"seq\":1,\"event\":\"order.place\"}\n")
        .unwrap();
    sink.write(b"{\"seq\":2,\"event\":\"sys_shutdown\"}\n")
        .unwrap();
    sink.flush().unwrap();
    let newest = log_files(&dir).unwrap().pop().unwrap();
    // The sink goes on writing checkpoints until it is dropped.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&newest)
        .unwrap()
        .lines()
        .last()
        .is_some_and(|l| l.contains("seclog_checkpoint"))
    {
        assert!(Instant::now() < deadline, "no checkpoint was written");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(sink);
    let report = verify_dir(&key(), &dir).unwrap();
    assert_eq!(report.failure, None);
    let end = report.end.unwrap();
    assert_eq!(end.state, EndState::Closed);
    assert_eq!(end.last_event.as_deref(), Some("sys_shutdown"));
    assert_eq!(end.last_line, lines_of(&newest).len() as u64);
    assert!(end.last_line > 3, "checkpoints follow the shutdown");
    std::fs::remove_dir_all(&dir).unwrap();
}
