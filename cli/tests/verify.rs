//! `seclog verify` on archives of many chains and `seclog keygen --verifier`: inputs (files,
//! directories, standard input, collectors' prefixes, CloudWatch exports), what each kind of
//! tampering reports, exit codes, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::str::FromStr;

use seclog_runtime::Sink;
use seclog_runtime::integrity::{ChainKey, ChainWriter, Seal, Sealer, VerifierKey, VerifierSecret};
use seclog_runtime::sink::{File, Fsync};
use serde_json::{Value, json};

mod common;

use common::run;

const BIN: &str = env!("CARGO_BIN_EXE_seclog");

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `seclog verify --json --key KEY [extra] PATHS`: the exit code and the report.
fn verify_json(key: &Path, paths: &[&str], extra: &[&str], stdin: Option<Vec<u8>>) -> (i32, Value) {
    let mut args = vec!["verify", "--json", "--key", key.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(paths);
    let o = run(&args, stdin);
    assert!(!stderr(&o).contains("panicked"), "{}", text(&o));
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("--json prints one JSON object ({e}): {}", text(&o)));
    (o.status.code().expect("exits, not killed"), v)
}

/// `seclog verify` (the table): the exit code and what it printed.
fn verify_table(
    key: &Path,
    paths: &[&str],
    extra: &[&str],
    stdin: Option<Vec<u8>>,
) -> (i32, String) {
    let mut args = vec!["verify", "--key", key.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(paths);
    let o = run(&args, stdin);
    assert!(!stderr(&o).contains("panicked"), "{}", text(&o));
    (o.status.code().expect("exits, not killed"), text(&o))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seclog-verify-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A verifier's key pair, its private key written to `dir/verifier.key`.
fn verifier(dir: &Path) -> (Seal, PathBuf, VerifierKey) {
    let secret = VerifierSecret::generate();
    let file = dir.join("verifier.key");
    std::fs::write(&file, secret.to_text().as_bytes()).unwrap();
    let public = secret.public().clone();
    (Seal::to(public.clone()), file, public)
}

fn record(seq: u64, event: &str, host: &str, pid: u32) -> String {
    format!(
        r#"{{"ts":"2026-12-02T10:{:02}:{:02}.{:09}Z","seq":{seq},"event":"{event}","level":"INFO","outcome":"success","where":{{"service":"shop","version":"1.4.2","host":"{host}","pid":{pid},"fn":"shop::orders::place"}},"who":{{"user":"ann","ip":"203.0.113.7"}}}}"#,
        (seq / 60) % 60,
        seq % 60,
        seq
    )
}

/// A chain of `n` records from `host`/`pid` (the last a `sys_shutdown` when `closed`): its id
/// and its lines without newlines, `lines[s]` holding `seq` s (`lines[0]` is `seclog.chain`).
fn chain(seal: &Seal, host: &str, pid: u32, n: u64, closed: bool) -> (String, Vec<String>) {
    let mut w = ChainWriter::new(seal).unwrap();
    let mut out = Vec::new();
    for seq in 1..=n {
        let event = if closed && seq == n {
            "sys_shutdown"
        } else {
            "order.place"
        };
        w.seal(record(seq, event, host, pid).as_bytes(), &mut out);
    }
    let text = String::from_utf8(out).unwrap();
    (w.id().to_owned(), text.lines().map(str::to_owned).collect())
}

fn joined(lines: &[String]) -> Vec<u8> {
    let mut out = lines.join("\n").into_bytes();
    out.push(b'\n');
    out
}

fn the_chain<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["chains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chain"] == id)
        .unwrap_or_else(|| panic!("chain {id} in {v:#}"))
}

