//! The record: every key of DESIGN.md's format, outcomes, sequence numbers, and the options of
//! `#[security_logged]`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use seclog::testing::{capture, capture_future};
use seclog::{Redact, security_logged};
use serde_json::{Value, json};

fn one(records: Vec<Value>) -> Value {
    assert_eq!(records.len(), 1, "expected exactly one record: {records:?}");
    records.into_iter().next().unwrap()
}

#[derive(Redact)]
struct LoginRequest {
    username: String,
    #[redact]
    password: String,
}

#[derive(Redact, Debug)]
enum AuthError {
    BadCredentials,
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad credentials")
    }
}

const LOGIN_LINE: u32 = line!() + 2;
#[security_logged(event = "authn_login", who = req.username)]
fn login(req: LoginRequest) -> Result<u32, AuthError> {
    std::thread::sleep(Duration::from_millis(2));
    if req.password == "right" {
        Ok(1)
    } else {
        Err(AuthError::BadCredentials)
    }
}

fn req(password: &str) -> LoginRequest {
    LoginRequest {
        username: "alice".into(),
        password: password.into(),
    }
}

#[test]
fn record_has_every_key_of_the_format() {
    let (_, recs) = capture(|| login(req("wrong")));
    let r = one(recs);
    let obj = r.as_object().unwrap();
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    for key in [
        "ts",
        "seq",
        "event",
        "level",
        "outcome",
        "duration_ns",
        "where",
        "who",
        "inputs",
        "error",
    ] {
        assert!(keys.contains(&key), "missing {key} in {r}");
    }
    assert!(r.get("output").is_none());

    // ts: UTC, RFC 3339 with nanoseconds, Z suffix.
    let ts = r["ts"].as_str().unwrap();
    assert_eq!(ts.len(), 30, "{ts}");
    assert!(ts.ends_with('Z'));
    assert_eq!(&ts[10..11], "T");
    assert_eq!(&ts[19..20], ".");
    assert!(ts[20..29].bytes().all(|b| b.is_ascii_digit()));
    let parsed = humantime::parse_rfc3339(ts).unwrap();
    let age = std::time::SystemTime::now().duration_since(parsed).unwrap();
    assert!(age < Duration::from_secs(60));

    assert!(r["seq"].as_u64().unwrap() >= 1);
    assert_eq!(r["event"], "authn_login_fail");
    assert_eq!(r["level"], "WARN");
    assert_eq!(r["outcome"], "failure");
    assert!(r["duration_ns"].as_u64().unwrap() >= 2_000_000, "{r}");

    let w = &r["where"];
    // No service configured: the executable's name, and no version.
    let exe = std::env::current_exe().unwrap();
    assert_eq!(w["service"], *exe.file_stem().unwrap().to_string_lossy());
    assert_eq!(w["version"], "unknown");
    assert!(!w["host"].as_str().unwrap().is_empty());
    assert_eq!(w["pid"], std::process::id());
    assert_eq!(w["fn"], "record::login");
    assert_eq!(w["file"], "tests/record.rs");
    assert_eq!(w["line"], LOGIN_LINE);

    assert_eq!(r["who"], json!({"user": "alice"}));
    assert_eq!(
        r["inputs"],
        json!({"req": {"username": "alice", "password": "[REDACTED]"}})
    );
    assert_eq!(r["error"], json!({"BadCredentials": null}));

    let (_, recs) = capture(|| login(req("right")));
    let r = one(recs);
    assert_eq!(r["event"], "authn_login_success");
    assert_eq!(r["level"], "INFO");
    assert_eq!(r["outcome"], "success");
    assert_eq!(r["output"], 1);
    assert!(r.get("error").is_none());
}

#[security_logged]
fn tick(n: u32) -> u32 {
    n
}

