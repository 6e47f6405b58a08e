//! Leak-proof under property tests: random secrets in redacted positions of nested structures
//! (structs, enums, `Vec`, `Option`, maps, tuples), run through `#[security_logged]` as input,
//! output and error, and through `event!` — no secret's bytes appear in any record, raw or
//! JSON-escaped, beyond what a strategy documents as kept.
//!
//! Each property runs twice: through capture (records finished on the calling thread), and
//! through an installed pipeline, where the writer thread scans the strings and finishes the
//! records that reach the sink. The second also puts secrets the scanner must find (tokens,
//! e-mail addresses) into free text of every length, unmarked.

mod common;

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use proptest::prelude::*;
use seclog::testing::capture;
use seclog::{Redact, Secret, event, security_logged};
use serde_json::Value;

#[derive(Redact, Debug, Clone)]
struct Inner {
    name: String,
    #[redact]
    secret: String,
    #[redact(last = 2)]
    tail: String,
    #[redact(first = 1)]
    head: String,
    #[redact(hash)]
    id: String,
    #[redact(email)]
    email: String,
    #[redact(card)]
    card: String,
    #[redact(ip)]
    addr: String,
    #[redact(len)]
    blob: String,
    #[seclog(skip)]
    skipped: String,
    token: Secret<String>,
}

