//! The fleet: every output sealed, by programs with no set-up and by configured ones; chains
//! per process under a verifier's public key, and what a stolen chain key can and cannot do;
//! the stdout of several processes collected CloudWatch-style and verified as one archive.
//!
//! A configuration is installed once per process, so the programs run as child processes: the
//! test re-runs this binary with one `*_child` test selected and reads what it wrote.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use common::{is_child, ran_one, run_child, stderr_lines};
use seclog::integrity::{
    ArchiveOptions, ArchiveReport, ChainKey, ChainProblem, ChainReport, ChainWriter, EndState,
    Keys, Location, Seal, Source, TamperKind, VerifierKey, VerifierSecret, verify_archive,
};
use seclog::{InitError, security_logged};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// HMAC-SHA256, as an attacker computes MACs with a key they took (RustCrypto's, as the writer's).

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `K(s+1)` from `K(s)`: what the holder of a chain key can derive.
fn evolve(key: &[u8; 32]) -> [u8; 32] {
    hmac(key, b"seclog chain key evolution")
}

/// `record` (a JSON object) sealed into `chain` with `key`, as the attacker holding `key` does.
fn seal_with(key: &[u8; 32], chain: &str, record: &str) -> String {
    let body = format!(
        "{},\"chain\":\"{chain}\"",
        record.strip_suffix('}').expect("a JSON object")
    );
    let mac = hex(&hmac(key, body.as_bytes()));
    format!("{body},\"mac\":\"{mac}\"}}")
}

/// A sealed line without its seal: the record as the writer was given it.
fn unseal(line: &str) -> String {
    let at = line.rfind(",\"chain\":\"").expect("a sealed line");
    format!("{}}}", &line[..at])
}

// ---------------------------------------------------------------------------------------------
// Records and chains built in the test.

/// A process of the fleet, as its records name it.
struct Proc {
    host: &'static str,
    pid: u32,
    /// Seconds after 10:00:00 at which its records start.
    start_s: u64,
}

const WEB1: Proc = Proc {
    host: "web-1",
    pid: 4100,
    start_s: 0,
};

/// The record with `seq` of `p`: one every 10 ms from its start.
fn record(seq: u64, p: &Proc) -> String {
    let ms = p.start_s * 1000 + seq * 10;
    format!(
        r#"{{"ts":"{}","seq":{seq},"event":"order.place","level":"INFO","outcome":"success","where":{{"service":"shop","version":"1.0.0","host":"{}","pid":{}}},"fields":{{"amount":{}}}}}"#,
        ts_at(ms),
        p.host,
        p.pid,
        seq * 100
    )
}

/// `ts` of the record `ms` milliseconds after 2026-12-02T10:00:00Z.
fn ts_at(ms: u64) -> String {
    format!(
        "2026-12-02T10:{:02}:{:02}.{:03}000000Z",
        ms / 60_000,
        (ms / 1000) % 60,
        ms % 1000
    )
}

/// A chain of `n` records of `p` (seq 1..=n): the writer, and its lines (`seclog.chain` first,
/// so that `lines[s]` is the record with `seq` s).
fn write_chain(seal: &Seal, p: &Proc, n: u64) -> (ChainWriter, Vec<String>) {
    let mut writer = ChainWriter::new(seal).unwrap();
    let mut out = Vec::new();
    for seq in 1..=n {
        writer.seal(record(seq, p).as_bytes(), &mut out);
    }
    let lines = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (writer, lines)
}

/// Verifies `lines` as one input named `archive`.
fn check(keys: &Keys, lines: &[String]) -> ArchiveReport {
    let text = lines.join("\n") + "\n";
    verify_archive(
        keys,
        &[Source::new("archive", text.into_bytes())],
        ArchiveOptions::default(),
    )
}

fn problem(line: usize, seq: u64, kind: TamperKind) -> ChainProblem {
    ChainProblem {
        at: Location {
            source: "archive".into(),
            line: line as u64,
        },
        seq: Some(seq),
        kind,
    }
}

/// The report of `chain`.
fn chain_of<'a>(report: &'a ArchiveReport, chain: &str) -> &'a ChainReport {
    report
        .chains
        .iter()
        .find(|c| c.chain == chain)
        .unwrap_or_else(|| panic!("no chain {chain} in {report:#?}"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seclog-fleet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// Every output sealed, with no set-up and with a builder.

#[security_logged(event = "authn_login")]
fn login(user: &str, #[redact] password: &str) -> Result<(), String> {
    if password == "right" {
        Ok(())
    } else {
        Err("bad credentials".into())
    }
}

/// Logins (one in three fails) on the calling thread.
const LOGINS: u64 = 12;
/// Orders, on a thread of their own.
const ORDERS: u64 = 12;

/// What an unmodified program records: logins on the main thread, orders on another.
fn emit() {
    let orders = std::thread::spawn(|| {
        for n in 0..ORDERS {
            seclog::event!("order.place", n = n);
        }
    });
    for i in 0..LOGINS {
        let _ = login(
            "ann",
            if i.is_multiple_of(3) {
                "wrong"
            } else {
                "right"
            },
        );
    }
    orders.join().unwrap();
}

/// A program with no set-up at all: no `init`, no builder.
#[test]
fn emit_child() {
    if is_child("emit_child") {
        emit();
    }
}

/// The records in `bytes`, from `{"ts":"` on (whatever precedes them on their line).
fn record_lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| l.find("{\"ts\":\"").map(|at| l[at..].to_owned()))
        .collect()
}

