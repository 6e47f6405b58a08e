//! What happened: `event!`, the typed helpers, input validation reports, upload checks and
//! crash records.

use std::panic::{AssertUnwindSafe, catch_unwind};

use seclog::context::{self, Caller};
use seclog::testing::capture;
use seclog::upload::{self, Kind, Policy, Problem};
use seclog::validation::Report;
use seclog::{Redact, event};
use serde_json::{Value, json};

fn one(records: Vec<Value>) -> Value {
    assert_eq!(records.len(), 1, "expected exactly one record: {records:?}");
    records.into_iter().next().unwrap()
}

#[derive(Redact)]
struct Attempt {
    user: String,
    #[redact]
    password: String,
}

#[test]
fn event_macro_writes_the_same_record_with_ambient_caller_and_redaction() {
    let attempt = Attempt {
        user: "eve".into(),
        password: "S3CR3T-pw".into(),
    };
    let line = line!() + 4;
    let (_, recs) = capture(|| {
        context::scope_sync(Caller::new().with_ip("192.0.2.9".parse().unwrap()), || {
            let path = "/admin/users";
            event!(
                "authz_fail",
                resource = path,
                attempt = &attempt,
                tries = 3u8
            );
        })
    });
    assert_eq!(attempt.password, "S3CR3T-pw", "the handler keeps its value");
    let r = one(recs);
    assert_eq!(r["event"], "authz_fail");
    assert_eq!(r["level"], "CRITICAL");
    assert_eq!(r["outcome"], "failure");
    assert_eq!(r["who"], json!({"ip": "192.0.2.9"}));
    assert_eq!(
        r["fields"],
        json!({
            "resource": "/admin/users",
            "attempt": {"user": "eve", "password": "[REDACTED]"},
            "tries": 3
        })
    );
    assert!(!r.to_string().contains("S3CR3T"));
    assert_eq!(r["where"]["file"], "tests/events.rs");
    assert_eq!(r["where"]["line"], line);
    assert_eq!(r["where"]["fn"], "events");
    for key in ["ts", "seq", "duration_ns"] {
        assert!(r.get(key).is_some(), "{key}");
    }
}

#[test]
fn event_outcome_and_level_follow_the_name_or_the_options() {
    let (_, recs) = capture(|| {
        event!("session_created");
        event!("order.refund", amount = 12u32);
        event!(
            level = "warn",
            outcome = "failure",
            "upload_validation",
            size = 0usize
        );
    });
    assert_eq!(recs[0]["level"], "INFO");
    assert_eq!(recs[0]["outcome"], "success");
    assert!(recs[0].get("fields").is_none());
    assert_eq!(recs[1]["event"], "order.refund");
    assert_eq!(recs[1]["level"], "INFO");
    assert_eq!(recs[2]["level"], "WARN");
    assert_eq!(recs[2]["outcome"], "failure");
}

#[test]
fn typed_helpers_record_at_their_callers_location() {
    let line = line!() + 2;
    let (_, recs) = capture(|| {
        seclog::events::authz_fail("/billing");
        seclog::events::authn_login_fail("mallory");
        seclog::events::excess_rate_limit_exceeded("login-per-ip", 10, 60);
        seclog::events::authn_token_reuse("jti-7");
        seclog::events::session_use_after_expire();
        seclog::events::sequence_fail("verify_otp", "checkout");
        seclog::events::malicious_attack_tool("sqlmap");
    });
    assert_eq!(recs.len(), 7);
    assert_eq!(recs[0]["event"], "authz_fail");
    assert_eq!(recs[0]["fields"]["resource"], "/billing");
    assert_eq!(recs[0]["where"]["file"], "tests/events.rs");
    assert_eq!(recs[0]["where"]["line"], line);
    assert_eq!(recs[1]["event"], "authn_login_fail");
    assert_eq!(recs[1]["level"], "WARN");
    assert_eq!(recs[1]["fields"]["attempted_user"], "mallory");
    assert_eq!(
        recs[2]["fields"],
        json!({"limit": "login-per-ip", "max": 10, "window_secs": 60})
    );
    assert_eq!(recs[3]["level"], "CRITICAL");
    assert_eq!(recs[4]["event"], "session_use_after_expire");
    assert_eq!(recs[5]["fields"]["got"], "checkout");
    assert_eq!(recs[6]["fields"]["tool"], "sqlmap");
}

