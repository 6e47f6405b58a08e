//! The secret scanner: a corpus of secrets and of harmless look-alikes with the detection and
//! false-positive rates, and the backstop at work in records.

use seclog::redact::scanner::{scrub, set_enabled};
use seclog::testing::capture;
use seclog::{Redact, security_logged};

/// (text holding a secret, the kind it must be tagged with).
const SECRETS: &[(&str, &str)] = &[
    ("4111111111111111", "card"),
    ("4111 1111 1111 1111", "card"),
    ("4111-1111-1111-1111", "card"),
    ("card: 5500 0000 0000 0004 exp 12/29", "card"),
    ("5105105105105100", "card"),
    ("378282246310005", "card"),
    ("371449635398431", "card"),
    ("6011111111111117", "card"),
    ("3530111333300000", "card"),
    ("30569309025904", "card"),
    ("paid with 4012888888881881.", "card"),
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "jwt",
    ),
    (
        "token=eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2lkcCIsInN1YiI6ImFubiJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU",
        "jwt",
    ),
    (
        "{\"id_token\":\"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IiLCJleHAiOjE3MDAwMDAwMDB9.MEUCIQD\"}",
        "jwt",
    ),
    (
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJhZG1pbiI6dHJ1ZX0.",
        "jwt",
    ),
    (
        "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "bearer",
    ),
    ("bearer ya29.a0AfH6SMBx-3kLqL0Zc9sPq", "bearer"),
    ("BEARER abcdefghijklmnopqrstuvwxyz012345", "bearer"),
    ("header was 'Bearer sk-proj-AbCdEfGhIjKlMnOpQr'", "bearer"),
    ("AKIAIOSFODNN7EXAMPLE", "aws_key"),
    ("aws_access_key_id = AKIAI44QH8DHBEXAMPLE", "aws_key"),
    ("ASIAY34FZKBOKMUTVV7A in session", "aws_key"),
    ("key AGPAJ2UCCR6DPCEXAMPL!", "aws_key"),
    ("AROAJQABLZS4A3QDU576 role", "aws_key"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+\n-----END RSA PRIVATE KEY-----",
        "private_key",
    ),
    (
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA\n-----END PRIVATE KEY-----",
        "private_key",
    ),
    (
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg",
        "private_key",
    ),
    (
        "key:-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
        "private_key",
    ),
    ("ghp_1234567890abcdefghijklmnopqrstuvwxyz", "github_token"),
    ("gho_16C7e42F292c6912E7710c838347Ae178B4a", "github_token"),
    (
        "push with ghs_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 failed",
        "github_token",
    ),
    (
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
        "github_token",
    ),
    ("ghr_abcdefghijklmnopqrstuvwxyz0123456789AB", "github_token"),
    (
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "slack_token",
    ),
    (
        "slack token xoxp-1111111111-2222222222-3333333333-abcdef",
        "slack_token",
    ),
    ("xoxa-2-abcdefghijklmnop", "slack_token"),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe_key"),
    ("sk_test_51HqLyjWDarjtT1zdp7dcABCD", "stripe_key"),
    ("rk_live_abcdefghijklmnopqrstuvwx", "stripe_key"),
    ("STRIPE=sk_live_0123456789abcdefABCDEF", "stripe_key"),
    (
        "postgres://app:hunter2@db.internal:5432/shop",
        "url_password",
    ),
    ("https://admin:s3cr3t!@example.com/login", "url_password"),
    ("redis://:p4ssw0rd@cache:6379", "url_password"),
    ("amqp://guest:guest@rabbit/", "url_password"),
    ("mysql://root:toor@127.0.0.1:3306/app?ssl=1", "url_password"),
    (
        "connect to ftp://bob:correct-horse@files.example.org now",
        "url_password",
    ),
    (
        "mongodb+srv://svc:Zx9$kLm2@cluster0.mongodb.net/db",
        "url_password",
    ),
    ("card on file 4000 0566 5566 5556", "card"),
    ("Visa 4242424242424242 declined", "card"),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "jwt",
    ),
];