/// Non-empty lines of `bytes` that hold no record (the test harness's own output).
fn other_lines(bytes: &[u8]) -> u64 {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.is_empty() && !l.contains("{\"ts\":\""))
        .count() as u64
}

/// Checks one process's sealed output: every record line carries the chain and a MAC as its
/// last keys, the first is `seclog.chain` at `seq` 0 naming the writer and the seal, `seq`
/// runs without a gap; then verifies it with `keys`. Returns the chain's report and the
/// records.
fn check_sealed_output(
    bytes: &[u8],
    keys: &Keys,
    seal: &str,
    key_id: &str,
) -> (ChainReport, Vec<Value>) {
    let lines = record_lines(bytes);
    assert!(lines.len() > 1, "{}", String::from_utf8_lossy(bytes));
    let records: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let chain = records[0]["chain"].as_str().unwrap().to_owned();
    assert_eq!(chain.len(), 32);
    assert!(chain.bytes().all(|b| b.is_ascii_hexdigit()));
    for (line, r) in lines.iter().zip(&records) {
        let mac = r["mac"]
            .as_str()
            .unwrap_or_else(|| panic!("no mac: {line}"));
        assert_eq!(mac.len(), 64, "{line}");
        assert!(mac.bytes().all(|b| b.is_ascii_hexdigit()), "{line}");
        assert!(
            line.ends_with(&format!(",\"chain\":\"{chain}\",\"mac\":\"{mac}\"}}")),
            "chain and mac are not the last keys: {line}"
        );
    }

    let start = &records[0];
    let first = &records[1];
    assert_eq!(start["event"], "seclog.chain");
    assert_eq!(start["seq"], 0);
    assert_eq!(start["fields"]["chain"], chain.as_str());
    assert_eq!(start["fields"]["seal"], seal);
    assert_eq!(start["fields"]["key_id"], key_id);
    assert_eq!(start["fields"]["first_seq"], first["seq"]);
    assert!(start["fields"]["clock"]["source"].is_string(), "{start}");
    match seal {
        // 32 bytes of encapsulated key, 32 of sealed chain key and 16 of tag.
        "public" => assert_eq!(
            start["fields"]["encrypted_key"].as_str().map(str::len),
            Some(160)
        ),
        _ => assert!(start["fields"].get("encrypted_key").is_none(), "{start}"),
    }
    let pid = first["where"]["pid"].as_u64().unwrap();
    assert_ne!(pid, u64::from(std::process::id()), "written by the child");
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    assert_eq!(first["where"]["host"], host.as_str());
    for key in ["service", "version", "host", "pid"] {
        assert_eq!(start["where"][key], first["where"][key], "where.{key}");
    }
    let seqs: Vec<u64> = records[1..]
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (seqs[0]..seqs[0] + seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "seq runs without a gap");

    let report = verify_archive(
        keys,
        &[Source::new("output", bytes.to_vec())],
        ArchiveOptions::default(),
    );
    assert!(report.verified(), "{report:#?}");
    assert_eq!(report.unsealed, 0);
    assert_eq!(report.other_lines, other_lines(bytes));
    assert_eq!(report.lines, lines.len() as u64 + other_lines(bytes));
    assert_eq!(report.chains.len(), 1);
    let c = report.chains[0].clone();
    assert_eq!(c.chain, chain);
    assert_eq!(c.records, lines.len() as u64, "every line verified");
    assert_eq!(
        (c.missing.as_slice(), c.duplicates, c.problems.as_slice()),
        (&[][..], 0, &[][..])
    );
    assert_eq!(c.seal.as_deref(), Some(seal));
    assert_eq!(c.key_id.as_deref(), Some(key_id));
    assert_eq!(c.host.as_deref(), Some(host.as_str()));
    assert_eq!(c.pid, Some(pid));
    assert_eq!(c.first_seq, Some(seqs[0]));
    assert_eq!(c.last_seq, seqs.last().copied());
    assert_eq!(c.first_ts.as_deref(), first["ts"].as_str());
    let last = records.last().unwrap();
    assert_eq!(c.last_ts.as_deref(), last["ts"].as_str());
    assert_eq!(c.last_event.as_deref(), last["event"].as_str());
    assert_eq!(c.clock.as_ref(), Some(&start["fields"]["clock"]));
    (c, records)
}

