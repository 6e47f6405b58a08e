//! Inputs the fuzz targets (`fuzz/`) found that broke a property, each kept as a test of the
//! fixed behaviour.

use seclog::integrity::{ChainKey, Checkpoint, TamperKind, verify_files, verify_files_against};

/// verify_sealed: every file of a sealed log deleted (mutation `07 00 00 00` eight times).
/// Against a checkpoint that counts records, no file at all is a log cut to nothing, not a
/// valid one.
#[test]
fn no_file_left_against_a_checkpoint_is_truncated() {
    let key = ChainKey::from_bytes([7; 32]);
    let checkpoint = Checkpoint {
        count: 29,
        head: [0xab; 32],
        key_id: key.id().to_owned(),
        ts: "2026-11-30T12:00:01.000000000Z".into(),
        chain: None,
    };
    let report = verify_files_against(&key, &[], Some(&checkpoint)).unwrap();
    let failure = report.failure.expect("the cut is reported");
    assert_eq!(failure.kind, TamperKind::Truncated);
    assert_eq!(report.valid, 0);

    // A checkpoint taken before the first record asks for nothing.
    let empty = Checkpoint {
        count: 0,
        ..checkpoint
    };
    let report = verify_files_against(&key, &[], Some(&empty)).unwrap();
    assert_eq!(report.failure, None);
    // Without a checkpoint there is nothing to compare with: no files, no break.
    assert_eq!(verify_files(&key, &[]).unwrap().failure, None);
}

/// lambda_payload: the empty input, read as text and put in the `User-Agent` and
/// `X-Forwarded-For` headers. An empty header is no user agent (nor request id), as an empty
/// field of the request context is not.
#[cfg(feature = "lambda")]
#[test]
fn an_empty_lambda_header_is_no_caller_key() {
    use serde_json::json;

    let payload =
        json!({ "headers": { "X-Forwarded-For": "", "User-Agent": "", "X-Amzn-Trace-Id": "" } });
    let caller = seclog::lambda::caller_from_payload(&payload);
    assert_eq!(caller.user_agent(), None);
    assert_eq!(caller.request_id(), None);
    assert_eq!(caller.ip(), None);
    assert!(caller.is_empty());

    let multi = json!({ "multiValueHeaders": { "user-agent": ["curl/8", ""] } });
    assert_eq!(
        seclog::lambda::caller_from_payload(&multi).user_agent(),
        None
    );

    // A header with a value still counts.
    let some = json!({ "headers": { "user-agent": "curl/8" } });
    assert_eq!(
        seclog::lambda::caller_from_payload(&some).user_agent(),
        Some("curl/8")
    );
}

/// scanner: a text that was scrubbed before (`://user:[REDACTED:…]@host`, a masked e-mail
/// address) matched again and came back unchanged, yet was reported as a finding, so the
/// record's `redacted` manifest named a redaction that changed nothing.
#[test]
fn scrubbing_twice_finds_nothing_the_second_time() {
    use seclog::redact::scanner::scrub;
    for text in [
        "mongodb://admin:hunter2-Xk9q@db.example.org:27017/shop",
        "redis://:s3cr3t-Pa55word@cache.internal:6379/0",
        "contact alice.smith@example.org about the invoice",
        "password=Tr0ub4dor-and-3-horses",
    ] {
        let once = scrub(text).expect("the first pass finds it");
        assert_ne!(once, text);
        assert_eq!(
            scrub(&once),
            None,
            "{once:?} changed nothing but was reported"
        );
    }
    let (_, records) = seclog::testing::capture(|| {
        seclog::event!(
            "report.export",
            note = "mongodb://admin:[REDACTED:url_credential]@db.example.org/shop"
        );
    });
    assert_eq!(
        records[0]["fields"]["note"],
        "mongodb://admin:[REDACTED:url_credential]@db.example.org/shop"
    );
    assert!(records[0].get("redacted").is_none(), "{}", records[0]);
}