#[test]
fn validation_reports_name_fields_and_rules_but_not_values() {
    let line = line!() + 6;
    let (result, recs) = capture(|| {
        let mut report = Report::new("signup");
        report.fail("email", "format");
        report.fail("password", "min_length");
        report.fail_with_value("page", "max", &10_000u32);
        report.finish()
    });
    let report = result.unwrap_err();
    assert_eq!(
        report.fields().collect::<Vec<_>>(),
        ["email", "password", "page"]
    );
    assert_eq!(
        report.to_string(),
        "invalid signup: email (format), password (min_length), page (max)"
    );
    let r = one(recs);
    assert_eq!(r["event"], "input_validation_fail");
    assert_eq!(r["level"], "WARN");
    assert_eq!(r["where"]["file"], "tests/events.rs");
    assert_eq!(r["where"]["line"], line);
    assert_eq!(
        r["fields"]["failures"],
        json!([
            {"field": "email", "rule": "format"},
            {"field": "password", "rule": "min_length"},
            {"field": "page", "rule": "max", "value": 10000}
        ])
    );
    // An empty report records nothing.
    let (_, recs) = capture(|| Report::new("x").record());
    assert!(recs.is_empty());
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF";
const GIF: &[u8] = b"GIF89a\x01\0\x01\0";
const PDF: &[u8] = b"%PDF-1.7\n%";
const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0";
const GZIP: &[u8] = b"\x1f\x8b\x08\0\0\0\0\0";
const ELF: &[u8] = b"\x7fELF\x02\x01\x01\0";
const PE: &[u8] = b"MZ\x90\0\x03\0\0\0";
const SH: &[u8] = b"#!/bin/sh\nrm -rf /\n";
const PHP: &[u8] = b"<?php system($_GET['c']); ?>";
const HTML: &[u8] = b"  <!DOCTYPE html><script>alert(1)</script>";

#[test]
fn upload_signatures_are_detected() {
    for (bytes, kind) in [
        (PNG, Kind::Png),
        (JPEG, Kind::Jpeg),
        (GIF, Kind::Gif),
        (PDF, Kind::Pdf),
        (ZIP, Kind::Zip),
        (GZIP, Kind::Gzip),
        (ELF, Kind::Elf),
        (PE, Kind::Pe),
        (SH, Kind::Script),
        (PHP, Kind::Script),
        (HTML, Kind::Html),
        (&b"hello, world"[..], Kind::Unknown),
    ] {
        assert_eq!(Kind::detect(bytes), kind);
    }
    for (declared, kind) in [
        ("image/png", Kind::Png),
        ("IMAGE/JPEG; charset=binary", Kind::Jpeg),
        ("report.PDF", Kind::Pdf),
        (".docx", Kind::Zip),
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Zip,
        ),
        ("setup.exe", Kind::Pe),
        ("text/plain", Kind::Text),
        ("application/octet-stream", Kind::Unknown),
    ] {
        assert_eq!(Kind::from_declared(declared), kind, "{declared}");
    }
}

#[test]
fn upload_verdicts_are_recorded_at_the_right_level() {
    let policy = Policy {
        min_bytes: 4,
        max_bytes: 64,
    };
    let big = [PNG, &[0u8; 100][..]].concat();
    let (verdicts, recs) = capture(|| {
        vec![
            upload::check_with(&policy, "image/png", PNG),
            upload::check_with(&policy, "image/png", PE),
            upload::check_with(&policy, "photo.jpg", PNG),
            upload::check_with(&policy, "text/plain", SH),
            upload::check_with(&policy, "image/png", &big),
            upload::check_with(&policy, "notes.txt", b"hi"),
            upload::check_with(&policy, "archive.zip", ZIP),
        ]
    });
    let summaries: Vec<_> = verdicts.iter().map(|v| v.summary()).collect();
    assert_eq!(
        summaries,
        [
            "ok",
            "executable",
            "mismatch",
            "executable",
            "too_large",
            "too_small",
            "ok"
        ]
    );
    assert_eq!(verdicts[1].problems, [Problem::Executable]);
    let levels: Vec<_> = recs.iter().map(|r| r["level"].as_str().unwrap()).collect();
    assert_eq!(
        levels,
        [
            "INFO", "CRITICAL", "CRITICAL", "CRITICAL", "WARN", "WARN", "INFO"
        ]
    );
    assert!(recs.iter().all(|r| r["event"] == "upload_validation"));
    assert_eq!(
        recs[1]["fields"],
        json!({
            "declared_as": "image/png", "declared": "png", "detected": "pe", "size": 8,
            "verdict": "executable", "problems": ["executable"]
        })
    );
    assert_eq!(recs[0]["outcome"], "success");
    assert_eq!(recs[1]["outcome"], "failure");
    // The content itself is never recorded.
    assert!(!recs[3].to_string().contains("rm -rf"));
}

#[test]
fn panic_hook_records_sys_crash_keeping_only_literal_messages() {
    seclog::crash::install_panic_hook();
    let secret = "S3CR3T-in-panic";
    let (_, recs) = capture(|| {
        let _ = catch_unwind(|| panic!("queue is full"));
        let _ = catch_unwind(AssertUnwindSafe(|| panic!("bad token {secret}")));
        let _ = catch_unwind(|| secret.parse::<u32>().unwrap());
    });
    let crashes: Vec<&Value> = recs.iter().filter(|r| r["event"] == "sys_crash").collect();
    assert_eq!(crashes.len(), 3);
    assert_eq!(crashes[0]["level"], "ERROR");
    assert_eq!(crashes[0]["fields"]["message"], "queue is full");
    assert_eq!(crashes[0]["fields"]["file"], "tests/events.rs");
    assert!(crashes[0]["fields"]["line"].as_u64().unwrap() > 0);
    assert_eq!(crashes[1]["fields"]["message"], "[REDACTED]");
    assert_eq!(crashes[2]["fields"]["message"], "[REDACTED]");
    let text: String = recs.iter().map(Value::to_string).collect();
    assert!(!text.contains("S3CR3T"));
}

#[seclog::security_logged(event = "db.query")]
fn query(#[sql] statement: &str, limit: u32) -> usize {
    statement.len() + limit as usize
}

#[test]
fn sql_parameters_are_recorded_by_shape() {
    let (_, recs) = capture(|| {
        query(
            "SELECT * FROM users WHERE email = 'S3CR3T@example.com' AND id IN (1, 2, 3)",
            10,
        )
    });
    let r = one(recs);
    assert_eq!(
        r["inputs"]["statement"],
        "SELECT * FROM users WHERE email = ? AND id IN (?)"
    );
    assert_eq!(r["inputs"]["limit"], 10);
    assert!(!r.to_string().contains("S3CR3T"));
}