/// Strings that look like secrets and are not.
const HARMLESS: &[&str] = &[
    "2026-11-23T03:51:09.123456789Z",
    "2026-11-23 03:51:09",
    "1763871069",
    "1763871069123",
    "550e8400-e29b-41d4-a716-446655440000",
    "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "ORD-2026-000123456",
    "order #10420001 shipped",
    "invoice INV-0000012345",
    "tracking 1Z999AA10123456784",
    "+44 20 7946 0018",
    "(555) 010-0199",
    "4111111111111112",
    "1234567890123456",
    "0000 0000 0000 0001",
    "total 1,299.00 EUR",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "version 1.95.0 (59807616e 2026-04-14)",
    "https://example.com/login?next=/admin",
    "postgres://db.internal:5432/shop",
    "https://user@example.com/repo.git",
    "mailto:ann@example.com",
    "ann@example.com",
    "203.0.113.7",
    "2001:db8:85a3::8a2e:370:7348",
    "10.0.0.1:8080",
    "bearer of bad news",
    "the Bearer token was missing",
    "AKIA is a prefix",
    "AKIAIOSFODNN7EXAMPL",
    "eyJust kidding",
    "ghp_short",
    "xoxb-",
    "sk_live_",
    "sk_test_short",
    "-----BEGIN CERTIFICATE-----\nMIIB",
    "-----BEGIN PUBLIC KEY-----\nMFkw",
    "dGhpcyBpcyBqdXN0IGJhc2U2NCB0ZXh0",
    "The quick brown fox jumps over the lazy dog",
    "SELECT * FROM users WHERE id = ?",
    "GET /api/v1/orders/12345 HTTP/1.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
    "user_id=42&page=3&sort=desc",
    "lat=51.5074, lon=-0.1278",
    "ISBN 978-3-16-148410-0",
    "IBAN-like DE00 0000 0000 0000 0000 00",
    "build 20261123.1",
    "a.b.c.d.e.f.g.h",
];

#[test]
fn corpus_detection_and_false_positive_rates() {
    assert!(SECRETS.len() >= 50 && HARMLESS.len() >= 50);
    let mut missed = Vec::new();
    for (text, kind) in SECRETS {
        match scrub(text) {
            Some(clean) if clean.contains(&format!("[REDACTED:{kind}]")) => {}
            other => missed.push(format!("{text:?} -> {other:?}")),
        }
    }
    let flagged: Vec<String> = HARMLESS
        .iter()
        .filter_map(|t| scrub(t).map(|c| format!("{t:?} -> {c:?}")))
        .collect();
    println!(
        "detected {}/{} secrets, {}/{} harmless strings flagged",
        SECRETS.len() - missed.len(),
        SECRETS.len(),
        flagged.len(),
        HARMLESS.len()
    );
    assert!(missed.is_empty(), "missed: {missed:#?}");
    assert!(flagged.is_empty(), "false positives: {flagged:#?}");
}

#[derive(Redact)]
struct Note {
    text: String,
    #[seclog(public)]
    sample_token_format: String,
}

#[security_logged]
fn save(note: Note, comment: &str, #[public] example: &str) -> usize {
    note.text.len() + comment.len() + example.len() + note.sample_token_format.len()
}

/// One test: it switches the process-wide scanner off and on again.
#[test]
fn the_backstop_in_records_and_its_switch() {
    let call = || {
        save(
            Note {
                text: "db at postgres://app:hunter2@db/shop".into(),
                sample_token_format: "ghp_1234567890abcdefghijklmnopqrstuvwxyz".into(),
            },
            "card 4111 1111 1111 1111, thanks",
            "AKIAIOSFODNN7EXAMPLE",
        )
    };
    let (_, recs) = capture(call);
    let r = &recs[0];
    assert_eq!(
        r["inputs"]["note"]["text"],
        "db at postgres://app:[REDACTED:url_password]@db/shop"
    );
    assert_eq!(r["inputs"]["comment"], "card [REDACTED:card], thanks");
    // Declared public: left alone.
    assert_eq!(
        r["inputs"]["note"]["sample_token_format"],
        "ghp_1234567890abcdefghijklmnopqrstuvwxyz"
    );
    assert_eq!(r["inputs"]["example"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(
        r["redacted"],
        serde_json::json!(["inputs.note.text:scan", "inputs.comment:scan"])
    );

    set_enabled(false);
    let (_, recs) = capture(call);
    set_enabled(true);
    assert_eq!(
        recs[0]["inputs"]["comment"],
        "card 4111 1111 1111 1111, thanks"
    );
}
