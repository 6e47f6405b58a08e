//! Tamper-evident files: the file sink's chain across rotated files, file modes, and the
//! verifier's verdicts on tampered directories.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use seclog::Sink;
use seclog::integrity::{ChainKey, TamperKind, log_files, verify_dir};
use seclog::sink::{File, Fsync};

fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "seclog-test-{}-{name}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn key(b: u8) -> ChainKey {
    ChainKey::from_bytes([b; 32])
}

/// Writes `n` records through a file sink that rotates every ~8 KiB.
fn write_log(dir: &Path, k: &ChainKey, n: u64) {
    let sink = File::builder(dir, k.clone())
        .max_bytes(8 * 1024)
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    for seq in 1..=n {
        let record = format!(
            "{{\"ts\":\"2026-11-23T00:00:00.000000000Z\",\"seq\":{seq},\"event\":\"order.place\",\"inputs\":{{\"n\":{seq}}}}}\n"
        );
        sink.write(record.as_bytes()).unwrap();
    }
    sink.flush().unwrap();
}

#[test]
fn a_rotated_log_verifies_and_files_are_private() {
    let dir = temp_dir("clean");
    let k = key(1);
    write_log(&dir, &k, 3000);
    let files = log_files(&dir).unwrap();
    assert!(files.len() > 10, "rotated into {} files", files.len());
    let report = verify_dir(&k, &dir).unwrap();
    assert_eq!(report.failure, None);
    assert!(!report.starts_after_retention);
    assert_eq!(
        report.valid,
        3000 + files.len() as u64,
        "records plus one header per file"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in &files {
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tampered_directories_are_caught_with_the_right_kind() {
    let k = key(2);
    let fresh = |name: &str| {
        let dir = temp_dir(name);
        write_log(&dir, &k, 1500);
        let files = log_files(&dir).unwrap();
        (dir, files)
    };

    // One flipped byte in a middle file.
    let (dir, files) = fresh("flip");
    let target = &files[files.len() / 2];
    let mut bytes = std::fs::read(target).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
    std::fs::write(target, bytes).unwrap();
    let f = verify_dir(&k, &dir).unwrap().failure.unwrap();
    assert_eq!((&f.file, f.kind), (target, TamperKind::Modified));
    std::fs::remove_dir_all(&dir).unwrap();

    // A whole middle file deleted.
    let (dir, files) = fresh("missing");
    std::fs::remove_file(&files[3]).unwrap();
    let f = verify_dir(&k, &dir).unwrap().failure.unwrap();
    assert_eq!(
        (&f.file, f.line, f.kind),
        (&files[4], 1, TamperKind::MissingFile)
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // The oldest files deleted (retention): what remains still verifies.
    let (dir, files) = fresh("retention");
    std::fs::remove_file(&files[0]).unwrap();
    std::fs::remove_file(&files[1]).unwrap();
    let report = verify_dir(&k, &dir).unwrap();
    assert_eq!(report.failure, None);
    assert!(report.starts_after_retention);

    // Another key: nothing verifies.
    let f = verify_dir(&key(3), &dir).unwrap().failure.unwrap();
    assert_eq!((f.line, f.kind), (1, TamperKind::BadKey));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A copy of `src` (a flat directory) at a new temporary path.
fn copy_dir(src: &Path, name: &str) -> PathBuf {
    let dst = temp_dir(name);
    std::fs::create_dir_all(&dst).unwrap();
    for f in log_files(src).unwrap() {
        std::fs::copy(&f, dst.join(f.file_name().unwrap())).unwrap();
    }
    dst
}

/// Rewrites the lines of a file with `edit`.
fn edit_lines(file: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let content = std::fs::read_to_string(file).unwrap();
    let mut lines: Vec<String> = content.lines().map(str::to_owned).collect();
    edit(&mut lines);
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
}

#[test]
fn attacks_on_a_ten_thousand_record_log() {
    let k = key(7);
    let clean = temp_dir("attacks");
    write_log(&clean, &k, 10_000);
    assert_eq!(
        verify_dir(&k, &clean).unwrap().failure,
        None,
        "a clean log passes"
    );
    let files = log_files(&clean).unwrap();
    let middle = files.len() / 2;

    let verdict = |dir: &PathBuf| {
        verify_dir(&k, dir)
            .unwrap()
            .failure
            .map(|f| (f.line, f.kind))
    };
    let in_copy = |dir: &PathBuf, i: usize| dir.join(files[i].file_name().unwrap());

    let dir = copy_dir(&clean, "flip");
    let target = in_copy(&dir, middle);
    let mut bytes = std::fs::read(&target).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x20;
    std::fs::write(&target, bytes).unwrap();
    assert_eq!(verdict(&dir).map(|v| v.1), Some(TamperKind::Modified));

    let dir = copy_dir(&clean, "delete-line");
    edit_lines(&in_copy(&dir, middle), |l| {
        l.remove(10);
    });
    assert_eq!(verdict(&dir), Some((11, TamperKind::Deleted)));

    let dir = copy_dir(&clean, "duplicate");
    edit_lines(&in_copy(&dir, middle), |l| {
        let copy = l[10].clone();
        l.insert(11, copy);
    });
    assert_eq!(verdict(&dir), Some((12, TamperKind::Inserted)));

    let dir = copy_dir(&clean, "swap");
    edit_lines(&in_copy(&dir, middle), |l| l.swap(10, 11));
    assert_eq!(verdict(&dir), Some((11, TamperKind::Reordered)));

    // A forged record made with another key, given the next sequence number.
    let forger = temp_dir("forger");
    write_log(&forger, &key(8), 10_000);
    let forged_files = log_files(&forger).unwrap();
    let dir = copy_dir(&clean, "insert-forged");
    let forged_line = std::fs::read_to_string(&forged_files[middle])
        .unwrap()
        .lines()
        .nth(10)
        .unwrap()
        .to_owned();
    edit_lines(&in_copy(&dir, middle), |l| l.insert(10, forged_line));
    assert_eq!(verdict(&dir), Some((11, TamperKind::Inserted)));

    // The tail cut, against the checkpoint kept off the host when the log was complete.
    let dir = copy_dir(&clean, "cut-tail");
    let last_file = files.last().unwrap();
    let last_line = std::fs::read_to_string(last_file)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let head_hex = serde_json::from_str::<serde_json::Value>(&last_line).unwrap()["mac"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut head = [0u8; 32];
    for (i, b) in head.iter_mut().enumerate() {
        *b = u8::from_str_radix(&head_hex[2 * i..2 * i + 2], 16).unwrap();
    }
    let checkpoint = seclog::integrity::Checkpoint {
        count: verify_dir(&k, &clean).unwrap().valid,
        head,
        key_id: k.id().to_owned(),
        ts: String::new(),
    };
    let copy_files = log_files(&dir).unwrap();
    edit_lines(copy_files.last().unwrap(), |l| {
        l.truncate((l.len() / 2).max(1))
    });
    assert_eq!(
        verify_dir(&k, &dir).unwrap().failure,
        None,
        "the chain alone cannot tell"
    );
    let cut = seclog::integrity::verify_files_against(&k, &copy_files, Some(&checkpoint))
        .unwrap()
        .failure
        .map(|f| f.kind);
    assert_eq!(cut, Some(TamperKind::Truncated));

    let dir = copy_dir(&clean, "delete-file");
    std::fs::remove_file(in_copy(&dir, middle)).unwrap();
    assert_eq!(verdict(&dir), Some((1, TamperKind::MissingFile)));

    // The whole log replaced by a consistent chain under another key.
    assert_eq!(verdict(&forger), Some((1, TamperKind::BadKey)));

    for d in [clean, forger] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

mod verifier_input {
    use proptest::prelude::*;
    use seclog::integrity::{ChainKey, Sealer, Verifier};

    fn sealed_log(n: u64) -> Vec<u8> {
        let key = ChainKey::from_bytes([4; 32]);
        let mut sealer = Sealer::new(&key, [0; 32]);
        let mut out = Vec::new();
        for seq in 1..=n {
            sealer.seal(
                format!("{{\"seq\":{seq},\"event\":\"e\"}}").as_bytes(),
                &mut out,
            );
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes get a verdict, never a panic.
        #[test]
        fn arbitrary_bytes_get_a_verdict(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let key = ChainKey::from_bytes([4; 32]);
            let _ = Verifier::check_all(&key, [0; 32], &bytes);
        }

        /// Any mutation of a sealed log is caught.
        #[test]
        fn mutated_logs_are_caught(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
            let key = ChainKey::from_bytes([4; 32]);
            let clean = sealed_log(40);
            let mut log = clean.clone();
            for (at, byte) in edits {
                let i = at.index(log.len());
                log[i] = byte;
            }
            let verdict = Verifier::check_all(&key, [0; 32], &log);
            if log == clean {
                prop_assert_eq!(verdict, Ok(40));
            } else {
                // Damage to the final newline alone leaves every record intact.
                let intact = log.len() == clean.len() && log[..log.len() - 1] == clean[..clean.len() - 1];
                prop_assert!(verdict.is_err() || intact, "undetected: {verdict:?}");
            }
        }
    }
}

/// Run as a child process by `a_crash_loses_only_the_line_being_written`: writes records as
/// fast as it can until it is killed.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var("SECLOG_TEST_CRASH_DIR") else {
        return;
    };
    let sink = File::builder(&dir, key(6))
        .max_bytes(64 * 1024)
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    let pad = "x".repeat(200);
    for seq in 1.. {
        let record = format!("{{\"seq\":{seq},\"event\":\"load\",\"pad\":\"{pad}\"}}\n");
        sink.write(record.as_bytes()).unwrap();
    }
}

#[test]
fn a_crash_loses_only_the_line_being_written() {
    let dir = temp_dir("crash");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env("SECLOG_TEST_CRASH_DIR", &dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Let it write for a while, then SIGKILL it mid-stream.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while log_files(&dir).map_or(0, |f| f.len()) < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let k = key(6);
    let before = verify_dir(&k, &dir).unwrap();
    assert_eq!(before.failure, None, "every complete record verifies");
    assert!(before.valid > 100, "{} records", before.valid);

    // A torn last line, if the kill landed mid-write, is reported as such, not as tampering.
    let last = log_files(&dir).unwrap().pop().unwrap();
    let mut bytes = std::fs::read(&last).unwrap();
    if bytes.last() == Some(&b'\n') {
        // Make the tear explicit: a record half written.
        bytes.extend_from_slice(b"{\"seq\":999999999,\"event\":\"lo");
        std::fs::write(&last, &bytes).unwrap();
    }
    let torn = verify_dir(&k, &dir).unwrap();
    assert_eq!(torn.failure, None);
    assert_eq!(torn.incomplete_tails, vec![last]);

    // A restart goes on with the chain.
    let sink = File::builder(&dir, k.clone())
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    for seq in 0..100 {
        sink.write(format!("{{\"seq\":{},\"event\":\"after\"}}\n", 10_000_000 + seq).as_bytes())
            .unwrap();
    }
    sink.flush().unwrap();
    let after = verify_dir(&k, &dir).unwrap();
    assert_eq!(after.failure, None, "{after:?}");
    assert_eq!(
        after.valid,
        torn.valid + 101,
        "100 records and the new file's header"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checkpoints_are_written_when_idle_and_catch_a_cut_tail() {
    use seclog::integrity::{Checkpoint, verify_files_against};
    use std::sync::{Arc, Mutex};

    let dir = temp_dir("checkpoints");
    let k = key(11);
    let kept: Arc<Mutex<Vec<Checkpoint>>> = Arc::default();
    let sink = {
        let kept = kept.clone();
        File::builder(&dir, k.clone())
            .fsync(Fsync::Never)
            .checkpoint_every(std::time::Duration::from_millis(50))
            .on_checkpoint(move |cp| kept.lock().unwrap().push(cp.clone()))
            .open()
            .unwrap()
    };
    for seq in 1..=200 {
        sink.write(format!("{{\"seq\":{seq},\"event\":\"e\"}}\n").as_bytes())
            .unwrap();
    }
    // Idle: checkpoints still come.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while kept.lock().unwrap().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(sink);
    let checkpoint = kept
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("checkpoints were taken");
    assert_eq!(checkpoint.key_id, k.id());
    assert_eq!(
        Checkpoint::from_json(&checkpoint.to_json()),
        Some(checkpoint.clone())
    );

    let files = log_files(&dir).unwrap();
    let clean = verify_files_against(&k, &files, Some(&checkpoint)).unwrap();
    assert_eq!(clean.failure, None);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("\"seclog_checkpoint\""));

    // Cut the tail: the last 50 records and the checkpoints after them are gone. The chain
    // alone still verifies; the kept checkpoint shows the cut.
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines[..lines.len() - 60].join("\n") + "\n";
    std::fs::write(&files[0], cut).unwrap();
    assert_eq!(verify_dir(&k, &dir).unwrap().failure, None);
    let f = verify_files_against(&k, &files, Some(&checkpoint))
        .unwrap()
        .failure
        .unwrap();
    assert_eq!(f.kind, TamperKind::Truncated);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn retention_deletes_old_files_records_it_and_the_rest_verifies() {
    let dir = temp_dir("retention-runtime");
    let k = key(12);
    let sink = File::builder(&dir, k.clone())
        .max_bytes(4 * 1024)
        .fsync(Fsync::Never)
        .retention(std::time::Duration::ZERO)
        .open()
        .unwrap();
    for seq in 1..=500 {
        sink.write(
            format!(
                "{{\"seq\":{seq},\"event\":\"e\",\"pad\":\"{}\"}}\n",
                "y".repeat(50)
            )
            .as_bytes(),
        )
        .unwrap();
    }
    sink.flush().unwrap();
    drop(sink);
    let files = log_files(&dir).unwrap();
    assert!(files.len() <= 2, "old files were deleted: {files:?}");
    let report = verify_dir(&k, &dir).unwrap();
    assert_eq!(report.failure, None);
    assert!(report.starts_after_retention);
    let text = std::fs::read_to_string(files.last().unwrap()).unwrap();
    assert!(
        text.contains("\"seclog_retention\":{\"deleted\":[\"seclog-"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[seclog::security_logged(event = "authn_login")]
fn login_for_env_child(user: &str, #[redact] password: &str) -> Result<(), ()> {
    if password == "right" { Ok(()) } else { Err(()) }
}

/// Run as a child process: an unmodified program, no set-up code.
#[test]
fn env_child() {
    if std::env::var("SECLOG_OUTPUT").is_err() {
        return;
    }
    for i in 0..20 {
        let _ = login_for_env_child("ann", if i % 2 == 0 { "right" } else { "wrong" });
    }
}

#[test]
fn the_environment_switches_an_unmodified_program_to_tamper_evident_files() {
    let dir = temp_dir("env");
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("chain.key");
    let k = ChainKey::generate().unwrap();
    std::fs::write(&key_file, k.to_hex().as_bytes()).unwrap();
    let logs = dir.join("logs");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "env_child", "--nocapture", "--test-threads=1"])
        .env("SECLOG_OUTPUT", format!("file:{}", logs.display()))
        .env("SECLOG_KEY_FILE", &key_file)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let report = verify_dir(&k, &logs).unwrap();
    assert_eq!(report.failure, None);
    let text = std::fs::read_to_string(&log_files(&logs).unwrap()[0]).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| r.get("event").is_some())
        .collect();
    assert_eq!(records.len(), 20, "{text}");
    assert_eq!(records[1]["event"], "authn_login_fail");
    assert_eq!(records[1]["inputs"]["password"], "[REDACTED]");
    assert!(
        records
            .iter()
            .all(|r| r["mac"].as_str().is_some_and(|m| m.len() == 64))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
