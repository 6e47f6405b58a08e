//! The `seclog` command: keygen, verify's summary and exit codes, cat's filters.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use seclog_runtime::Sink;
use seclog_runtime::integrity::{ChainKey, Seal, VerifierSecret};
use seclog_runtime::sink::{File, Fsync};

fn seclog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seclog"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seclog-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_log(dir: &Path, key: &ChainKey, n: u64) {
    let sink = File::builder(dir, key.clone())
        .max_bytes(16 * 1024)
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    for seq in 1..=n {
        let (event, user) = if seq % 10 == 0 {
            ("authn_login_fail", "mallory")
        } else {
            ("order.place", "ann")
        };
        let level = if seq % 10 == 0 { "WARN" } else { "INFO" };
        sink.write(
            format!(
                "{{\"ts\":\"2026-11-23T00:00:{:02}.000000000Z\",\"seq\":{seq},\"event\":\"{event}\",\"level\":\"{level}\",\"outcome\":\"success\",\"who\":{{\"user\":\"{user}\"}}}}\n",
                seq % 60
            )
            .as_bytes(),
        )
        .unwrap();
    }
    sink.flush().unwrap();
}

#[test]
fn keygen_writes_a_private_key_once() {
    let dir = temp_dir("keygen");
    let key = dir.join("chain.key");
    let o = seclog(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let hex = std::fs::read_to_string(&key).unwrap();
    let parsed = ChainKey::from_hex(&hex).unwrap();
    assert!(text(&o).contains(&format!("key id {}", parsed.id())));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let again = seclog(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "refuses to overwrite: {}",
        text(&again)
    );
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        hex,
        "the key is untouched"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verify_reports_and_exits_by_verdict() {
    let dir = temp_dir("verify");
    let logs = dir.join("logs");
    let key_file = dir.join("chain.key");
    assert_eq!(
        seclog(&["keygen", "--out", key_file.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let key = ChainKey::from_hex(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    write_log(&logs, &key, 2000);
    let verify = || {
        seclog(&[
            "verify",
            "--key",
            key_file.to_str().unwrap(),
            logs.to_str().unwrap(),
        ])
    };

    let o = verify();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains(&format!("Keys:     {}", key.id())), "{out}");
    assert!(
        out.contains("Read:     2001 lines: 2001 verified records in 1 chains, 0 other lines, 0 unsealed records"),
        "seclog.chain and 2000 records: {out}"
    );
    assert!(out.contains("Result:   VALID"), "{out}");

    // Delete one line of a middle file: its seq is missing.
    let files = seclog_runtime::integrity::log_files(&logs).unwrap();
    assert!(files.len() > 3, "rotated");
    let target = &files[files.len() / 2];
    let content = std::fs::read_to_string(target).unwrap();
    let mut lines: Vec<&str> = content.lines().collect();
    let removed: serde_json::Value = serde_json::from_str(lines.remove(5)).unwrap();
    std::fs::write(target, lines.join("\n") + "\n").unwrap();
    let chain = removed["chain"].as_str().unwrap();
    let seq = removed["seq"].as_u64().unwrap();
    let o = verify();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("Result:   TAMPERED"), "{out}");
    assert!(
        out.contains(&format!("Missing:  chain {chain} seq {seq}\n")),
        "{out}"
    );

    let o = seclog(&[
        "verify",
        "--key",
        "/nonexistent/key",
        logs.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = seclog(&["verify"]);
    assert_eq!(o.status.code(), Some(2), "usage: {}", text(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cat_prints_records_readably_with_filters() {
    let dir = temp_dir("cat");
    let key = ChainKey::from_bytes([5; 32]);
    write_log(&dir, &key, 100);
    let o = seclog(&[
        "cat",
        dir.to_str().unwrap(),
        "--event",
        "authn_login_fail",
        "--user",
        "mallory",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10, "{out}");
    assert!(
        lines[0].contains("WARN")
            && lines[0].contains("authn_login_fail")
            && lines[0].contains("user=mallory")
    );
    let o = seclog(&[
        "cat",
        dir.to_str().unwrap(),
        "--level",
        "info",
        "--since",
        "2026-11-23T00:00:50",
    ]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.lines().all(|l| l.contains("INFO")));
    assert!(!out.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cat_prints_the_chains_first_record_but_not_key_notes() {
    let dir = temp_dir("cat-public");
    let seal = Seal::to(VerifierSecret::generate().public().clone());
    let sink = File::builder(&dir, seal)
        .max_bytes(2 * 1024)
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    for seq in 1..=60 {
        sink.write(
            format!("{{\"ts\":\"2026-11-23T00:00:{:02}.000000000Z\",\"seq\":{seq},\"event\":\"order.place\",\"level\":\"INFO\",\"outcome\":\"success\",\"who\":{{\"user\":\"ann\"}}}}\n", seq % 60)
                .as_bytes(),
        )
        .unwrap();
    }
    drop(sink);
    let files = seclog_runtime::integrity::log_files(&dir).unwrap();
    assert!(files.len() > 2, "rotated, with key notes");
    let o = seclog(&["cat", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 61, "seclog.chain and 60 records: {out}");
    assert!(lines[0].contains(" seclog.chain success "), "{out}");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains(" order.place success user=ann ")),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verify_against_a_kept_checkpoint_catches_a_cut_tail() {
    use std::sync::{Arc, Mutex};

    let dir = temp_dir("checkpoint");
    let logs = dir.join("logs");
    let key = ChainKey::from_bytes([6; 32]);
    let key_file = dir.join("chain.key");
    std::fs::write(&key_file, key.to_hex().as_bytes()).unwrap();
    let kept: Arc<Mutex<Option<String>>> = Arc::default();
    let sink = {
        let kept = kept.clone();
        File::builder(&logs, key.clone())
            .checkpoint_every(std::time::Duration::from_millis(30))
            .on_checkpoint(move |cp| *kept.lock().unwrap() = Some(cp.to_json()))
            .open()
            .unwrap()
    };
    for seq in 1..=100 {
        sink.write(
            format!(
                "{{\"ts\":\"2026-11-23T00:00:00.000000000Z\",\"seq\":{seq},\"event\":\"e\"}}\n"
            )
            .as_bytes(),
        )
        .unwrap();
    }
    // The first checkpoint after the last record.
    let checkpoint = loop {
        let cp = kept.lock().unwrap().clone();
        if let Some(cp) = cp.filter(|c| c.contains("\"count\":100,")) {
            break cp;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    drop(sink);
    let cp_file = dir.join("checkpoint.json");
    std::fs::write(&cp_file, checkpoint).unwrap();
    let args = |logs: &Path| {
        seclog(&[
            "verify",
            "--key",
            key_file.to_str().unwrap(),
            "--checkpoint",
            cp_file.to_str().unwrap(),
            logs.to_str().unwrap(),
        ])
    };
    let o = args(&logs);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("Checkpoint: reached (seq 100)"),
        "{}",
        text(&o)
    );

    // Cut after 40 lines (seclog.chain and seq 1..=39): what is left verifies, but the
    // checkpoint is not reached.
    let file = seclog_runtime::integrity::log_files(&logs)
        .unwrap()
        .pop()
        .unwrap();
    let content = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = content.lines().collect();
    std::fs::write(&file, lines[..40].join("\n") + "\n").unwrap();
    let o = args(&logs);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("Checkpoint: seq 100: truncated"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("Result:   TAMPERED"), "{}", text(&o));

    // Every file deleted: nothing of what the checkpoint counts is left.
    for f in seclog_runtime::integrity::log_files(&logs).unwrap() {
        std::fs::remove_file(f).unwrap();
    }
    let o = args(&logs);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("Found:    no sealed records"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("Checkpoint: seq 100: truncated"),
        "{}",
        text(&o)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes `n` records and a final `sys_shutdown`, as the guard does at a clean exit, into a
/// single file; returns it.
fn write_closed_log(dir: &Path, key: &ChainKey, n: u64) -> PathBuf {
    let sink = File::builder(dir, key.clone())
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    for seq in 1..=n {
        sink.write(
            format!(
                "{{\"ts\":\"2026-11-30T22:00:00.000000000Z\",\"seq\":{seq},\"event\":\"order.place\",\"where\":{{\"service\":\"shop\",\"host\":\"web-1\",\"pid\":311}}}}\n"
            )
            .as_bytes(),
        )
        .unwrap();
    }
    sink.write(
        format!(
            "{{\"ts\":\"2026-11-30T23:00:00.000000000Z\",\"seq\":{},\"event\":\"sys_shutdown\",\"level\":\"WARN\",\"where\":{{\"service\":\"shop\",\"host\":\"web-1\",\"pid\":311}}}}\n",
            n + 1
        )
        .as_bytes(),
    )
    .unwrap();
    sink.flush().unwrap();
    let mut files = seclog_runtime::integrity::log_files(dir).unwrap();
    assert_eq!(files.len(), 1);
    files.pop().unwrap()
}

fn verify_json(key_file: &Path, logs: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec![
        "verify",
        "--json",
        "--key",
        key_file.to_str().unwrap(),
        logs.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = seclog(&args);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("--json prints one JSON object ({e}): {}", text(&o)));
    (o.status.code(), v)
}

#[test]
fn verify_says_whether_the_log_ends_closed_or_open() {
    let dir = temp_dir("end");
    let logs = dir.join("logs");
    let key = ChainKey::from_bytes([7; 32]);
    let key_file = dir.join("chain.key");
    std::fs::write(&key_file, key.to_hex().as_bytes()).unwrap();
    let file = write_closed_log(&logs, &key, 500);
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--key", key_file.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(logs.to_str().unwrap());
        seclog(&args)
    };
    let row = |out: &str| -> Vec<String> {
        out.lines()
            .skip_while(|l| !l.starts_with("chain "))
            .nth(1)
            .unwrap_or_else(|| panic!("a row: {out}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };

    // Closed: seclog.chain + 500 records + the shutdown.
    let o = verify(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("Result:   VALID"), "{out}");
    let r = row(&out);
    assert_eq!(&r[1..5], ["web-1", "311", "shop", "502"], "{out}");
    assert_eq!(r[r.len() - 2], "closed", "{out}");
    assert_eq!(verify(&["--require-closed"]).status.code(), Some(0));
    let (code, v) = verify_json(&key_file, &logs, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(v["verdict"], "VALID");
    let c = &v["chains"][0];
    assert_eq!(v["chains"].as_array().unwrap().len(), 1);
    assert_eq!(c["seal"], "symmetric");
    assert_eq!(c["key_id"], key.id());
    assert_eq!(c["records"], 502);
    assert_eq!(c["problems"], serde_json::json!([]));
    assert_eq!(c["end"], "closed");
    assert_eq!(c["first_seq"], 1);
    assert_eq!(c["last_seq"], 501);
    assert_eq!(c["last_event"], "sys_shutdown");
    assert_eq!(c["last_ts"], "2026-11-30T23:00:00.000000000Z");
    assert_eq!(c["host"], "web-1");
    assert_eq!(c["pid"], 311);

    // The last 200 records, the shutdown among them, cut at a line boundary: every MAC that
    // is left verifies, so the verdict stays VALID, but the end is open and says so.
    let content = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = content.lines().collect();
    std::fs::write(&file, lines[..302].join("\n") + "\n").unwrap();
    let o = verify(&[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "an open end alone is not tampering: {}",
        text(&o)
    );
    let out = text(&o);
    assert!(out.contains("Result:   VALID"), "{out}");
    let r = row(&out);
    assert_eq!(r[r.len() - 2], "open", "{out}");
    let o = verify(&["--require-closed"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--require-closed"), "{}", text(&o));
    let (code, v) = verify_json(&key_file, &logs, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(v["verdict"], "VALID");
    let c = &v["chains"][0];
    assert_eq!(c["end"], "open");
    assert_eq!(c["records"], 302);
    assert_eq!(c["last_seq"], 301);
    assert_eq!(c["last_event"], "order.place");
    let (code, v) = verify_json(&key_file, &logs, &["--require-closed"]);
    assert_eq!((code, v["require_closed"].as_bool()), (Some(1), Some(true)));

    // A writer that crashed mid-line: the torn line is not a record, the end is open.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend_from_slice(
        b"{\"ts\":\"2026-11-30T23:00:00.000000000Z\",\"seq\":302,\"event\":\"sys_shu",
    );
    std::fs::write(&file, &bytes).unwrap();
    let (code, v) = verify_json(&key_file, &logs, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["chains"][0]["end"], "open");
    assert_eq!(v["chains"][0]["last_seq"], 301);
    assert_eq!(
        v["incomplete_tails"],
        serde_json::json!([file.display().to_string()])
    );

    // Tampering is reported with the end alongside: a record removed is missing.
    let content = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = content.lines().collect();
    lines.truncate(302);
    lines.remove(10);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let (code, v) = verify_json(&key_file, &logs, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["verdict"], "TAMPERED");
    let c = &v["chains"][0];
    assert_eq!(c["missing"], serde_json::json!([[10, 10]]));
    assert_eq!(c["problems"], serde_json::json!([]));
    assert_eq!(c["end"], "open");

    // Moved within the file: the file sink writes in seq order, so it is reordered.
    let mut lines: Vec<&str> = content.lines().collect();
    lines.truncate(302);
    let moved = lines.remove(20);
    lines.insert(30, moved);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let (code, v) = verify_json(&key_file, &logs, &[]);
    assert_eq!(code, Some(1), "{v:#}");
    let c = &v["chains"][0];
    assert_eq!(
        c["problems"],
        serde_json::json!([{"source": file.display().to_string(), "line": 31, "seq": 20, "kind": "reordered"}])
    );
    assert_eq!(c["missing"], serde_json::json!([]));
    std::fs::remove_dir_all(&dir).unwrap();
}
