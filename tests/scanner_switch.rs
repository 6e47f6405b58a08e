//! The scanner's switches set by the program before its first record stay as set: the
//! default set-up, made when the first record is written, does not switch them back on.
//! (Found by the `encode_string` fuzz target: a Luhn-valid number masked with the scanner off.)
//!
//! The switches and the default set-up are process-wide, so this file is its own test binary
//! with one test.

use seclog::redact::scanner::{self, PiiSet};

#[seclog::security_logged(event = "note.saved")]
fn save(note: &str) -> usize {
    note.len()
}

#[test]
fn switches_set_before_the_first_record_hold() {
    scanner::set_enabled(false);
    scanner::set_pii(PiiSet::NONE);
    let note = "card 4111111111111111, key AKIAQ7X2M5RTB3LH9KDW, mail bob@example.org";
    let (_, records) = seclog::testing::capture(|| save(note));
    assert_eq!(records[0]["inputs"]["note"], note);
    assert!(records[0].get("redacted").is_none());
    assert!(!scanner::enabled());
    assert_eq!(scanner::pii(), PiiSet::NONE);

    // And on again, after the set-up: masked.
    scanner::set_enabled(true);
    scanner::set_pii(PiiSet::ALL);
    let (_, records) = seclog::testing::capture(|| save(note));
    let recorded = records[0]["inputs"]["note"].as_str().unwrap();
    assert!(!recorded.contains("4111111111111111") && !recorded.contains("AKIAQ7X2M5RTB3LH9KDW"));
    assert!(!recorded.contains("bob@"));
}
