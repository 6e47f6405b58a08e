//! Tamper-evident files: the file sink's chain across rotated files, file modes, and the
//! verifier's verdicts on tampered directories.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use common::{is_child, log_sources, run_child, source_name, verify_log_dir};
use seclog::Sink;
use seclog::integrity::{
    ArchiveReport, ChainKey, ChainProblem, ChainReport, Checkpoint, EndState, Keys, Location,
    TamperKind, checkpoint_problem, log_files,
};
use seclog::sink::{File, Fsync};
use serde_json::Value;

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

fn keys(k: &ChainKey) -> Keys {
    Keys::new().with_symmetric(k.clone())
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

/// The report's only chain.
fn only_chain(report: &ArchiveReport) -> &ChainReport {
    assert_eq!(report.chains.len(), 1, "one chain: {report:#?}");
    &report.chains[0]
}

fn problem(file: &Path, line: u64, seq: Option<u64>, kind: TamperKind) -> ChainProblem {
    ChainProblem {
        at: Location {
            source: source_name(file),
            line,
        },
        seq,
        kind,
    }
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

fn seq_of(line: &str) -> u64 {
    json(line)["seq"].as_u64().unwrap()
}

/// The `seq` of the first and last line of `file`, checking that the lines between hold every
/// `seq` between.
fn seq_range(file: &Path) -> (u64, u64) {
    let seqs: Vec<u64> = lines_of(file).iter().map(|l| seq_of(l)).collect();
    let (first, last) = (seqs[0], *seqs.last().unwrap());
    assert_eq!(seqs, (first..=last).collect::<Vec<_>>());
    (first, last)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_rotated_log_verifies_and_files_are_private() {
    let dir = temp_dir("clean");
    let k = key(1);
    write_log(&dir, &k, 3000);
    let files = log_files(&dir).unwrap();
    assert!(files.len() > 10, "rotated into {} files", files.len());
    let report = verify_log_dir(&keys(&k), &dir);
    assert!(report.verified(), "{report:#?}");
    let chain = only_chain(&report);
    assert_eq!(
        chain.records, 3001,
        "every record and the chain's first, seclog.chain"
    );
    assert_eq!(report.lines, 3001, "a symmetric seal writes no key notes");
    assert_eq!((chain.first_seq, chain.last_seq), (Some(1), Some(3000)));
    assert_eq!(
        (chain.seal.as_deref(), chain.key_id.as_deref()),
        (Some("symmetric"), Some(k.id()))
    );
    assert_eq!(chain.duplicates, 0);
    assert!(!chain.starts_after_retention);
    assert!(report.incomplete_tails.is_empty());
    assert_eq!(
        json(&lines_of(&files[0])[0])["event"],
        "seclog.chain",
        "the chain starts in the oldest file"
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

    // One flipped byte in a record of a middle file (a digit of its inputs).
    let (dir, files) = fresh("flip");
    let target = &files[files.len() / 2];
    let line = lines_of(target).len() / 2;
    let seq = seq_of(&lines_of(target)[line]);
    edit_lines(target, |l| {
        let mut bytes = std::mem::take(&mut l[line]).into_bytes();
        let at = String::from_utf8_lossy(&bytes).find("\"n\":").unwrap() + 4;
        bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
        l[line] = String::from_utf8(bytes).unwrap();
    });
    let report = verify_log_dir(&keys(&k), &dir);
    let chain = only_chain(&report);
    assert_eq!(
        chain.problems,
        vec![problem(
            target,
            line as u64 + 1,
            Some(seq),
            TamperKind::Modified
        )]
    );
    assert_eq!(chain.missing, vec![], "its seq is there");
    assert_eq!(chain.records, 1500);
    assert!(!report.verified());
    std::fs::remove_dir_all(&dir).unwrap();

    // A whole middle file deleted: its records are missing, what is left verifies.
    let (dir, files) = fresh("missing");
    let gone = seq_range(&files[3]);
    std::fs::remove_file(&files[3]).unwrap();
    let report = verify_log_dir(&keys(&k), &dir);
    let chain = only_chain(&report);
    assert_eq!(chain.missing, vec![gone]);
    assert_eq!(chain.problems, vec![]);
    assert_eq!(chain.records, 1501 - (gone.1 - gone.0 + 1));
    assert!(!report.verified());
    std::fs::remove_dir_all(&dir).unwrap();

    // The oldest files deleted (retention): what remains still verifies.
    let (dir, files) = fresh("retention");
    std::fs::remove_file(&files[0]).unwrap();
    std::fs::remove_file(&files[1]).unwrap();
    let first = seq_range(&files[2]).0;
    let report = verify_log_dir(&keys(&k), &dir);
    assert!(report.verified(), "{report:#?}");
    let chain = only_chain(&report);
    assert!(chain.starts_after_retention);
    assert_eq!((chain.first_seq, chain.last_seq), (Some(first), Some(1500)));
    assert_eq!(chain.records, 1500 - first + 1);

    // Another key: nothing verifies.
    let report = verify_log_dir(&keys(&key(3)), &dir);
    let chain = only_chain(&report);
    assert_eq!(
        chain.problems,
        vec![
            problem(&files[2], 1, Some(first), TamperKind::NoStart),
            problem(&files[2], 1, Some(first), TamperKind::BadKey),
        ]
    );
    assert_eq!(chain.records, 0);
    assert!(!chain.starts_after_retention);
    assert!(!report.verified());
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
    let report = verify_log_dir(&keys(&k), &clean);
    assert!(report.verified(), "a clean log passes: {report:#?}");
    assert_eq!(only_chain(&report).records, 10_001);
    let id = only_chain(&report).chain.clone();
    let files = log_files(&clean).unwrap();
    let middle = files.len() / 2;

    let verdict = |dir: &PathBuf| {
        let report = verify_log_dir(&keys(&k), dir);
        assert!(
            report.incomplete_tails.is_empty() && report.unsealed == 0,
            "{report:#?}"
        );
        report
    };
    let chain_of = |dir: &PathBuf| {
        let report = verdict(dir);
        only_chain(&report).clone()
    };
    let in_copy = |dir: &PathBuf, i: usize| dir.join(files[i].file_name().unwrap());
    let s10 = seq_of(&lines_of(&files[middle])[10]);

    // One bit flipped in a record: `order.place` becomes `Order.place`.
    let dir = copy_dir(&clean, "flip");
    let target = in_copy(&dir, middle);
    edit_lines(&target, |l| {
        l[10] = l[10].replacen("\"order.", "\"Order.", 1)
    });
    let chain = chain_of(&dir);
    assert_eq!(
        chain.problems,
        vec![problem(&target, 11, Some(s10), TamperKind::Modified)]
    );
    assert_eq!((chain.records, chain.missing.len()), (10_000, 0));
    std::fs::remove_dir_all(&dir).unwrap();

    // A record deleted: its seq is missing, and nothing else is wrong.
    let dir = copy_dir(&clean, "delete-line");
    edit_lines(&in_copy(&dir, middle), |l| {
        l.remove(10);
    });
    let chain = chain_of(&dir);
    assert_eq!(chain.missing, vec![(s10, s10)]);
    assert_eq!((chain.problems.len(), chain.records), (0, 10_000));
    std::fs::remove_dir_all(&dir).unwrap();

    // A record copied next to itself: an identical line is a duplicate, counted once.
    let dir = copy_dir(&clean, "duplicate");
    edit_lines(&in_copy(&dir, middle), |l| {
        let copy = l[10].clone();
        l.insert(11, copy);
    });
    let report = verdict(&dir);
    let chain = only_chain(&report);
    assert_eq!((chain.duplicates, chain.records), (1, 10_001));
    assert!(report.verified(), "{report:#?}");
    std::fs::remove_dir_all(&dir).unwrap();

    // Two records swapped: the later one stands before the earlier.
    let dir = copy_dir(&clean, "swap");
    let target = in_copy(&dir, middle);
    edit_lines(&target, |l| l.swap(10, 11));
    let chain = chain_of(&dir);
    assert_eq!(
        chain.problems,
        vec![problem(&target, 12, Some(s10), TamperKind::Reordered)]
    );
    assert_eq!((chain.records, chain.missing.len()), (10_001, 0));
    std::fs::remove_dir_all(&dir).unwrap();

    // A forged record made with another key, claiming this chain and the seq of a record in
    // it: the genuine record verifies, the forgery is an insertion.
    let forger = temp_dir("forger");
    write_log(&forger, &key(8), 10_000);
    let forged_files = log_files(&forger).unwrap();
    let forged_line = lines_of(&forged_files[middle])[10].clone();
    let forged_id = json(&forged_line)["chain"].as_str().unwrap().to_owned();
    let forged_seq = seq_of(&forged_line);
    let claimed = forged_line
        .replacen(
            &format!("\"seq\":{forged_seq},"),
            &format!("\"seq\":{s10},"),
            1,
        )
        .replacen(&forged_id, &id, 1);
    assert_eq!(
        (seq_of(&claimed), json(&claimed)["chain"].as_str()),
        (s10, Some(id.as_str()))
    );
    let dir = copy_dir(&clean, "insert-forged");
    let target = in_copy(&dir, middle);
    edit_lines(&target, |l| l.insert(10, claimed));
    let chain = chain_of(&dir);
    assert_eq!(
        chain.problems,
        vec![problem(&target, 11, Some(s10), TamperKind::Inserted)]
    );
    assert_eq!((chain.records, chain.missing.len()), (10_001, 0));
    std::fs::remove_dir_all(&dir).unwrap();

    // A record of another chain slipped in as it is: a chain no key held opens, with no start.
    let dir = copy_dir(&clean, "insert-foreign");
    let target = in_copy(&dir, middle);
    edit_lines(&target, |l| l.insert(10, forged_line.clone()));
    let report = verdict(&dir);
    assert_eq!(report.chains.len(), 2, "{report:#?}");
    let (ours, foreign): (Vec<&ChainReport>, Vec<&ChainReport>) =
        report.chains.iter().partition(|c| c.chain == id);
    assert!(ours[0].verified(), "{:#?}", ours[0]);
    assert_eq!(ours[0].records, 10_001);
    assert_eq!(foreign[0].chain, forged_id);
    assert_eq!(foreign[0].records, 0);
    assert_eq!(
        foreign[0].problems,
        vec![
            problem(&target, 11, Some(forged_seq), TamperKind::NoStart),
            problem(&target, 11, Some(forged_seq), TamperKind::BadKey),
        ]
    );
    assert!(!report.verified());
    std::fs::remove_dir_all(&dir).unwrap();

    // The tail cut, against the checkpoint kept off the host when the log was complete.
    let dir = copy_dir(&clean, "cut-tail");
    let last_line = json(lines_of(files.last().unwrap()).last().unwrap());
    let mut head = [0u8; 32];
    let head_hex = last_line["mac"].as_str().unwrap();
    for (i, b) in head.iter_mut().enumerate() {
        *b = u8::from_str_radix(&head_hex[2 * i..2 * i + 2], 16).unwrap();
    }
    let checkpoint = Checkpoint {
        count: last_line["seq"].as_u64().unwrap(),
        head,
        key_id: k.id().to_owned(),
        ts: String::new(),
        chain: Some(id.clone()),
    };
    assert_eq!(checkpoint.count, 10_000);
    assert_eq!(checkpoint_problem(&log_sources(&clean), &checkpoint), None);
    let copy_files = log_files(&dir).unwrap();
    let cut_file = copy_files.last().unwrap();
    edit_lines(cut_file, |l| l.truncate((l.len() / 2).max(1)));
    let kept_last = seq_of(lines_of(cut_file).last().unwrap());
    let report = verdict(&dir);
    assert!(
        report.verified(),
        "the chain alone cannot tell: {report:#?}"
    );
    let chain = only_chain(&report);
    assert_eq!(
        (chain.end, chain.last_seq),
        (EndState::Open, Some(kept_last))
    );
    assert_eq!(
        checkpoint_problem(&log_sources(&dir), &checkpoint),
        Some(TamperKind::Truncated)
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // A whole middle file deleted.
    let dir = copy_dir(&clean, "delete-file");
    let gone = seq_range(&files[middle]);
    std::fs::remove_file(in_copy(&dir, middle)).unwrap();
    let chain = chain_of(&dir);
    assert_eq!(chain.missing, vec![gone]);
    assert_eq!(chain.problems, vec![]);
    std::fs::remove_dir_all(&dir).unwrap();

    // The whole log replaced by a consistent chain under another key.
    let chain = chain_of(&forger);
    assert_eq!(
        chain.problems,
        vec![problem(&forged_files[0], 1, Some(0), TamperKind::BadKey)]
    );
    assert_eq!(chain.records, 0);

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
        let record = format!(
            "{{\"ts\":\"2026-11-23T00:00:00.000000000Z\",\"seq\":{seq},\"event\":\"load\",\"pad\":\"{pad}\"}}\n"
        );
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
    let before = verify_log_dir(&keys(&k), &dir);
    let chain = only_chain(&before).clone();
    assert!(
        chain.verified(),
        "every complete record verifies: {chain:#?}"
    );
    assert!(chain.records > 100, "{} records", chain.records);
    assert_eq!(
        chain.records,
        chain.last_seq.unwrap() + 1,
        "none lost before the last"
    );

    // A torn last line, if the kill landed mid-write, is reported as such, not as tampering.
    let last = log_files(&dir).unwrap().pop().unwrap();
    let mut bytes = std::fs::read(&last).unwrap();
    if bytes.is_empty() || bytes.last() == Some(&b'\n') {
        // Make the tear explicit: a record half written.
        bytes.extend_from_slice(
            b"{\"ts\":\"2026-11-23T00:00:00.000000000Z\",\"seq\":999999999,\"event\":\"lo",
        );
        std::fs::write(&last, &bytes).unwrap();
    }
    let torn = verify_log_dir(&keys(&k), &dir);
    assert_eq!(torn.incomplete_tails, vec![source_name(&last)]);
    assert_eq!((torn.unsealed, torn.other_lines), (0, 0));
    assert_eq!(
        only_chain(&torn),
        &chain,
        "the torn line is no record of the chain"
    );

    // A restart begins a chain of its own in a new file; the torn line stays the last of its
    // file.
    let sink = File::builder(&dir, k.clone())
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    for seq in 1..=100 {
        sink.write(
            format!(
                "{{\"ts\":\"2026-11-24T00:00:00.000000000Z\",\"seq\":{seq},\"event\":\"after\"}}\n"
            )
            .as_bytes(),
        )
        .unwrap();
    }
    sink.flush().unwrap();
    drop(sink);
    let after = verify_log_dir(&keys(&k), &dir);
    assert_eq!(after.incomplete_tails, vec![source_name(&last)]);
    assert_eq!(after.chains.len(), 2, "{after:#?}");
    assert_eq!(after.chains[0], chain, "the first run's chain is as it was");
    let restarted = &after.chains[1];
    assert_ne!(restarted.chain, chain.chain);
    assert!(restarted.verified(), "{restarted:#?}");
    assert_eq!(
        (restarted.records, restarted.first_seq, restarted.last_seq),
        (101, Some(1), Some(100)),
        "100 records and the chain's first"
    );
    assert_eq!(restarted.last_event.as_deref(), Some("after"));
    assert!(after.verified());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checkpoints_are_written_when_idle_and_catch_a_cut_tail() {
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
        sink.write(
            format!(
                "{{\"ts\":\"2026-11-23T00:00:00.000000000Z\",\"seq\":{seq},\"event\":\"e\"}}\n"
            )
            .as_bytes(),
        )
        .unwrap();
    }
    // Idle: checkpoints still come. The first after the writes may have been taken during
    // them; the two after it were taken idle.
    let written = kept.lock().unwrap().len();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while kept.lock().unwrap().len() < written + 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint while idle"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(sink);
    let kept = kept.lock().unwrap().clone();
    let (idle, checkpoint) = (&kept[kept.len() - 2], kept.last().unwrap().clone());
    assert_eq!((idle.count, idle.head), (checkpoint.count, checkpoint.head));
    assert_eq!(checkpoint.key_id, k.id());
    assert_eq!(
        Checkpoint::from_json(&checkpoint.to_json()),
        Some(checkpoint.clone())
    );

    // The checkpoint names the chain's last record; it is kept off the host, not in the file.
    let files = log_files(&dir).unwrap();
    assert_eq!(files.len(), 1);
    let lines = lines_of(&files[0]);
    assert_eq!(lines.len(), 201, "the chain's first record and the 200");
    let last = json(lines.last().unwrap());
    assert_eq!(checkpoint.chain.as_deref(), last["chain"].as_str());
    assert_eq!(checkpoint.count, 200);
    assert_eq!(Some(hex(&checkpoint.head).as_str()), last["mac"].as_str());
    assert!(verify_log_dir(&keys(&k), &dir).verified());
    assert_eq!(checkpoint_problem(&log_sources(&dir), &checkpoint), None);

    // Cut the tail: the last 50 records are gone. The chain alone still verifies; the kept
    // checkpoint shows the cut.
    std::fs::write(&files[0], lines[..lines.len() - 50].join("\n") + "\n").unwrap();
    let report = verify_log_dir(&keys(&k), &dir);
    assert!(report.verified(), "{report:#?}");
    let chain = only_chain(&report);
    assert_eq!((chain.end, chain.last_seq), (EndState::Open, Some(150)));
    assert_eq!(
        checkpoint_problem(&log_sources(&dir), &checkpoint),
        Some(TamperKind::Truncated)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Run as a child process by `retention_deletes_old_files_records_it_and_the_rest_verifies`:
/// the deletion is recorded through the pipeline, so the sink is installed.
#[test]
fn retention_child() {
    if !is_child("retention_child") {
        return;
    }
    let dir = std::env::var("SECLOG_TEST_DIR").unwrap();
    let sink = File::builder(&dir, key(12))
        .max_bytes(4 * 1024)
        .fsync(Fsync::Never)
        .retention(std::time::Duration::ZERO)
        .open()
        .unwrap();
    let guard = seclog::builder().sink(sink).install().unwrap();
    let pad = "y".repeat(50);
    for n in 0..500u32 {
        seclog::event!("order.place", n = n, pad = pad.as_str());
        // Batches small enough that the files rotate.
        if n % 10 == 9 {
            assert!(seclog::flush());
        }
    }
    drop(guard);
}

#[test]
fn retention_deletes_old_files_records_it_and_the_rest_verifies() {
    let dir = temp_dir("retention-runtime");
    run_child(
        "retention_child",
        &[("SECLOG_TEST_DIR", dir.to_str().unwrap())],
        &[],
    );
    let k = key(12);
    let files = log_files(&dir).unwrap();
    assert!(
        !files.is_empty() && files.len() <= 2,
        "old files were deleted: {files:?}"
    );
    let report = verify_log_dir(&keys(&k), &dir);
    assert!(report.verified(), "{report:#?}");
    let chain = only_chain(&report);
    assert!(chain.starts_after_retention);
    assert_eq!(chain.end, EndState::Closed, "{chain:#?}");
    let records: Vec<Value> = files
        .iter()
        .flat_map(|f| lines_of(f))
        .map(|l| json(&l))
        .collect();
    assert_eq!(chain.records, records.len() as u64, "every line verifies");
    assert!(
        records.iter().all(|r| r["event"] != "seclog.chain"),
        "the chain's first file is gone"
    );
    let retention = records
        .iter()
        .rev()
        .find(|r| r["event"] == "seclog.retention")
        .expect("the deletion is recorded");
    let deleted = retention["fields"]["deleted"].as_array().unwrap();
    assert!(!deleted.is_empty(), "{retention}");
    for name in deleted {
        let name = name.as_str().unwrap();
        assert!(
            name.starts_with("seclog-") && name.ends_with(".log"),
            "{name}"
        );
        assert!(!dir.join(name).exists(), "{name} was deleted");
    }
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
    let report = verify_log_dir(&keys(&k), &logs);
    assert!(report.verified(), "{report:#?}");
    let chain = only_chain(&report);
    assert_eq!(
        (chain.seal.as_deref(), chain.key_id.as_deref()),
        (Some("symmetric"), Some(k.id()))
    );
    let text = std::fs::read_to_string(&log_files(&logs).unwrap()[0]).unwrap();
    let lines: Vec<Value> = text.lines().map(json).collect();
    assert_eq!(chain.records, lines.len() as u64, "every line verifies");
    assert_eq!(lines[0]["event"], "seclog.chain");
    let records: Vec<&Value> = lines
        .iter()
        .filter(|r| {
            r["event"]
                .as_str()
                .is_some_and(|e| e.starts_with("authn_login"))
        })
        .collect();
    assert_eq!(records.len(), 20, "{text}");
    assert_eq!(records[1]["event"], "authn_login_fail");
    assert_eq!(records[1]["inputs"]["password"], "[REDACTED]");
    assert!(lines.iter().all(|r| {
        r["chain"] == chain.chain.as_str() && r["mac"].as_str().is_some_and(|m| m.len() == 64)
    }));
    std::fs::remove_dir_all(&dir).unwrap();
}