/// The events of `records` (after `seclog.chain`) and how many of each.
fn event_counts(records: &[Value]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for r in &records[1..] {
        *counts
            .entry(r["event"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    counts
}

/// What [`emit`] records, by event.
fn emitted() -> BTreeMap<String, u64> {
    let fails = (0..LOGINS).filter(|i| i.is_multiple_of(3)).count() as u64;
    BTreeMap::from([
        ("authn_login_fail".to_owned(), fails),
        ("authn_login_success".to_owned(), LOGINS - fails),
        ("order.place".to_owned(), ORDERS),
    ])
}

#[test]
fn a_program_with_no_set_up_seals_stdout_to_a_public_key() {
    let secret = VerifierSecret::generate();
    let to = secret.public().to_text();
    let key_id = secret.public().id().to_owned();
    let out = run_child("emit_child", &[("SECLOG_SEAL_TO", &to)], &[]);
    let keys = Keys::new().with_secret(secret);
    let (chain, records) = check_sealed_output(&out.stdout, &keys, "public", &key_id);
    assert_eq!(event_counts(&records), emitted());
    // No guard, no `sys_shutdown`: the chain is open.
    assert_eq!(chain.end, EndState::Open);
    let fail = records
        .iter()
        .find(|r| r["event"] == "authn_login_fail")
        .unwrap();
    assert_eq!(fail["inputs"]["password"], "[REDACTED]");
    assert_eq!(
        stderr_lines(&out, ""),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Another verifier opens nothing.
    let other = Keys::new().with_secret(VerifierSecret::generate());
    let report = verify_archive(
        &other,
        &[Source::new("output", out.stdout.clone())],
        ArchiveOptions::default(),
    );
    assert!(!report.verified());
    assert_eq!(report.chains.len(), 1);
    let c = &report.chains[0];
    assert_eq!(c.records, 0);
    assert_eq!(c.problems.len(), 1, "{c:#?}");
    assert_eq!(
        (c.problems[0].seq, c.problems[0].kind),
        (Some(0), TamperKind::BadKey)
    );
}

#[test]
fn a_program_with_no_set_up_seals_stderr() {
    let secret = VerifierSecret::generate();
    let to = secret.public().to_text();
    let key_id = secret.public().id().to_owned();
    let out = run_child(
        "emit_child",
        &[("SECLOG_SEAL_TO", &to), ("SECLOG_OUTPUT", "stderr")],
        &[],
    );
    assert_eq!(record_lines(&out.stdout), Vec::<String>::new());
    let keys = Keys::new().with_secret(secret);
    let (chain, records) = check_sealed_output(&out.stderr, &keys, "public", &key_id);
    assert_eq!(event_counts(&records), emitted());
    assert_eq!(chain.end, EndState::Open);
}

#[test]
fn a_program_with_no_set_up_seals_with_a_symmetric_key_file() {
    let dir = temp_dir("key-file");
    let key = ChainKey::generate().unwrap();
    let key_file = dir.join("chain.key");
    std::fs::write(&key_file, key.to_hex().as_bytes()).unwrap();
    let out = run_child(
        "emit_child",
        &[("SECLOG_KEY_FILE", key_file.to_str().unwrap())],
        &[],
    );
    let keys = Keys::new().with_symmetric(key.clone());
    let (_, records) = check_sealed_output(&out.stdout, &keys, "symmetric", key.id());
    assert_eq!(event_counts(&records), emitted());
    // The key file's text appears nowhere in the output.
    assert!(!String::from_utf8_lossy(&out.stdout).contains(key.to_hex().as_str()));

    // Another symmetric key opens nothing.
    let other = Keys::new().with_symmetric(ChainKey::generate().unwrap());
    let report = verify_archive(
        &other,
        &[Source::new("output", out.stdout.clone())],
        ArchiveOptions::default(),
    );
    assert_eq!(report.chains.len(), 1);
    assert_eq!(report.chains[0].records, 0);
    assert_eq!(
        report.chains[0]
            .problems
            .iter()
            .map(|p| p.kind)
            .collect::<Vec<_>>(),
        [TamperKind::BadKey]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A configured program: `builder().seal(Seal::to(..)).sink(<a writer>)`.
#[test]
fn writer_sink_child() {
    if !is_child("writer_sink_child") {
        return;
    }
    let to: VerifierKey = std::env::var("SECLOG_TEST_SEAL_TO")
        .unwrap()
        .parse()
        .unwrap();
    let file = std::fs::File::create(std::env::var("SECLOG_TEST_OUT").unwrap()).unwrap();
    let guard = seclog::builder()
        .service("shop", "2.0.1")
        .seal(Seal::to(to))
        .sink(seclog::sink::Writer::new(file))
        .install()
        .unwrap();
    emit();
    drop(guard);
}

#[test]
fn a_builder_seal_seals_a_writer_sink() {
    let dir = temp_dir("writer");
    let path = dir.join("audit.jsonl");
    let secret = VerifierSecret::generate();
    let to = secret.public().to_text();
    let key_id = secret.public().id().to_owned();
    let out = run_child(
        "writer_sink_child",
        &[
            ("SECLOG_TEST_SEAL_TO", &to),
            ("SECLOG_TEST_OUT", path.to_str().unwrap()),
        ],
        &[],
    );
    assert_eq!(record_lines(&out.stdout), Vec::<String>::new());
    let bytes = std::fs::read(&path).unwrap();
    // The file holds records only.
    assert_eq!(other_lines(&bytes), 0);
    let keys = Keys::new().with_secret(secret);
    let (chain, records) = check_sealed_output(&bytes, &keys, "public", &key_id);
    assert_eq!(records[0]["where"]["service"], "shop");
    assert_eq!(records[0]["where"]["version"], "2.0.1");
    assert_eq!(chain.service.as_deref(), Some("shop"));
    assert_eq!(records[1]["event"], "sys_startup");
    let mut counts = event_counts(&records);
    for (event, n) in emitted() {
        assert_eq!(counts.remove(&event), Some(n), "{event}");
    }
    assert_eq!(counts.remove("sys_startup"), Some(1));
    assert_eq!(counts.remove("sys_shutdown"), Some(1));
    // What else the process recorded is seclog's own (the watcher's summaries).
    assert!(
        counts.keys().all(|e| e.starts_with("seclog.")),
        "{counts:?}"
    );
    // The guard wrote `sys_shutdown` last: the chain is closed.
    assert_eq!(chain.last_event.as_deref(), Some("sys_shutdown"));
    assert_eq!(chain.end, EndState::Closed);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A program that configures itself from the environment.
#[test]
fn init_child() {
    if !is_child("init_child") {
        return;
    }
    let err = seclog::init().expect_err("two seals asked for");
    match &err {
        InitError::InvalidEnv { var, reason, .. } => {
            assert_eq!(*var, "SECLOG_SEAL_TO");
            assert!(reason.contains("SECLOG_KEY_FILE is set too"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with("SECLOG_SEAL_TO=\"seclog-verifier-x25519:"),
        "{text}"
    );
    assert!(text.contains("set one of them"), "{text}");
}

#[test]
fn asking_for_a_public_and_a_symmetric_seal_at_once_is_an_error() {
    let dir = temp_dir("both");
    let key_file = dir.join("chain.key");
    std::fs::write(&key_file, ChainKey::generate().unwrap().to_hex().as_bytes()).unwrap();
    let secret = VerifierSecret::generate();
    let to = secret.public().to_text();
    let envs = [
        ("SECLOG_SEAL_TO", to.as_str()),
        ("SECLOG_KEY_FILE", key_file.to_str().unwrap()),
    ];
    // `init` refuses it.
    assert!(ran_one(&run_child("init_child", &envs, &[])));

    // With no set-up, the program runs on and says why once; what it writes carries no seal,
    // and the verifier says so: nothing passes as sealed.
    let out = run_child("emit_child", &envs, &[]);
    assert_eq!(stderr_lines(&out, "SECLOG_KEY_FILE is set too"), 1);
    let lines = record_lines(&out.stdout);
    assert_eq!(lines.len() as u64, LOGINS + ORDERS);
    assert!(lines.iter().all(|l| !l.contains("\"mac\":")));
    let keys = Keys::new().with_secret(secret);
    let report = verify_archive(
        &keys,
        &[Source::new("stdout", out.stdout.clone())],
        ArchiveOptions::default(),
    );
    assert!(!report.verified());
    assert_eq!(report.chains, []);
    assert_eq!(report.unsealed, LOGINS + ORDERS);
    assert!(report.first_unsealed.is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------------
// A chain per process under a public key: what a stolen key can and cannot do.

/// The design's promise on theft: whoever takes a writer learns `K(s)`, the key of its next
/// record, and every key after it. Nothing written before `s` can be re-forged: rewritten under
/// any key the attacker can derive, a record reads `modified` (`inserted` beside the original).
/// From `s` on, the attacker can seal records that verify; the theft shows in what they cannot
/// hide: records removed from before `s` are `missing`, and a chain cut short ends `open`.
#[test]
fn a_stolen_chain_key_reforges_nothing_written_before_it_was_taken() {
    let secret = VerifierSecret::generate();
    let seal = Seal::to(secret.public().clone());
    let keys = Keys::new().with_secret(secret);
    let (mut writer, mut lines) = write_chain(&seal, &WEB1, 10);
    let chain = writer.id().to_owned();

    // The attacker takes the host after seq 10: they hold K(11).
    let (s, stolen) = writer.__current_key();
    assert_eq!(s, 11);
    // With it they seal seq 11 exactly as the writer does.
    let mut out = Vec::new();
    writer.seal(record(11, &WEB1).as_bytes(), &mut out);
    let genuine = String::from_utf8(out).unwrap().trim_end().to_owned();
    assert_eq!(seal_with(&stolen, &chain, &record(11, &WEB1)), genuine);
    assert_eq!(writer.__current_key(), (12, evolve(&stolen)));
    lines.push(genuine);
    let clean = check(&keys, &lines);
    assert!(clean.verified(), "{clean:#?}");
    assert_eq!(clean.chains[0].records, 12);

    // Every record before seq 11, rewritten under the stolen key or any it evolves to.
    let forward: Vec<[u8; 32]> = std::iter::successors(Some(stolen), |k| Some(evolve(k)))
        .take(6)
        .collect();
    for seq in 0..s {
        let i = seq as usize;
        let original = unseal(&lines[i]);
        let changed = if seq == 0 {
            original.replace("\"host\":\"web-1\"", "\"host\":\"web-7\"")
        } else {
            original.replace(&format!("\"amount\":{}", seq * 100), "\"amount\":1")
        };
        assert_ne!(changed, original);
        for key in &forward {
            let forged = seal_with(key, &chain, &changed);

            let mut replaced = lines.clone();
            replaced[i] = forged.clone();
            let r = check(&keys, &replaced);
            assert_eq!(r.chains.len(), 1);
            let c = &r.chains[0];
            assert_eq!(
                c.problems,
                [problem(i + 1, seq, TamperKind::Modified)],
                "seq {seq}"
            );
            assert_eq!(c.records, 11);
            assert!(!r.verified());

            // Beside the original, which still verifies.
            let mut added = lines.clone();
            added.push(forged);
            let r = check(&keys, &added);
            let c = &r.chains[0];
            let kind = if seq == 0 {
                TamperKind::Forged
            } else {
                TamperKind::Inserted
            };
            assert_eq!(c.problems, [problem(added.len(), seq, kind)], "seq {seq}");
            assert_eq!(c.records, 12);
        }
    }

    // From seq 11 on, the stolen key seals records that verify: the limit of the promise.
    let mut taken_over = lines[..11].to_vec();
    let mut key = stolen;
    for seq in 11..=13 {
        let mut r = record(seq, &WEB1);
        r = r.replace("order.place", "authz_admin");
        taken_over.push(seal_with(&key, &chain, &r));
        key = evolve(&key);
    }
    let r = check(&keys, &taken_over);
    assert!(r.verified(), "{r:#?}");
    assert_eq!(r.chains[0].records, 14);
    assert_eq!(r.chains[0].last_event.as_deref(), Some("authz_admin"));

    // What they removed from before shows: records 8..=10 deleted, the chain continued at 11.
    let mut hidden = lines[..8].to_vec();
    hidden.push(seal_with(&stolen, &chain, &record(11, &WEB1)));
    let r = check(&keys, &hidden);
    let c = &r.chains[0];
    assert_eq!(c.missing, [(8, 10)]);
    assert_eq!(c.problems, []);
    assert!(!r.verified());

    // A chain cut short after seq 7: open, its last record the 7th.
    let r = check(&keys, &lines[..8]);
    let c = &r.chains[0];
    assert!(c.verified());
    assert_eq!((c.end, c.last_seq), (EndState::Open, Some(7)));
}

/// Two different records at one `seq`, both sealed under the chain's key, are what only the
/// holder of a stolen key can write (the writer gives each `seq` to one record): the second is
/// `inserted`.
#[test]
fn a_second_record_at_one_seq_under_the_chains_key_is_reported() {
    let secret = VerifierSecret::generate();
    let seal = Seal::to(secret.public().clone());
    let keys = Keys::new().with_secret(secret);
    let (mut writer, mut lines) = write_chain(&seal, &WEB1, 10);
    let chain = writer.id().to_owned();
    let (s, stolen) = writer.__current_key();
    // The writer goes on with seq 11; the attacker writes their own seq 11 too.
    let mut out = Vec::new();
    writer.seal(record(s, &WEB1).as_bytes(), &mut out);
    lines.push(String::from_utf8(out).unwrap().trim_end().to_owned());
    let forged = record(s, &WEB1).replace("order.place", "authz_admin");
    lines.push(seal_with(&stolen, &chain, &forged));
    let r = check(&keys, &lines);
    let c = &r.chains[0];
    assert_eq!(c.problems, [problem(lines.len(), s, TamperKind::Inserted)]);
    assert!(!r.verified());
}

#[test]
fn a_key_taken_from_one_process_verifies_nothing_of_another() {
    let secret = VerifierSecret::generate();
    let seal = Seal::to(secret.public().clone());
    let keys = Keys::new().with_secret(secret);
    let web2 = Proc {
        host: "web-2",
        pid: 4200,
        start_s: 0,
    };
    let (a, a_lines) = write_chain(&seal, &WEB1, 10);
    let (b, b_lines) = write_chain(&seal, &web2, 10);
    let (a_id, b_id) = (a.id().to_owned(), b.id().to_owned());
    assert_ne!(a_id, b_id);
    let (sa, stolen) = a.__current_key();
    let (sb, b_key) = b.__current_key();
    assert_eq!(sa, sb);
    assert_ne!(stolen, b_key, "each chain has its own key");

    // Both chains in one archive, A's first.
    let both: Vec<String> = a_lines.iter().chain(&b_lines).cloned().collect();
    let clean = check(&keys, &both);
    assert!(clean.verified());
    assert_eq!(clean.chains.len(), 2);
    let b_line = |seq: u64| a_lines.len() + seq as usize + 1;

    // A's key (and every key it evolves to) on B's chain.
    let forward: Vec<[u8; 32]> = std::iter::successors(Some(stolen), |k| Some(evolve(k)))
        .take(4)
        .collect();
    for key in &forward {
        let changed5 = unseal(&b_lines[5]).replace("\"amount\":500", "\"amount\":1");
        // B's record 5 changed and sealed with A's key, in place of the original.
        let mut replaced = both.clone();
        replaced[b_line(5) - 1] = seal_with(key, &b_id, &changed5);
        // B's record 5, unchanged, resealed with A's key beside the original.
        let copy = seal_with(key, &b_id, &unseal(&b_lines[5]));
        // New records for B: its next seq, and one further on.
        let next = seal_with(key, &b_id, &record(11, &web2));
        let later = seal_with(&evolve(key), &b_id, &record(12, &web2));
        // A's record 3 moved into B: its chain id changed and resealed with A's key.
        let moved = seal_with(key, &b_id, &unseal(&a_lines[3]));

        let r = check(&keys, &replaced);
        assert_eq!(
            chain_of(&r, &b_id).problems,
            [problem(b_line(5), 5, TamperKind::Modified)]
        );
        assert_eq!(chain_of(&r, &b_id).records, 10);

        let mut added = both.clone();
        added.extend([copy, next, later, moved]);
        let n = both.len();
        let r = check(&keys, &added);
        let c = chain_of(&r, &b_id);
        assert_eq!(
            c.problems,
            [
                problem(n + 1, 5, TamperKind::Inserted),
                problem(n + 2, 11, TamperKind::Modified),
                problem(n + 3, 12, TamperKind::Modified),
                problem(n + 4, 3, TamperKind::Inserted),
            ]
        );
        // Not one of them verified: B holds its own 11 records, and ends where it did.
        assert_eq!((c.records, c.last_seq), (11, Some(10)));
        assert!(!c.verified());
        // A is untouched.
        assert!(chain_of(&r, &a_id).verified());
        assert_eq!(chain_of(&r, &a_id).records, 11);
    }
}

#[test]
fn a_chain_started_by_an_attacker_is_reported_as_its_own() {
    let secret = VerifierSecret::generate();
    let real = Seal::to(secret.public().clone());
    let keys = Keys::new().with_secret(secret);
    let (r_writer, r_lines) = write_chain(&real, &WEB1, 10);
    let r_id = r_writer.id().to_owned();

    // Under a key the verifier does not hold.
    let evil = Proc {
        host: "evil",
        pid: 6666,
        start_s: 30,
    };
    let attacker = Seal::to(VerifierSecret::generate().public().clone());
    let (x1, x1_lines) = write_chain(&attacker, &evil, 5);
    // Encrypted to the real verifier's key, from another host.
    let web9 = Proc {
        host: "web-9",
        pid: 31337,
        start_s: 40,
    };
    let (x2, x2_lines) = write_chain(&real, &web9, 5);
    // Encrypted to the real verifier's key, naming the real chain's host and pid.
    let spoof = Proc {
        host: "web-1",
        pid: 4100,
        start_s: 50,
    };
    let (x3, x3_lines) = write_chain(&real, &spoof, 5);

    // Interleaved, as a collector receives them.
    let mut archive = Vec::new();
    let sources = [&r_lines, &x1_lines, &x2_lines, &x3_lines];
    for i in 0..r_lines.len() {
        for s in sources {
            if let Some(l) = s.get(i) {
                archive.push(l.clone());
            }
        }
    }
    let report = check(&keys, &archive);
    assert_eq!(report.chains.len(), 4, "{report:#?}");
    let ids: BTreeSet<&str> = report.chains.iter().map(|c| c.chain.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from([r_id.as_str(), x1.id(), x2.id(), x3.id()])
    );

    let who = |c: &ChainReport| (c.host.clone(), c.pid, c.first_ts.clone());
    let r = chain_of(&report, &r_id);
    assert!(r.verified());
    assert_eq!(r.records, 11);
    assert_eq!(who(r), (Some("web-1".into()), Some(4100), Some(ts_at(10))));

    let c = chain_of(&report, x1.id());
    assert_eq!((c.host.as_deref(), c.pid), (Some("evil"), Some(6666)));
    assert_eq!(c.records, 0);
    assert_eq!(
        c.problems.iter().map(|p| p.kind).collect::<Vec<_>>(),
        [TamperKind::BadKey]
    );
    assert!(!c.verified());

    let c = chain_of(&report, x2.id());
    assert!(
        c.verified(),
        "a chain sealed to the verifier's key verifies"
    );
    assert_eq!(c.records, 6);
    assert_eq!(
        who(c),
        (Some("web-9".into()), Some(31337), Some(ts_at(40_010)))
    );

    let c = chain_of(&report, x3.id());
    assert!(c.verified());
    assert_eq!(c.records, 6);
    assert_eq!(
        who(c),
        (Some("web-1".into()), Some(4100), Some(ts_at(50_010)))
    );
    // Two chains name web-1 and pid 4100: their starts tell them apart, in that order.
    let same: Vec<&str> = report
        .chains
        .iter()
        .filter(|c| c.host.as_deref() == Some("web-1"))
        .map(|c| c.chain.as_str())
        .collect();
    assert_eq!(same, [r_id.as_str(), x3.id()]);
    assert!(!report.verified(), "the bad-key chain does not verify");

    // A second, different `seclog.chain` for the real chain's id: X2's first record, its
    // chain id changed.
    let forged_start = x2_lines[0].replace(x2.id(), &r_id);
    assert!(forged_start.contains("\"event\":\"seclog.chain\""));
    // After the real one: `forged` on its line; the real records still verify.
    let mut after = r_lines.clone();
    after.push(forged_start.clone());
    let report = check(&keys, &after);
    assert_eq!(report.chains.len(), 1);
    let c = &report.chains[0];
    assert_eq!(c.problems, [problem(after.len(), 0, TamperKind::Forged)]);
    assert_eq!(c.records, 11);
    assert!(!c.verified());
    // Before it: the start is the one the verifier's key opens, wherever it stands; the
    // other is `forged`, and the real records still verify.
    let mut before = vec![forged_start];
    before.extend(r_lines.iter().cloned());
    let report = check(&keys, &before);
    assert_eq!(report.chains.len(), 1);
    let c = &report.chains[0];
    assert!(!c.verified());
    assert_eq!(c.records, 11);
    assert_eq!(c.problems, [problem(1, 0, TamperKind::Forged)]);
    assert_eq!(c.host.as_deref(), Some("web-1"));
}

/// A chain no key opens is still placed by its start: `first_ts` is its first record's.
#[test]
fn a_chain_under_an_unknown_key_is_reported_with_its_start() {
    let secret = VerifierSecret::generate();
    let keys = Keys::new().with_secret(secret);
    let evil = Proc {
        host: "evil",
        pid: 6666,
        start_s: 30,
    };
    let attacker = Seal::to(VerifierSecret::generate().public().clone());
    let (_, lines) = write_chain(&attacker, &evil, 5);
    let report = check(&keys, &lines);
    let c = &report.chains[0];
    assert_eq!((c.host.as_deref(), c.pid), (Some("evil"), Some(6666)));
    assert_eq!(c.first_ts, Some(ts_at(30_010)));
}

// ---------------------------------------------------------------------------------------------
// A CloudWatch-shaped archive: the stdout of four instances, collected.

/// A deterministic generator (xorshift64*), for shuffling.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// One CloudWatch Logs event.
#[derive(Clone)]
struct Event {
    stream: String,
    timestamp: u64,
    message: String,
    /// The chain of the record it holds, if any.
    chain: Option<String>,
}

fn millis(ts: &str) -> u64 {
    humantime::parse_rfc3339(ts)
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn a_cloudwatch_shaped_archive_of_four_processes_verifies_clean() {
    const PROCESSES: usize = 4;
    let secret = VerifierSecret::generate();
    let to = secret.public().to_text();
    let keys = Keys::new().with_secret(secret);

    // Four instances, run at once, each writing to its stdout.
    let outputs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..PROCESSES)
            .map(|_| s.spawn(|| run_child("emit_child", &[("SECLOG_SEAL_TO", &to)], &[]).stdout))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });

    // What CloudWatch holds: each record behind Lambda's prefix, the platform's lines around
    // them, one log stream per instance.
    let mut events = Vec::new();
    let mut per_chain: BTreeMap<String, u64> = BTreeMap::new();
    let mut pids = BTreeSet::new();
    for (i, out) in outputs.iter().enumerate() {
        let request = format!("5eed{i:04x}-7c1e-4b8e-9d2a-{:012x}", 0x00c0_ffee + i);
        let stream = format!("2026/12/02/[$LATEST]{:032x}", 0xfeed_0000 + i);
        let lines = record_lines(out);
        assert_eq!(lines.len() as u64, 1 + LOGINS + ORDERS);
        let mut first_ms = u64::MAX;
        let mut last_ms = 0;
        for line in &lines {
            let r: Value = serde_json::from_str(line).unwrap();
            let ts = r["ts"].as_str().unwrap();
            let ms = millis(ts);
            first_ms = first_ms.min(ms);
            last_ms = last_ms.max(ms);
            let chain = r["chain"].as_str().unwrap().to_owned();
            *per_chain.entry(chain.clone()).or_insert(0) += 1;
            if r["seq"] != 0 {
                pids.insert(r["where"]["pid"].as_u64().unwrap());
            }
            events.push(Event {
                stream: stream.clone(),
                timestamp: ms,
                message: format!("{}Z\t{request}\tINFO\t{line}\n", &ts[..23]),
                chain: Some(chain),
            });
        }
        let platform = |ms: u64, message: String| Event {
            stream: stream.clone(),
            timestamp: ms,
            message,
            chain: None,
        };
        events.push(platform(
            first_ms.saturating_sub(1),
            format!("START RequestId: {request} Version: $LATEST\n"),
        ));
        events.push(platform(last_ms + 1, format!("END RequestId: {request}\n")));
        events.push(platform(
            last_ms + 1,
            format!(
                "REPORT RequestId: {request}\tDuration: 2.31 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\n"
            ),
        ));
    }
    assert_eq!(per_chain.len(), PROCESSES);
    assert_eq!(pids.len(), PROCESSES);
    let mut platform_lines = 3 * PROCESSES as u64;

    // Merged in timestamp order, one in five delivered twice, then shuffled within 3 seconds of
    // their time.
    events.sort_by_key(|e| e.timestamp);
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let mut duplicates: BTreeMap<String, u64> = BTreeMap::new();
    let mut delivered = Vec::new();
    for (i, e) in events.iter().enumerate() {
        delivered.push(e.clone());
        if i % 5 == 2 {
            delivered.push(e.clone());
            match &e.chain {
                Some(chain) => *duplicates.entry(chain.clone()).or_insert(0) += 1,
                None => platform_lines += 1,
            }
        }
    }
    let mut keyed: Vec<(u64, Event)> = delivered
        .into_iter()
        .map(|e| (e.timestamp + rng.next() % 3000, e))
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    let delivered: Vec<Event> = keyed.into_iter().map(|(_, e)| e).collect();
    let dup_total: u64 = duplicates.values().sum();
    let platform_lines = platform_lines;
    assert!(dup_total >= 10, "{dup_total} duplicates");

    // The order is really shuffled: some record comes before an earlier one of its chain.
    let mut highest: BTreeMap<String, u64> = BTreeMap::new();
    let mut out_of_order = 0;
    for e in &delivered {
        if let Some(chain) = &e.chain {
            let at = e.message.find("{\"ts\":").unwrap();
            let r: Value = serde_json::from_str(e.message[at..].trim_end()).unwrap();
            let seq = r["seq"].as_u64().unwrap();
            let h = highest.entry(chain.clone()).or_insert(0);
            out_of_order += u64::from(seq < *h);
            *h = (*h).max(seq);
        }
    }
    assert!(out_of_order > 10, "{out_of_order} records out of order");

    // As text, one event per line, and as a CloudWatch Logs export.
    let text: String = delivered.iter().map(|e| e.message.as_str()).collect();
    let export = json!({
        "events": delivered.iter().enumerate().map(|(i, e)| json!({
            "logStreamName": e.stream,
            "timestamp": e.timestamp,
            "message": e.message,
            "ingestionTime": e.timestamp + 40,
            "eventId": format!("{:056}", i),
        })).collect::<Vec<_>>(),
        "searchedLogStreams": [],
    });
    let export = serde_json::to_vec_pretty(&export).unwrap();

    let check_clean = |report: &ArchiveReport, copies: u64| {
        assert!(report.verified(), "{report:#?}");
        assert_eq!(report.chains.len(), PROCESSES);
        assert_eq!(report.unsealed, 0);
        assert_eq!(report.other_lines, platform_lines * copies);
        assert_eq!(report.incomplete_tails, Vec::<String>::new());
        for c in &report.chains {
            let lines = per_chain[&c.chain];
            assert_eq!(c.records, lines, "{c:#?}");
            // Each extra copy of the archive repeats every line it holds.
            let dups = duplicates.get(&c.chain).copied().unwrap_or(0);
            assert_eq!(c.duplicates, dups + (copies - 1) * (lines + dups));
            assert_eq!(c.missing, []);
            assert_eq!(c.problems, []);
            assert_eq!(c.end, EndState::Open);
            assert_eq!(c.seal.as_deref(), Some("public"));
            assert_eq!((c.first_seq, c.last_seq), (Some(1), Some(lines - 1)));
            assert!(pids.contains(&c.pid.unwrap()));
        }
        let chain_pids: BTreeSet<u64> = report.chains.iter().filter_map(|c| c.pid).collect();
        assert_eq!(chain_pids, pids);
    };
    let as_text = verify_archive(
        &keys,
        &[Source::new("cloudwatch.log", text.clone().into_bytes())],
        ArchiveOptions::default(),
    );
    check_clean(&as_text, 1);
    assert_eq!(
        as_text.lines,
        per_chain.values().sum::<u64>() + dup_total + platform_lines
    );
    let as_export = verify_archive(
        &keys,
        &[Source::new("cloudwatch.json", export.clone())],
        ArchiveOptions::default(),
    );
    check_clean(&as_export, 1);
    assert_eq!(as_export.chains, as_text.chains);
    let together = verify_archive(
        &keys,
        &[
            Source::new("cloudwatch.log", text.into_bytes()),
            Source::new("cloudwatch.json", export),
        ],
        ArchiveOptions::default(),
    );
    check_clean(&together, 2);
}

/// A file sink's retention note after `sys_shutdown` (the rotation the last batch caused)
/// leaves the chain closed; a record of the process after it does not.
#[test]
fn only_seclog_s_own_notes_may_follow_sys_shutdown_in_a_closed_chain() {
    let secret = VerifierSecret::generate();
    let seal = Seal::to(secret.public().clone());
    let keys = Keys::new().with_secret(secret);
    for (after, end) in [
        ("seclog.retention", EndState::Closed),
        ("order.place", EndState::Open),
    ] {
        let (mut writer, mut lines) = write_chain(&seal, &WEB1, 5);
        let mut out = Vec::new();
        writer.seal(
            record(6, &WEB1)
                .replace("order.place", "sys_shutdown")
                .as_bytes(),
            &mut out,
        );
        writer.seal(
            record(7, &WEB1).replace("order.place", after).as_bytes(),
            &mut out,
        );
        lines.extend(String::from_utf8(out).unwrap().lines().map(str::to_owned));
        let report = check(&keys, &lines);
        let c = &report.chains[0];
        assert!(c.verified(), "{c:#?}");
        assert_eq!(c.end, end, "{after} after sys_shutdown");
        assert_eq!(c.last_event.as_deref(), Some(after));
    }
}