#[derive(Redact, Debug, Clone)]
enum Choice {
    Plain(#[redact] String),
    Coded {
        #[redact(first = 1)]
        code: String,
        n: u32,
    },
    Pair(u8, #[redact(last = 1)] String),
    Nothing,
}

#[derive(Redact, Debug, Clone)]
struct Outer {
    inners: Vec<Inner>,
    maybe: Option<Inner>,
    by_name: BTreeMap<String, Inner>,
    tuple: (Inner, Choice),
    choices: Vec<Choice>,
}

/// Secrets use no lower-case letters, so they cannot collide with the harmless values (all
/// lower-case) nor with keys; they hold quotes, backslashes and non-ASCII to exercise escaping.
fn secret() -> impl Strategy<Value = String> {
    "[A-Z0-9!#%&*+<>?^|~\"'\\\\ЖЯ€😀]{12,24}"
}

fn harmless() -> impl Strategy<Value = String> {
    "[a-z ]{0,10}"
}

fn inner() -> impl Strategy<Value = Inner> {
    (harmless(), proptest::collection::vec(secret(), 10)).prop_map(|(name, s)| Inner {
        name,
        secret: s[0].clone(),
        tail: s[1].clone(),
        head: s[2].clone(),
        id: s[3].clone(),
        email: format!("{}@example.com", s[4]),
        card: s[5].clone(),
        addr: s[6].clone(),
        blob: s[7].clone(),
        skipped: s[8].clone(),
        token: Secret::new(s[9].clone()),
    })
}

fn choice() -> impl Strategy<Value = Choice> {
    prop_oneof![
        secret().prop_map(Choice::Plain),
        (secret(), any::<u32>()).prop_map(|(code, n)| Choice::Coded { code, n }),
        (any::<u8>(), secret()).prop_map(|(a, b)| Choice::Pair(a, b)),
        Just(Choice::Nothing),
    ]
}

fn outer() -> impl Strategy<Value = Outer> {
    (
        proptest::collection::vec(inner(), 0..3),
        proptest::option::of(inner()),
        proptest::collection::btree_map(harmless(), inner(), 0..3),
        (inner(), choice()),
        proptest::collection::vec(choice(), 0..4),
    )
        .prop_map(|(inners, maybe, by_name, tuple, choices)| Outer {
            inners,
            maybe,
            by_name,
            tuple,
            choices,
        })
}

/// Every secret with the number of characters its strategy keeps at its start and end.
fn secrets_of_inner(i: &Inner, out: &mut Vec<(String, usize, usize)>) {
    out.push((i.secret.clone(), 0, 0));
    out.push((i.tail.clone(), 0, 2));
    out.push((i.head.clone(), 1, 0));
    out.push((i.id.clone(), 0, 0));
    // The domain is kept by design; the local part is the secret.
    out.push((i.email.trim_end_matches("@example.com").to_owned(), 0, 0));
    out.push((i.card.clone(), 0, 0));
    out.push((i.addr.clone(), 0, 0));
    out.push((i.blob.clone(), 0, 0));
    out.push((i.skipped.clone(), 0, 0));
    out.push((i.token.expose().clone(), 0, 0));
}

fn secrets_of_choice(c: &Choice, out: &mut Vec<(String, usize, usize)>) {
    match c {
        Choice::Plain(s) => out.push((s.clone(), 0, 0)),
        Choice::Coded { code, .. } => out.push((code.clone(), 1, 0)),
        Choice::Pair(_, s) => out.push((s.clone(), 0, 1)),
        Choice::Nothing => {}
    }
}

fn secrets(o: &Outer) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    o.inners.iter().for_each(|i| secrets_of_inner(i, &mut out));
    o.maybe.iter().for_each(|i| secrets_of_inner(i, &mut out));
    o.by_name
        .values()
        .for_each(|i| secrets_of_inner(i, &mut out));
    secrets_of_inner(&o.tuple.0, &mut out);
    secrets_of_choice(&o.tuple.1, &mut out);
    o.choices
        .iter()
        .for_each(|c| secrets_of_choice(c, &mut out));
    out
}

/// Every string in a record, keys included, decoded from JSON.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// Fails if any run of 4 characters of a secret that its strategy does not keep appears in a
/// string of the records (decoded), or in their raw text (where escaping cannot have made
/// it: windows without `\` or `"`).
fn assert_no_leak(
    records: &[Value],
    secrets: &[(String, usize, usize)],
) -> Result<(), TestCaseError> {
    let mut decoded = Vec::new();
    records.iter().for_each(|r| strings(r, &mut decoded));
    let raw: String = records
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    for (secret, keep_start, keep_end) in secrets {
        let chars: Vec<char> = secret.chars().collect();
        let hidden = &chars[*keep_start..chars.len() - keep_end];
        for window in hidden.windows(4) {
            let w: String = window.iter().collect();
            for s in &decoded {
                prop_assert!(!s.contains(&w), "{w:?} of {secret:?} leaked into {s:?}");
            }
            if !w.contains(['\\', '"']) {
                prop_assert!(!raw.contains(&w), "{w:?} of {secret:?} leaked into {raw}");
            }
        }
    }
    Ok(())
}

#[derive(Redact, Debug)]
struct Failure {
    outer: Outer,
}

#[security_logged]
fn handle(input: Outer, fail: bool) -> Result<Outer, Failure> {
    if fail {
        Err(Failure { outer: input })
    } else {
        Ok(input)
    }
}

#[security_logged]
fn annotate(note: &str, short: &str) -> usize {
    note.len() + short.len()
}

/// Free text holding a token and an e-mail address at random places, and a short string
/// holding an e-mail address: what the scanner must find without any marking.
fn scanned() -> impl Strategy<Value = (String, String, Vec<String>)> {
    (
        "[a-z ]{0,300}",
        "[a-z ]{0,40}",
        "[A-Za-z0-9]{36}",
        "[A-Z]{3,6}",
        "[A-Z]{2,4}",
    )
        .prop_map(|(before, after, token, local, short_local)| {
            let token = format!("ghp_{token}");
            let mail = format!("{local}@example.org");
            let short_mail = format!("{short_local}@ab.io");
            let note = format!("{before} {token} {after} {mail}.");
            (note, short_mail.clone(), vec![token, local, short_local])
        })
}

/// The records `run` makes as the installed pipeline writes them: finished by its writer
/// thread, read back from the sink.
fn through_the_writer(run: impl FnOnce()) -> Vec<Value> {
    static SINK: OnceLock<common::Memory> = OnceLock::new();
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let sink = SINK.get_or_init(|| {
        let sink = common::Memory::default();
        let guard = seclog::builder()
            .sink(sink.clone())
            .install()
            .expect("installed once");
        // Installed for the whole test binary.
        std::mem::forget(guard);
        sink
    });
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let start = sink.bytes().len();
    run();
    assert!(seclog::flush());
    common::parse(&sink.bytes()[start..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_secret_reaches_a_sink_through_the_writer(
        o in outer(),
        fail in any::<bool>(),
        (note, short, found) in scanned(),
    ) {
        let mut secrets = secrets(&o);
        secrets.extend(found.into_iter().map(|s| (s, 0, 0)));
        let copy = o.clone();
        let records = through_the_writer(|| {
            let _ = handle(o, fail);
            event!("sensitive_read", value = &copy);
            annotate(&note, &short);
        });
        prop_assert!(records.len() >= 3, "{records:?}");
        let annotated = records
            .iter()
            .find(|r| r["where"]["fn"] == "leakproof::annotate")
            .expect("the annotate record");
        let listed = annotated["redacted"].as_array().cloned().unwrap_or_default();
        for entry in ["inputs.note:scan", "inputs.note:pii_email", "inputs.short:pii_email"] {
            prop_assert!(listed.contains(&Value::from(entry)), "{entry} not in {listed:?}");
        }
        assert_no_leak(&records, &secrets)?;
    }

    #[test]
    fn no_secret_reaches_a_record(o in outer(), fail in any::<bool>()) {
        let secrets = secrets(&o);
        let copy = o.clone();
        let (_, records) = capture(|| {
            let _ = handle(o, fail);
            event!("sensitive_read", value = &copy);
        });
        prop_assert!(records.len() >= 2);
        assert_no_leak(&records, &secrets)?;
    }
}

#[test]
fn the_leak_check_catches_leaks() {
    let secrets = vec![("AB\"CD€EF".to_owned(), 0, 2)];
    let rec = |v: Value| vec![serde_json::json!({ "inputs": { "x": v } })];
    assert!(assert_no_leak(&rec(Value::from("nothing here")), &secrets).is_ok());
    assert!(
        assert_no_leak(&rec(Value::from("…€EF is kept")), &secrets).is_ok(),
        "the kept end is allowed"
    );
    assert!(assert_no_leak(&rec(Value::from("x AB\"CD y")), &secrets).is_err());
    assert!(assert_no_leak(&rec(Value::from("x \"CD€ y")), &secrets).is_err());
}