fn kinds(c: &Value) -> Vec<String> {
    c["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn keygen_verifier_writes_the_private_key_once_and_prints_the_public_key() {
    let dir = temp_dir("keygen");
    let file = dir.join("verifier.key");
    let o = run(
        &["keygen", "--verifier", "--out", file.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout:?}");
    assert!(stdout.ends_with('\n'));
    let public = VerifierKey::from_str(stdout.trim_end()).expect("the public key parses");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        written.lines().nth(1),
        Some(stdout.trim_end()),
        "the file holds the private key, then the public key"
    );
    let secret = VerifierSecret::from_text(&written)
        .expect("a private key line")
        .expect("a private key");
    assert_eq!(secret.public(), &public, "the printed key is the file's");
    assert!(
        !stdout.contains(written.lines().next().unwrap()),
        "the private key never reaches stdout"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // Never over an existing file: neither a key nor anything else.
    for args in [
        vec!["keygen", "--verifier", "--out", file.to_str().unwrap()],
        vec!["keygen", "--out", file.to_str().unwrap()],
    ] {
        let again = run(&args, None);
        assert_eq!(again.status.code(), Some(2), "{}", text(&again));
        assert!(again.stdout.is_empty(), "no key printed: {}", text(&again));
        assert!(stderr(&again).contains("cannot create"), "{}", text(&again));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
    }
    let other = dir.join("notes.txt");
    std::fs::write(&other, "keep me").unwrap();
    let o = run(
        &["keygen", "--verifier", "--out", other.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "keep me");
    let o = run(
        &[
            "keygen",
            "--verifier",
            "--out",
            dir.join("no/such/dir/k").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // What the printed key seals, the written private key verifies.
    let (id, lines) = chain(&Seal::to(public.clone()), "web-1", 311, 20, true);
    let (code, v) = verify_json(&file, &["-"], &[], Some(joined(&lines)));
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "VALID");
    assert_eq!(v["key_ids"], json!([public.id()]));
    let c = the_chain(&v, &id);
    assert_eq!(c["seal"], "public");
    assert_eq!(c["key_id"], public.id());
    assert_eq!(c["records"], 21, "seclog.chain and 20 records");
    assert_eq!(c["verified"], true);
    // Two key pairs are two different keys.
    let second = dir.join("second.key");
    let o = run(
        &["keygen", "--verifier", "--out", second.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_ne!(String::from_utf8(o.stdout).unwrap(), stdout);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reads_files_directories_and_standard_input_together() {
    let dir = temp_dir("inputs");
    let (seal, key, _) = verifier(&dir);
    // A file of one chain, a file sink's directory (rotated: key notes), standard input.
    let (a, a_lines) = chain(&seal, "web-1", 311, 50, true);
    let file = dir.join("web-1.log");
    std::fs::write(&file, joined(&a_lines)).unwrap();
    let logs = dir.join("logs");
    let sink = File::builder(&logs, seal.clone())
        .max_bytes(4 * 1024)
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    for seq in 1..=200 {
        sink.write(format!("{}\n", record(seq, "order.place", "worker-7", 9)).as_bytes())
            .unwrap();
    }
    sink.flush().unwrap();
    drop(sink);
    let files = seclog_runtime::integrity::log_files(&logs).unwrap();
    assert!(files.len() > 3, "rotated");
    let notes = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .starts_with("{\"seclog_key\":")
        })
        .count();
    assert_eq!(
        notes,
        files.len() - 1,
        "each later file starts with a key note"
    );
    let (c, c_lines) = chain(&seal, "lambda", 1, 5, false);

    let (code, v) = verify_json(
        &key,
        &[file.to_str().unwrap(), logs.to_str().unwrap(), "-"],
        &[],
        Some(joined(&c_lines)),
    );
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "VALID");
    assert_eq!(v["chains"].as_array().unwrap().len(), 3);
    let a = the_chain(&v, &a);
    assert_eq!(
        (a["host"].clone(), a["pid"].clone()),
        (json!("web-1"), json!(311))
    );
    assert_eq!(a["records"], 51);
    assert_eq!(a["first_seq"], 1);
    assert_eq!(a["last_seq"], 50);
    assert_eq!(a["end"], "closed");
    assert_eq!(a["last_event"], "sys_shutdown");
    assert_eq!(a["service"], "shop");
    assert_eq!(a["first_ts"], "2026-12-02T10:00:01.000000001Z");
    assert_eq!(a["last_ts"], "2026-12-02T10:00:50.000000050Z");
    assert_eq!(a["missing"], json!([]));
    let sink_chain = v["chains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["host"] == "worker-7")
        .unwrap();
    assert_eq!(sink_chain["records"], 201);
    assert_eq!(sink_chain["end"], "open");
    assert_eq!(sink_chain["verified"], true);
    let c = the_chain(&v, &c);
    assert_eq!(c["records"], 6);
    assert_eq!(c["end"], "open");
    assert_eq!(v["lines"], 51 + 201 + (files.len() as u64 - 1) + 6);
    assert_eq!(v["other_lines"], 0, "key notes are no stray lines");
    assert_eq!(v["unsealed"], 0);

    // The directory alone: lines in seq order, and what retention left still verifies.
    let (code, v) = verify_json(&key, &[logs.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{v:#}");
    std::fs::remove_file(&files[0]).unwrap();
    let (code, v) = verify_json(&key, &[logs.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["chains"][0]["starts_after_retention"], true);
    assert_eq!(v["chains"][0]["missing"], json!([]));
    assert_eq!(v["chains"][0]["last_seq"], 200);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What a collector writes before the record on line `i`.
type Prefix = Box<dyn Fn(usize) -> String>;

/// The same chain as a collector stores it: each line with its header.
fn with_prefixes(lines: &[String], prefix: impl Fn(usize) -> String) -> Vec<String> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{}{l}", prefix(i)))
        .collect()
}

#[test]
fn reads_records_after_collectors_prefixes_and_in_cloudwatch_exports() {
    let dir = temp_dir("prefixes");
    let (seal, key, _) = verifier(&dir);
    let prefixes: Vec<(&str, Prefix)> = vec![
        (
            "rfc5424",
            Box::new(|i| {
                format!(
                    "<134>1 2026-12-02T10:00:{i:02}.123456Z web-1 shop 311 - [origin ip=\"10.0.0.5\"] "
                )
            }),
        ),
        (
            "rfc5424-bom",
            Box::new(|_| "<165>1 2026-12-02T10:00:00.000Z web-1 shop 311 ID47 - \u{feff}".into()),
        ),
        (
            "rfc3164",
            Box::new(|i| format!("<134>Dec  2 10:00:{i:02} web-1 shop[311]: ")),
        ),
        (
            "rsyslog",
            Box::new(|i| format!("2026-12-02T10:00:{i:02}.123456+00:00 web-1 shop[311]: ")),
        ),
        (
            "lambda",
            Box::new(|i| {
                format!(
                    "2026-12-02T10:00:{i:02}.123Z\t3f8e1c2a-9d4b-4c1e-8a7f-0b6d5e4c3a21\tINFO\t"
                )
            }),
        ),
    ];
    let mut archive = Vec::new();
    let mut ids = Vec::new();
    for (n, (name, prefix)) in prefixes.iter().enumerate() {
        let (id, lines) = chain(&seal, name, n as u32 + 1, 12, n % 2 == 0);
        let lines = with_prefixes(&lines, prefix);
        let (code, v) = verify_json(&key, &["-"], &[], Some(joined(&lines)));
        assert_eq!(code, 0, "{name}: {v:#}");
        let c = the_chain(&v, &id);
        assert_eq!(c["records"], 13, "{name}");
        assert_eq!(c["host"], *name);
        assert_eq!(v["other_lines"], 0, "{name}");
        // Changed after the prefix: caught.
        let mut changed = lines.clone();
        changed[4] = changed[4].replace("\"ann\"", "\"bob\"");
        let (code, v) = verify_json(&key, &["-"], &[], Some(joined(&changed)));
        assert_eq!(code, 1, "{name}: {v:#}");
        assert_eq!(kinds(the_chain(&v, &id)), ["modified"], "{name}");
        assert_eq!(the_chain(&v, &id)["problems"][0]["line"], 5);
        assert_eq!(the_chain(&v, &id)["problems"][0]["seq"], 4);
        ids.push(id);
        archive.extend(lines);
    }
    // All of them in one archive, interleaved backwards, some twice (at-least-once transport).
    archive.reverse();
    let again: Vec<String> = archive.iter().step_by(7).cloned().collect();
    let duplicated = again.len();
    archive.extend(again);
    let path = dir.join("archive.log");
    std::fs::write(&path, joined(&archive)).unwrap();
    let (code, v) = verify_json(&key, &[path.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["chains"].as_array().unwrap().len(), prefixes.len());
    let dups: u64 = v["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["duplicates"].as_u64().unwrap())
        .sum();
    assert_eq!(dups, duplicated as u64);
    for id in &ids {
        assert_eq!(the_chain(&v, id)["records"], 13);
        assert_eq!(the_chain(&v, id)["missing"], json!([]));
    }

    // A CloudWatch Logs export: each message a line, Lambda's prefix and all.
    let (id, lines) = chain(&seal, "lambda", 8, 9, true);
    let events: Vec<Value> = with_prefixes(&lines, &prefixes[4].1)
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({
                "timestamp": 1_796_205_600_000u64 + i as u64,
                "message": format!("{m}\n"),
                "ingestionTime": 1_796_205_601_000u64 + i as u64,
                "logStreamName": "2026/12/02/[$LATEST]0123456789abcdef",
                "eventId": format!("{i:056}"),
            })
        })
        .collect();
    let export =
        serde_json::to_vec_pretty(&json!({"events": events, "searchedLogStreams": []})).unwrap();
    let path = dir.join("export.json");
    std::fs::write(&path, &export).unwrap();
    let (code, v) = verify_json(&key, &[path.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(the_chain(&v, &id)["records"], 10);
    assert_eq!(the_chain(&v, &id)["end"], "closed");
    assert_eq!(v["lines"], 10);
    // The export on standard input, and in a directory of exports.
    let (code, v) = verify_json(&key, &["-"], &[], Some(export.clone()));
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(the_chain(&v, &id)["records"], 10);
    let exports = dir.join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    std::fs::write(exports.join("a.json"), &export).unwrap();
    let (code, v) = verify_json(&key, &[exports.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(the_chain(&v, &id)["records"], 10);
    // A message changed inside the export.
    let changed = String::from_utf8(export)
        .unwrap()
        .replacen("order.place", "order.cancel", 1);
    let (code, v) = verify_json(&key, &["-"], &[], Some(changed.into_bytes()));
    assert_eq!(code, 1);
    assert_eq!(kinds(the_chain(&v, &id)), ["modified"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn each_kind_of_tampering_is_named_and_exits_1() {
    let dir = temp_dir("tamper");
    let (seal, key, _) = verifier(&dir);
    let (id, lines) = chain(&seal, "web-1", 311, 30, true);
    let (other_id, other) = chain(&seal, "web-2", 412, 30, true);
    let check = |name: &str, lines: &[String]| {
        let path = dir.join(format!("{name}.log"));
        std::fs::write(&path, joined(lines)).unwrap();
        let (code, v) = verify_json(&key, &[path.to_str().unwrap()], &[], None);
        assert_eq!(code, 1, "{name}: {v:#}");
        assert_eq!(v["verdict"], "TAMPERED", "{name}");
        let c = the_chain(&v, &id).clone();
        assert_eq!(c["verified"], false, "{name}");
        (c, path)
    };
    let (code, v) = verify_json(&key, &["-"], &[], Some(joined(&lines)));
    assert_eq!((code, v["verdict"].as_str()), (0, Some("VALID")));

    // Modified: a record's bytes changed.
    let mut modified = lines.clone();
    modified[7] = modified[7].replace("203.0.113.7", "198.51.100.9");
    let (c, path) = check("modified", &modified);
    assert_eq!(
        c["problems"],
        json!([{"source": path.display().to_string(), "line": 8, "seq": 7, "kind": "modified"}])
    );
    assert_eq!(c["records"], 30, "the others still verify");
    assert_eq!(c["missing"], json!([]));

    // Missing: records removed from the middle, and the end cut.
    let mut missing = lines.clone();
    missing.drain(10..13);
    let (c, _) = check("missing", &missing);
    assert_eq!(c["missing"], json!([[10, 12]]));
    assert_eq!(c["problems"], json!([]));
    assert_eq!(c["records"], 28);

    // Inserted: a second record for a seq that verifies.
    let mut inserted = lines.clone();
    inserted.insert(13, lines[12].replace("\"order.place\"", "\"authz_admin\""));
    let (c, _) = check("inserted", &inserted);
    assert_eq!(kinds(&c), ["inserted"]);
    assert_eq!(c["problems"][0]["line"], 14);
    assert_eq!(c["problems"][0]["seq"], 12);
    assert_eq!(c["records"], 31);

    // A record moved from another chain: it does not verify in this one.
    let mut moved = lines.clone();
    moved[5] = other[5].replace(&other_id, &id);
    let (c, _) = check("moved", &moved);
    assert_eq!(kinds(&c), ["modified"]);

    // Forged: a second seclog.chain for the chain id (another key's), after the genuine one.
    let forged_start = other[0].replace(&other_id, &id);
    let mut forged = lines.clone();
    forged.insert(5, forged_start.clone());
    let (c, _) = check("forged", &forged);
    assert_eq!(kinds(&c), ["forged"], "{c:#}");
    assert_eq!(c["problems"][0]["line"], 6);
    assert_eq!(c["problems"][0]["seq"], 0);
    assert_eq!(c["records"], 31, "the genuine chain still verifies");
    assert_eq!(c["host"], "web-1");

    // Bad key: the whole chain under another verifier's key.
    let other_key = dir.join("other.key");
    std::fs::write(&other_key, VerifierSecret::generate().to_text().as_bytes()).unwrap();
    let path = dir.join("clean.log");
    std::fs::write(&path, joined(&lines)).unwrap();
    let (code, v) = verify_json(&other_key, &[path.to_str().unwrap()], &[], None);
    assert_eq!(code, 1, "{v:#}");
    let c = the_chain(&v, &id);
    assert_eq!(kinds(c), ["bad key"]);
    assert_eq!(c["problems"][0]["line"], 1);
    assert_eq!(c["records"], 0);
    // A symmetric key for a public chain opens nothing either.
    let sym = dir.join("sym.key");
    std::fs::write(&sym, ChainKey::from_bytes([3; 32]).to_hex().as_bytes()).unwrap();
    let (code, v) = verify_json(&sym, &[path.to_str().unwrap()], &[], None);
    assert_eq!(code, 1);
    assert_eq!(kinds(the_chain(&v, &id)), ["bad key"]);
    // Both keys given: the right one verifies.
    let (code, v) = verify_json(
        &other_key,
        &[path.to_str().unwrap()],
        &["--key", key.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["key_ids"].as_array().unwrap().len(), 2);

    // No start: the seclog.chain record removed.
    let (c, _) = check("no-start", &lines[1..]);
    assert!(kinds(&c).contains(&"no start".to_owned()), "{c:#}");

    // An unsealed record among sealed ones: counted, located, not verified.
    let mut unsealed = lines.clone();
    unsealed.insert(3, record(99, "authz_admin", "web-1", 311));
    let path = dir.join("unsealed.log");
    std::fs::write(&path, joined(&unsealed)).unwrap();
    let (code, v) = verify_json(&key, &[path.to_str().unwrap()], &[], None);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["unsealed"], 1);
    assert_eq!(
        v["first_unsealed"],
        json!({"source": path.display().to_string(), "line": 4})
    );
    assert_eq!(the_chain(&v, &id)["verified"], true);

    // The table names the problem and its line.
    let (code, out) = verify_table(&key, &["-"], &[], Some(joined(&modified)));
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("Problem:  chain {id} -:8 (seq 7): modified")),
        "{out}"
    );
    assert!(out.contains("Result:   TAMPERED"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]

fn a_forged_first_record_placed_first_does_not_hide_the_genuine_chain() {
    let dir = temp_dir("forged-first");
    let (seal, key, _) = verifier(&dir);
    let (id, lines) = chain(&seal, "web-1", 311, 30, true);
    let (other_id, other) = chain(&seal, "web-2", 412, 30, true);
    let mut forged = vec![other[0].replace(&other_id, &id)];
    forged.extend(lines.iter().cloned());
    let (code, v) = verify_json(&key, &["-"], &[], Some(joined(&forged)));
    assert_eq!(code, 1, "{v:#}");
    let c = the_chain(&v, &id);
    assert_eq!(kinds(c), ["forged"], "{c:#}");
    assert_eq!(c["problems"][0]["line"], 1);
    assert_eq!(c["records"], 31, "the genuine chain still verifies");
    assert_eq!(c["host"], "web-1");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let dir = temp_dir("usage");
    let (seal, key, public) = verifier(&dir);
    let (_, lines) = chain(&seal, "web-1", 311, 3, true);
    let log = dir.join("a.log");
    std::fs::write(&log, joined(&lines)).unwrap();
    let log = log.to_str().unwrap();

    let o = run(&["verify", log], None);
    assert_eq!(o.status.code(), Some(2), "no --key: {}", text(&o));
    assert!(stderr(&o).contains("--key"), "{}", text(&o));
    let o = run(&["verify", "--key", key.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "no path: {}", text(&o));
    let o = run(&["verify"], None);
    assert_eq!(o.status.code(), Some(2));

    let nope = dir.join("nope");
    let o = run(
        &[
            "verify",
            "--key",
            key.to_str().unwrap(),
            log,
            nope.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains(nope.to_str().unwrap()), "{}", text(&o));
    assert!(o.stdout.is_empty(), "no verdict: {}", text(&o));

    let o = run(&["verify", "--key", nope.to_str().unwrap(), log], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("cannot read the key"), "{}", text(&o));

    // The public key where the private key is needed says which file to give.
    let public_file = dir.join("verifier.pub");
    std::fs::write(&public_file, format!("{public}\n")).unwrap();
    let o = run(
        &["verify", "--key", public_file.to_str().unwrap(), log],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = stderr(&o);
    assert!(err.contains("public key"), "{err}");
    assert!(err.contains("private key"), "{err}");
    assert!(err.contains("keygen --verifier"), "{err}");
    assert!(o.stdout.is_empty());

    // Not a key at all.
    let junk = dir.join("junk.key");
    std::fs::write(&junk, b"\x00\xffnot a key").unwrap();
    let o = run(&["verify", "--key", junk.to_str().unwrap(), log], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains(junk.to_str().unwrap()), "{}", text(&o));
    let o = run(&["verify", "--key", dir.to_str().unwrap(), log], None);
    assert_eq!(o.status.code(), Some(2), "a directory as key: {}", text(&o));

    // A checkpoint file that holds none.
    let o = run(
        &[
            "verify",
            "--key",
            key.to_str().unwrap(),
            "--checkpoint",
            log,
            log,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        stderr(&o).contains("does not hold a checkpoint"),
        "{}",
        text(&o)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Bytes from a fixed-seed generator: every byte value, NUL and invalid UTF-8 included.
fn garbage(n: usize, mut state: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn lines_that_are_not_records_and_binary_garbage_are_counted_not_fatal() {
    let dir = temp_dir("garbage");
    let (seal, key, _) = verifier(&dir);
    let (id, lines) = chain(&seal, "web-1", 311, 20, true);

    // A collector's own messages, JSON that is no record, broken records.
    let mut mixed = vec![
        "rsyslogd: [origin software=\"rsyslogd\"] start".to_owned(),
        "[1,2,3]".to_owned(),
        "{\"message\":\"hello\"}".to_owned(),
        "{\"ts\":\"2026-12-02T10:00:00Z\",\"event\":\"cut sho".to_owned(),
        "{\"ts\":".to_owned(),
        "\"chain\":\"00\",\"mac\":\"zz\"}".to_owned(),
    ];
    let stray = mixed.len() as u64;
    mixed.extend(lines.iter().cloned());
    let (code, v) = verify_json(&key, &["-"], &[], Some(joined(&mixed)));
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["lines"], stray + 21);
    assert_eq!(v["other_lines"], stray);
    assert_eq!(v["unsealed"], 0);
    assert_eq!(the_chain(&v, &id)["records"], 21);

    // Random bytes (NUL, invalid UTF-8), before, between and after the chain's lines.
    let junk = garbage(1 << 20, 0x9e37_79b9_7f4a_7c15);
    let junk_lines = junk
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    assert!(junk.contains(&0) && std::str::from_utf8(&junk).is_err());
    let mut bytes = junk.clone();
    bytes.push(b'\n');
    bytes.extend_from_slice(&joined(&lines));
    bytes.extend_from_slice(&junk);
    bytes.push(b'\n');
    let path = dir.join("garbage.log");
    std::fs::write(&path, &bytes).unwrap();
    let (code, v) = verify_json(&key, &[path.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["other_lines"], 2 * junk_lines);
    assert_eq!(the_chain(&v, &id)["records"], 21);
    let (code, out) = verify_table(&key, &[path.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("{} other lines", 2 * junk_lines)),
        "{out}"
    );

    // Garbage alone: no chain, exit 1, said plainly.
    let (code, v) = verify_json(&key, &["-"], &[], Some(junk.clone()));
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["chains"], json!([]));
    assert_eq!(v["verdict"], "TAMPERED");
    let (code, out) = verify_table(&key, &["-"], &[], Some(junk.clone()));
    assert_eq!(code, 1);
    assert!(out.contains("no sealed records"), "{out}");
    // Nothing at all.
    let (code, v) = verify_json(&key, &["-"], &[], Some(Vec::new()));
    assert_eq!((code, v["lines"].as_u64()), (1, Some(0)));

    // Random bytes as a key file, and as a record's every byte in turn: a verdict, no panic.
    let junk_key = dir.join("junk.key");
    std::fs::write(&junk_key, &junk[..4096]).unwrap();
    let o = run(
        &["verify", "--key", junk_key.to_str().unwrap(), "-"],
        Some(junk.clone()),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let line = lines[3].as_bytes();
    let mut flipped = Vec::new();
    for (i, b) in garbage(line.len(), 7).into_iter().enumerate() {
        let mut l = line.to_vec();
        l[i] = b;
        flipped.extend_from_slice(&l);
        flipped.push(b'\n');
    }
    let (code, v) = verify_json(&key, &["-"], &[], Some(flipped));
    assert_eq!(code, 1, "{v:#}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The verifier in a shell that caps its address space at `mem_mib` and its CPU time, so that a
/// runaway shows as a failed run rather than a stuck or swapping machine.
fn run_capped(mem_mib: u64, cpu_secs: u64, args: &[&str]) -> Output {
    let mut script = format!(
        "ulimit -v {}; ulimit -t {cpu_secs}; exec \"$0\"",
        mem_mib * 1024
    );
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${i}\""));
    }
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs")
}

#[test]
fn a_100_mib_line_is_read_within_bounds() {
    let dir = temp_dir("huge");
    let (seal, key, _) = verifier(&dir);
    let mut w = ChainWriter::new(&seal).unwrap();
    let mut out = Vec::new();
    for seq in 1..=3 {
        w.seal(
            record(seq, "order.place", "web-1", 311).as_bytes(),
            &mut out,
        );
    }
    // A record of 100 MiB, sealed: it verifies like any other.
    let big = record(4, "files.upload", "web-1", 311);
    let pad = "A".repeat(100 << 20);
    let big = format!(
        "{},\"inputs\":{{\"blob\":\"{pad}\"}}}}",
        big.strip_suffix('}').unwrap()
    );
    w.seal(big.as_bytes(), &mut out);
    for seq in 5..=6 {
        w.seal(
            record(seq, "order.place", "web-1", 311).as_bytes(),
            &mut out,
        );
    }
    let id = w.id().to_owned();
    let sealed = dir.join("big.log");
    std::fs::write(&sealed, &out).unwrap();
    drop(out);
    // 100 MiB with no newline and no record in it.
    let torn = dir.join("torn.log");
    let mut bytes = b"{\"ts\":\"2026-12-02T10:00:00Z\",\"x\":\"".to_vec();
    bytes.resize(100 << 20, b'x');
    std::fs::write(&torn, &bytes).unwrap();
    drop(bytes);

    let o = run_capped(
        1024,
        120,
        &[
            "verify",
            "--json",
            "--key",
            key.to_str().unwrap(),
            sealed.to_str().unwrap(),
            torn.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = the_chain(&v, &id);
    assert_eq!(c["records"], 7);
    assert_eq!(c["verified"], true);
    assert_eq!(v["incomplete_tails"], json!([torn.display().to_string()]));
    // Changed in its middle: caught.
    let mut bytes = std::fs::read(&sealed).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = b'B';
    std::fs::write(&sealed, &bytes).unwrap();
    drop(bytes);
    let o = run_capped(
        1024,
        120,
        &[
            "verify",
            "--json",
            "--key",
            key.to_str().unwrap(),
            sealed.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(kinds(the_chain(&v, &id)), ["modified"]);
    assert_eq!(the_chain(&v, &id)["problems"][0]["seq"], 4);
    // `stats` reads the same file within bounds too.
    let o = run_capped(1024, 120, &["stats", "--json", sealed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        s["records"], 6,
        "seclog.chain and the five records of ordinary size"
    );
    assert_eq!(s["bad_lines"]["count"], 1, "the line too long to read");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]

fn a_hostile_seq_costs_no_unbounded_time() {
    let dir = temp_dir("hostile-seq");
    let (seal, key, _) = verifier(&dir);
    let (id, mut lines) = chain(&seal, "web-1", 311, 10, true);
    lines.push(lines[5].replace("\"seq\":5,", "\"seq\":9999999999999999999,"));
    let path = dir.join("a.log");
    std::fs::write(&path, joined(&lines)).unwrap();
    let o = run_capped(
        1024,
        60,
        &[
            "verify",
            "--json",
            "--key",
            key.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(the_chain(&v, &id)["records"], 11);
    assert_eq!(kinds(the_chain(&v, &id)), ["modified"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The table's row of a chain: the line that starts with its id.
fn row<'a>(out: &'a str, id: &str) -> Vec<&'a str> {
    out.lines()
        .find(|l| l.starts_with(id))
        .unwrap_or_else(|| panic!("a row for {id}: {out}"))
        .split_whitespace()
        .collect()
}

#[test]
fn the_table_names_each_chain_and_require_closed_wants_every_end_closed() {
    let dir = temp_dir("table");
    let (seal, key, _) = verifier(&dir);
    let (closed, closed_lines) = chain(&seal, "web-1", 311, 15, true);
    let (open, open_lines) = chain(&seal, "web-2", 412, 7, false);
    let mut all = closed_lines.clone();
    all.extend(open_lines.iter().cloned());
    let archive = dir.join("archive.log");
    std::fs::write(&archive, joined(&all)).unwrap();
    let archive = archive.to_str().unwrap();

    let (code, out) = verify_table(&key, &[archive], &[], None);
    assert_eq!(code, 0, "an open end alone is no tampering: {out}");
    let header = out.lines().find(|l| l.starts_with("chain ")).expect(&out);
    let columns: Vec<&str> = header.split_whitespace().collect();
    let col = |name: &str| columns.iter().position(|c| *c == name).unwrap();
    let r = row(&out, &closed);
    assert_eq!(
        r.len(),
        columns.len() - 2,
        "the headings first ts and last ts are two words each: {out}"
    );
    assert_eq!(r[col("host")], "web-1");
    assert_eq!(r[col("pid")], "311");
    assert_eq!(r[col("service")], "shop");
    assert_eq!(r[col("records")], "16");
    assert_eq!(*r.last().unwrap(), "0", "no problems");
    assert_eq!(r[r.len() - 2], "closed");
    let r = row(&out, &open);
    assert_eq!(r[col("host")], "web-2");
    assert_eq!(r[col("pid")], "412");
    assert_eq!(r[r.len() - 2], "open");
    assert!(out.contains("Result:   VALID"), "{out}");

    let (code, out) = verify_table(&key, &[archive], &["--require-closed"], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Result:   VALID"), "{out}");
    assert!(out.contains("--require-closed"), "{out}");
    let (code, v) = verify_json(&key, &[archive], &["--require-closed"], None);
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "VALID");
    assert_eq!(v["require_closed"], true);
    assert_eq!(the_chain(&v, &open)["end"], "open");
    assert_eq!(the_chain(&v, &open)["last_event"], "order.place");
    assert_eq!(the_chain(&v, &closed)["end"], "closed");
    // Only the closed chain: --require-closed is satisfied.
    let (code, v) = verify_json(
        &key,
        &["-"],
        &["--require-closed"],
        Some(joined(&closed_lines)),
    );
    assert_eq!(code, 0, "{v:#}");
    // The shutdown cut off: open.
    let cut = &closed_lines[..closed_lines.len() - 1];
    let (code, v) = verify_json(&key, &["-"], &["--require-closed"], Some(joined(cut)));
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(the_chain(&v, &closed)["end"], "open");
    assert_eq!(the_chain(&v, &closed)["verified"], true);

    // What a record says is printed as text, never as terminal control sequences.
    let (evil, evil_lines) = chain(&seal, "web\\u001b[2J\\u0007-3\\n", 5, 2, true);
    let (code, out) = verify_table(&key, &["-"], &[], Some(joined(&evil_lines)));
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert_eq!(row(&out, &evil)[1], "web\\u{1b}[2J\\u{7}-3\\n", "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_checkpoint_kept_off_the_host_catches_a_cut_tail() {
    use std::sync::{Arc, Mutex};

    let dir = temp_dir("checkpoint");
    let (seal, key, _) = verifier(&dir);
    let logs = dir.join("logs");
    let kept: Arc<Mutex<Option<String>>> = Arc::default();
    let sink = {
        let kept = kept.clone();
        File::builder(&logs, seal)
            .checkpoint_every(std::time::Duration::from_millis(20))
            .on_checkpoint(move |cp| *kept.lock().unwrap() = Some(cp.to_json()))
            .open()
            .unwrap()
    };
    for seq in 1..=50 {
        sink.write(format!("{}\n", record(seq, "order.place", "web-1", 311)).as_bytes())
            .unwrap();
    }
    // The first checkpoint after the last record.
    let cp = loop {
        let cp = kept.lock().unwrap().clone();
        if let Some(cp) = cp.filter(|c| c.contains("\"count\":50,")) {
            break cp;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    drop(sink);
    let cp_json: Value = serde_json::from_str(&cp).unwrap();
    assert_eq!(cp_json["count"], 50);
    let cp_file = dir.join("checkpoint.json");
    std::fs::write(&cp_file, &cp).unwrap();
    let cp_arg = ["--checkpoint", cp_file.to_str().unwrap()];
    let logs_arg = [logs.to_str().unwrap()];

    let (code, v) = verify_json(&key, &logs_arg, &cp_arg, None);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        v["checkpoint"],
        json!({"chain": cp_json["chain"], "seq": 50, "reached": true, "problem": null})
    );

    // Cut after seq 40: every line left verifies, only the checkpoint can tell.
    let file = seclog_runtime::integrity::log_files(&logs)
        .unwrap()
        .pop()
        .unwrap();
    let content = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<String> = content.lines().map(str::to_owned).collect();
    std::fs::write(&file, joined(&lines[..41])).unwrap();
    let (code, v) = verify_json(&key, &logs_arg, &[], None);
    assert_eq!(code, 0, "{v:#}");
    let (code, v) = verify_json(&key, &logs_arg, &cp_arg, None);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["checkpoint"]["problem"], "truncated");
    assert_eq!(v["checkpoint"]["reached"], false);
    let (code, out) = verify_table(&key, &logs_arg, &cp_arg, None);
    assert_eq!(code, 1);
    assert!(out.contains("Checkpoint: seq 50: truncated"), "{out}");

    // The checkpointed record rewritten with another MAC.
    let mut rewritten = lines.clone();
    let last = rewritten[50].clone();
    let digit = if last.ends_with("0\"}") {
        "1\"}"
    } else {
        "0\"}"
    };
    rewritten[50] = format!("{}{digit}", &last[..last.len() - 3]);
    std::fs::write(&file, joined(&rewritten)).unwrap();
    let (code, v) = verify_json(&key, &logs_arg, &cp_arg, None);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["checkpoint"]["problem"], "modified");

    // Every file deleted: nothing the checkpoint counts is left.
    for f in seclog_runtime::integrity::log_files(&logs).unwrap() {
        std::fs::remove_file(f).unwrap();
    }
    let (code, v) = verify_json(&key, &logs_arg, &cp_arg, None);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["chains"], json!([]));
    assert_eq!(v["checkpoint"]["problem"], "truncated");
    let (code, out) = verify_table(&key, &logs_arg, &[], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no sealed records"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A log of the file sink's earlier format: one chain, a `seclog_file` header per file.
fn write_legacy(dir: &Path, key: &ChainKey, n: u64) {
    std::fs::create_dir_all(dir).unwrap();
    let mut sealer = Sealer::new(key, [0; 32]);
    let mut out = Vec::new();
    sealer.seal(
        format!(
            "{{\"seclog_file\":{{\"index\":0,\"prev\":\"{}\"}}}}",
            "0".repeat(64)
        )
        .as_bytes(),
        &mut out,
    );
    for seq in 1..=n {
        let event = if seq == n {
            "sys_shutdown"
        } else {
            "order.place"
        };
        sealer.seal(record(seq, event, "old-1", 77).as_bytes(), &mut out);
    }
    std::fs::write(dir.join("seclog-00000000-1764000000.log"), out).unwrap();
}

#[test]
fn logs_of_the_earlier_file_sink_still_verify() {
    let dir = temp_dir("legacy");
    let key = ChainKey::from_bytes([9; 32]);
    let key_file = dir.join("chain.key");
    std::fs::write(&key_file, key.to_hex().as_bytes()).unwrap();
    let old = dir.join("old");
    write_legacy(&old, &key, 40);
    let (code, v) = verify_json(&key_file, &[old.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "VALID");
    assert_eq!(v["legacy"][0]["valid"], 41);
    assert_eq!(v["legacy"][0]["end"], "closed");
    assert_eq!(v["legacy"][0]["problems"], json!([]));

    // Next to an archive of new chains, each verified with its key.
    let (seal, verifier_key, _) = verifier(&dir);
    let (id, lines) = chain(&seal, "web-1", 311, 5, true);
    let (code, v) = verify_json(
        &key_file,
        &[old.to_str().unwrap(), "-"],
        &["--key", verifier_key.to_str().unwrap()],
        Some(joined(&lines)),
    );
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(the_chain(&v, &id)["records"], 6);
    assert_eq!(v["legacy"][0]["valid"], 41);

    // Changed: caught, as before.
    let file = seclog_runtime::integrity::log_files(&old)
        .unwrap()
        .pop()
        .unwrap();
    let content = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, content.replacen("\"ann\"", "\"eve\"", 1)).unwrap();
    let (code, v) = verify_json(&key_file, &[old.to_str().unwrap()], &[], None);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["legacy"][0]["problems"][0]["kind"], "modified");
    assert_eq!(v["legacy"][0]["problems"][0]["line"], 2);
    // Only a verifier's private key: the message says a symmetric key is needed.
    let o = run(
        &[
            "verify",
            "--key",
            verifier_key.to_str().unwrap(),
            old.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("symmetric key"), "{}", text(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}
