//! Any bytes, as a string, written into a record through the capture sink and through the
//! encoder: always exactly one line of valid JSON, and with the scanner off (secrets and
//! personal data) the string reads back as it went in (after lossy UTF-8 decoding), or as its
//! cut prefix and the cut mark when it is over the string limit. Strings go in as values,
//! `Display` errors, and object keys (cut at the same limit).
#![no_main]

use libfuzzer_sys::fuzz_target;
use seclog::{Encoder, Limits, Loggable, security_logged};
use serde_json::Value;

#[security_logged(event = "fuzz_echo", err = display)]
fn echo(text: &str, fail: bool) -> Result<usize, String> {
    if fail {
        Err(text.to_owned())
    } else {
        Ok(text.len())
    }
}

/// An object whose one key is the text.
struct Keyed<'a>(&'a str);

impl Loggable for Keyed<'_> {
    fn log(&self, out: &mut Encoder<'_>) {
        let mut obj = out.object();
        obj.field(self.0, &1u8);
    }
}

/// What a string reads back as: itself, or its first bytes (cut on a character boundary)
/// followed by the cut mark.
fn check_round_trip(text: &str, got: &str) {
    let max = Limits::default().max_string_bytes;
    if text.len() <= max {
        assert_eq!(got, text, "the string does not round-trip");
    } else {
        // The mark is at the end: the text itself may hold `…`.
        let mark = format!("…[truncated from {} bytes]", text.len());
        let kept = got
            .strip_suffix(mark.as_str())
            .unwrap_or_else(|| panic!("a cut string without its mark: {got:?}"));
        assert!(
            text.starts_with(kept),
            "a cut string is not a prefix of the input"
        );
        assert!(
            kept.len() <= max && kept.len() + 4 > max,
            "cut at {} bytes",
            kept.len()
        );
    }
}

fn one_line(json: &str) -> Value {
    assert!(
        !json.contains('\n') && !json.contains('\r'),
        "more than one line: {json:?}"
    );
    serde_json::from_str(json).expect("the encoder writes valid JSON")
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let scan = mode & 1 == 1;
    // The scanner masks secrets and personal data: both on, or both off for the round trip.
    seclog::redact::scanner::set_enabled(scan);
    seclog::redact::scanner::set_pii(if scan {
        seclog::redact::scanner::PiiSet::ALL
    } else {
        seclog::redact::scanner::PiiSet::NONE
    });

    let value = one_line(&seclog::to_json(text.as_ref() as &str));
    let key = one_line(&seclog::to_json(&Keyed(&text)));
    let keys: Vec<&String> = key.as_object().expect("an object").keys().collect();
    assert_eq!(keys.len(), 1);

    // `capture` parses each record and fails if one is not exactly one line of JSON.
    let fail = mode & 2 == 2;
    let (_, records) = seclog::testing::capture(|| echo(&text, fail));
    assert_eq!(records.len(), 1, "one call, one record");
    let record = &records[0];
    let input = record["inputs"]["text"]
        .as_str()
        .expect("the input is a string");
    let error = fail.then(|| record["error"].as_str().expect("the error is a string"));

    if scan {
        return;
    }
    check_round_trip(&text, value.as_str().expect("a string"));
    check_round_trip(&text, input);
    if let Some(error) = error {
        check_round_trip(&text, error);
    }
    check_round_trip(&text, keys[0]);
});