#[test]
fn seq_strictly_increases_across_threads() {
    let per_thread: Vec<Vec<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                s.spawn(move || {
                    let (_, recs) = capture(|| {
                        for i in 0..250 {
                            tick(t * 1000 + i);
                        }
                    });
                    recs.iter().map(|r| r["seq"].as_u64().unwrap()).collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all = Vec::new();
    for seqs in &per_thread {
        assert_eq!(seqs.len(), 250, "exactly one record per call");
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "increasing in each thread"
        );
        all.extend_from_slice(seqs);
    }
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(all.len(), before, "no sequence number is used twice");
}

#[security_logged(event = "payment.capture")]
fn explode(amount: u64) -> u64 {
    if amount > 100 {
        panic!("amount too large");
    }
    amount
}

#[test]
fn a_panic_is_recorded_and_re_raised() {
    let (result, recs) = capture(|| catch_unwind(AssertUnwindSafe(|| explode(500))));
    let payload = result.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"amount too large"));
    let r = one(recs);
    assert_eq!(r["outcome"], "panic");
    assert_eq!(r["level"], "ERROR");
    assert_eq!(r["inputs"]["amount"], 500);
    assert!(r.get("output").is_none());

    // Records after the panic are unaffected.
    let (_, recs) = capture(|| explode(5));
    assert_eq!(one(recs)["outcome"], "success");
}

#[security_logged]
async fn slow(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[tokio::test]
async fn a_dropped_async_call_is_recorded_as_cancelled() {
    let (timed_out, recs) = capture_future(async {
        tokio::time::timeout(Duration::from_millis(5), slow(10_000))
            .await
            .is_err()
    })
    .await;
    assert!(timed_out);
    let r = one(recs);
    assert_eq!(r["outcome"], "cancelled");
    assert_eq!(r["inputs"]["ms"], 10_000);
    assert!(r.get("output").is_none());

    let (v, recs) = capture_future(slow(1)).await;
    assert_eq!(v, 1);
    assert_eq!(one(recs)["outcome"], "success");
}

#[security_logged(level = "critical")]
fn admin_action(target: &str) -> Result<(), String> {
    if target == "root" {
        Err("refused".into())
    } else {
        Ok(())
    }
}

#[test]
fn level_option_and_escalation() {
    let (_, recs) = capture(|| admin_action("user"));
    let r = one(recs);
    assert_eq!(r["level"], "CRITICAL");
    assert!(r.get("output").is_none(), "Ok(()) records no output");
    let (_, recs) = capture(|| admin_action("root"));
    assert_eq!(one(recs)["level"], "CRITICAL");
}

#[security_logged(level = "debug")]
fn quiet(fail: bool) -> Result<u8, u8> {
    if fail { Err(1) } else { Ok(0) }
}

#[test]
fn a_failure_is_at_least_warn() {
    let (_, recs) = capture(|| quiet(false));
    assert_eq!(one(recs)["level"], "DEBUG");
    let (_, recs) = capture(|| quiet(true));
    assert_eq!(one(recs)["level"], "WARN");
}

#[security_logged(event = "authz_fail")]
fn vocabulary_level(path: &str) {
    let _ = path;
}

#[test]
fn level_defaults_to_the_vocabulary() {
    let (_, recs) = capture(|| vocabulary_level("/admin"));
    let r = one(recs);
    assert_eq!(r["event"], "authz_fail");
    assert_eq!(r["level"], "CRITICAL");
}

#[security_logged(event = "authn_password_change")]
fn change_password(user: &str, #[redact] new_password: &str) -> Result<(), String> {
    if new_password.len() < 8 {
        return Err(format!("{user}: too short"));
    }
    Ok(())
}

#[test]
fn vocabulary_name_with_a_fail_form_follows_the_outcome() {
    let (_, recs) = capture(|| change_password("bob", "longenough"));
    let r = one(recs);
    assert_eq!(r["event"], "authn_password_change");
    assert_eq!(r["level"], "INFO");
    assert_eq!(r["inputs"]["new_password"], "[REDACTED]");
    let (_, recs) = capture(|| change_password("bob", "short"));
    let r = one(recs);
    assert_eq!(r["event"], "authn_password_change_fail");
    assert_eq!(r["level"], "CRITICAL");
}

struct Db;

#[security_logged(skip(db, trace_id), fields(region = "eu-west-1", attempt = attempt + 1))]
fn lookup(db: &Db, trace_id: &str, user_id: u64, attempt: u32) -> Option<String> {
    let _ = (db, trace_id);
    Some(format!("user-{user_id}"))
}

#[test]
fn skip_and_fields_options() {
    let (_, recs) = capture(|| lookup(&Db, "t-1", 42, 2));
    let r = one(recs);
    assert_eq!(r["inputs"], json!({"user_id": 42, "attempt": 2}));
    assert_eq!(r["fields"], json!({"region": "eu-west-1", "attempt": 3}));
    assert_eq!(r["output"], "user-42");
}

#[derive(Debug)]
struct OpaqueError(&'static str);

impl std::fmt::Display for OpaqueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "opaque: {}", self.0)
    }
}

