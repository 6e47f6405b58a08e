//! The secret scanner on any text: never panics, a match always changes the text and leaves a
//! tag, the output stays bounded, and the record it ends up in is one line of valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The scanner's public entry: the one place to adapt if its signature changes.
fn scan(s: &str) -> Option<String> {
    seclog::redact::scanner::scrub(s)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(clean) = scan(&text) {
        // A finding always changes the text: one already masked is not reported.
        assert!(clean != text, "a match that changes nothing: {text:?}");
        // Secrets leave a tag; personal data a tag or a partial mask (`…@example.org`, `…1111`).
        assert!(
            clean.contains("[REDACTED:") || clean.contains('…'),
            "a match without a tag or a mask: {clean:?}"
        );
        // A tag is at most 24 bytes and replaces at least one byte.
        assert!(clean.len() <= text.len().saturating_mul(24) + 24);
    }
    // Through the encoder (scanner on by default): one line of valid JSON.
    let json = seclog::to_json(text.as_ref() as &str);
    assert!(!json.contains('\n') && !json.contains('\r'));
    let v: serde_json::Value = serde_json::from_str(&json).expect("the encoder writes valid JSON");
    assert!(v.is_string());
});
