//! Any bytes, as a string, written into a record through the capture sink, through the
//! installed pipeline (queued, then scanned and finished by the writer thread before the sink
//! gets it) and through the encoder: always exactly one line of valid JSON, and with the
//! scanner off (secrets and personal data) the string reads back as it went in (after lossy
//! UTF-8 decoding), or as its cut prefix and the cut mark when it is over the string limit.
//! Strings go in as values, `Display` errors, and object keys (cut at the same limit).
#![no_main]

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use seclog::{Encoder, Limits, Loggable, security_logged};
use serde_json::Value;

/// What the installed pipeline's writer hands its sink.
#[derive(Clone, Default)]
struct Memory(Arc<Mutex<Vec<u8>>>);

impl seclog::Sink for Memory {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        self.0.lock().unwrap().extend_from_slice(record);
        Ok(())
    }
}

/// The records `run` makes, as the writer thread finished them into the sink.
fn through_the_writer(run: impl FnOnce()) -> Vec<Value> {
    static SINK: OnceLock<Memory> = OnceLock::new();
    let sink = SINK.get_or_init(|| {
        let sink = Memory::default();
        let guard = seclog::builder()
            .sink(sink.clone())
            .watching(false)
            .install()
            .expect("installed once");
        std::mem::forget(guard);
        sink
    });
    run();
    assert!(seclog::flush());
    let bytes = std::mem::take(&mut *sink.0.lock().unwrap());
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| one_line(std::str::from_utf8(l).expect("records are UTF-8")))
        .collect()
}

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
    // The pipeline's own records (its start) go to the same sink.
    let written: Vec<Value> = through_the_writer(|| {
        let _ = echo(&text, fail);
    })
    .into_iter()
    .filter(|r| r["event"].as_str().is_some_and(|e| e.starts_with("fuzz_echo")))
    .collect();
    assert_eq!(written.len(), 1, "one call, one record: {written:?}");
    for record in [&records[0], &written[0]] {
        let input = record["inputs"]["text"]
            .as_str()
            .expect("the input is a string");
        let error = fail.then(|| record["error"].as_str().expect("the error is a string"));
        if scan {
            continue;
        }
        check_round_trip(&text, input);
        if let Some(error) = error {
            check_round_trip(&text, error);
        }
    }
    if scan {
        // Scanned on either thread, the same string is written the same way.
        assert_eq!(records[0]["inputs"], written[0]["inputs"]);
        assert_eq!(records[0]["redacted"], written[0]["redacted"]);
        return;
    }
    check_round_trip(&text, value.as_str().expect("a string"));
    check_round_trip(&text, keys[0]);
});