#[security_logged(err = display)]
fn err_display() -> Result<u8, OpaqueError> {
    Err(OpaqueError("disk"))
}

#[security_logged(err = debug)]
fn err_debug() -> Result<u8, OpaqueError> {
    Err(OpaqueError("disk"))
}

#[security_logged(err = skip, ret = skip)]
fn err_skip(ok: bool) -> Result<OpaqueError, OpaqueError> {
    if ok {
        Ok(OpaqueError("fine"))
    } else {
        Err(OpaqueError("disk"))
    }
}

#[security_logged(err = display)]
fn io_result(fail: bool) -> std::io::Result<u8> {
    if fail {
        return Err(std::io::Error::other("disk full"));
    }
    Ok(3)
}

#[test]
fn err_and_ret_options() {
    let (_, recs) = capture(err_display);
    assert_eq!(one(recs)["error"], "opaque: disk");
    let (_, recs) = capture(err_debug);
    assert_eq!(one(recs)["error"], "OpaqueError(\"disk\")");
    let (_, recs) = capture(|| err_skip(false));
    let r = one(recs);
    assert_eq!(r["outcome"], "failure");
    assert!(r.get("error").is_none());
    let (_, recs) = capture(|| err_skip(true));
    let r = one(recs);
    assert_eq!(r["outcome"], "success");
    assert!(r.get("output").is_none());
    let (_, recs) = capture(|| io_result(false));
    assert_eq!(one(recs)["output"], 3);
    let (_, recs) = capture(|| io_result(true));
    let r = one(recs);
    assert_eq!(r["outcome"], "failure");
    assert_eq!(r["error"], "disk full");
}

mod renamed {
    pub use seclog as logging;
}

#[security_logged(crate = renamed::logging, event = "renamed")]
fn through_a_renamed_crate(n: u8) -> u8 {
    n
}

#[derive(seclog::Redact)]
#[seclog(crate = "renamed::logging")]
struct RenamedType {
    n: u8,
}

#[test]
fn crate_option() {
    let (_, recs) = capture(|| through_a_renamed_crate(3));
    assert_eq!(one(recs)["event"], "renamed");
    assert_eq!(seclog::to_json(&RenamedType { n: 1 }), r#"{"n":1}"#);
}

#[security_logged(who = format!("{}@{}", user, tenant))]
fn with_who(user: &str, tenant: &str) {
    let _ = (user, tenant);
}

#[test]
fn who_is_evaluated_before_the_body() {
    let (_, recs) = capture(|| with_who("ann", "acme"));
    assert_eq!(one(recs)["who"]["user"], "ann@acme");
}

#[security_logged(event = "authn_login")]
fn authn_login_default_stem(ok: bool) -> Result<(), ()> {
    if ok { Ok(()) } else { Err(()) }
}

#[test]
fn one_record_per_invocation_under_nesting() {
    let (_, recs) = capture(|| {
        tick(1);
        let _ = authn_login_default_stem(false);
        tick(2);
    });
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[1]["event"], "authn_login_fail");
    assert_eq!(recs[1]["error"], Value::Null);
}
