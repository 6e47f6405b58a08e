//! Hostile and huge inputs: one valid JSON line per record, bounded size, and a handler that
//! runs normally whatever it is given.

use std::panic::{AssertUnwindSafe, catch_unwind};

use seclog::testing::capture;
use seclog::{Encoder, Loggable, security_logged};

#[security_logged]
fn echo(text: String) -> String {
    text
}

#[test]
fn hostile_strings_cannot_forge_or_break_records() {
    let hostile = [
        "line1\r\nline2",
        "nul\0byte",
        "\u{1b}[31mred\u{1b}[0m\u{1b}]0;title\u{7}",
        "admin\u{202e}nimda",
        "\"}\n{\"event\":\"authn_login_success\",\"who\":{\"user\":\"root\"}}",
        "{\"unterminated\": [",
        "back\\slash\" quote",
        "\u{2028}\u{2029}\u{85}\u{feff}",
        "😀 ünïcödé",
    ];
    for input in hostile {
        let (out, recs) = capture(|| echo(input.to_string()));
        assert_eq!(out, input, "the handler sees its input unchanged");
        // `capture` checks each record is one line of valid JSON with no raw control byte.
        assert_eq!(recs.len(), 1, "one record for {input:?}");
        let r = &recs[0];
        assert_eq!(r["inputs"]["text"], input, "the value round-trips");
        assert_eq!(r["output"], input);
        assert_eq!(r["event"], "echo", "no forged keys");
    }
}

#[test]
fn invisible_and_reordering_characters_are_escaped_in_the_raw_line() {
    let mut buf = Vec::new();
    let raw = seclog::to_json("a\u{202e}b\u{2028}c\u{1b}d\u{85}e");
    buf.extend_from_slice(raw.as_bytes());
    assert_eq!(raw, r#""a\u202eb\u2028c\u001bd\u0085e""#);
}

#[test]
fn a_ten_megabyte_string_is_cut_to_the_limit_on_a_char_boundary() {
    // 'é' is two bytes: the 4096-byte limit falls on a boundary only by chance.
    let huge = format!("x{}", "é".repeat(5 * 1024 * 1024));
    let len = huge.len();
    assert!(len > 10_000_000);
    let (out, recs) = capture(|| echo(huge.clone()));
    assert_eq!(out.len(), len, "the handler ran normally");
    let text = recs[0]["inputs"]["text"].as_str().unwrap();
    let mark = format!("…[truncated from {len} bytes]");
    assert!(text.ends_with(&mark), "marked as cut");
    let kept = &text[..text.len() - mark.len()];
    assert!(kept.len() <= 4096 && kept.len() >= 4094, "{}", kept.len());
    assert!(kept.starts_with("xé"));
    // Cut on a char boundary: no replacement characters.
    assert!(!kept.contains('\u{fffd}'));
    let line_len = recs[0].to_string().len();
    assert!(
        line_len < 3 * 4096 + 2048,
        "record stays bounded: {line_len}"
    );
}

#[security_logged(ret = skip)]
fn total(values: Vec<u32>) -> u64 {
    values.iter().map(|&v| u64::from(v)).sum()
}

#[test]
fn a_million_element_vec_is_cut_to_256_items() {
    let values: Vec<u32> = (0..1_000_000).collect();
    let (sum, recs) = capture(|| total(values));
    assert_eq!(sum, 499_999_500_000);
    let items = recs[0]["inputs"]["values"].as_array().unwrap();
    assert_eq!(items.len(), 257);
    assert_eq!(items[0], 0);
    assert_eq!(items[255], 255);
    assert_eq!(items[256], "…[truncated from 1000000 items]");
}

#[security_logged]
fn many_strings(values: Vec<String>) -> usize {
    values.len()
}

#[test]
fn many_strings_at_their_limit_cannot_make_a_huge_record() {
    let values = vec!["y".repeat(10_000); 1000];
    let (n, recs) = capture(|| many_strings(values));
    assert_eq!(n, 1000);
    let line = recs[0].to_string();
    assert!(line.len() < 80 * 1024, "{}", line.len());
    let items = recs[0]["inputs"]["values"].as_array().unwrap();
    assert!(items.iter().any(|v| v == "[record size limit]"));
}

struct Explosive;

impl Loggable for Explosive {
    fn log(&self, out: &mut Encoder<'_>) {
        let mut obj = out.object();
        obj.field("before", &1);
        panic!("Loggable impl failed");
    }
}

#[security_logged]
fn uses_explosive(e: Explosive, n: u32) -> u32 {
    let _ = e;
    n
}

#[test]
fn a_panicking_loggable_impl_does_not_break_records() {
    let (out, recs) = capture(|| uses_explosive(Explosive, 3));
    assert_eq!(out, 3, "the handler still ran");
    let r = &recs[0];
    assert_eq!(r["inputs"]["e"], "[unloggable: its Loggable impl panicked]");
    assert_eq!(r["inputs"]["n"], 3);
    assert_eq!(r["output"], 3);
    // And later records are fine.
    let (_, recs) = capture(|| echo("after".into()));
    assert_eq!(recs[0]["output"], "after");
}

struct Deep(Option<Box<Deep>>);

impl Loggable for Deep {
    fn log(&self, out: &mut Encoder<'_>) {
        let mut arr = out.array();
        if let Some(d) = &self.0 {
            arr.item(d.as_ref());
        }
    }
}

#[security_logged]
fn deep(d: Deep) -> bool {
    d.0.is_some()
}

#[test]
fn deep_nesting_is_cut_at_the_depth_limit() {
    let mut d = Deep(None);
    for _ in 0..100 {
        d = Deep(Some(Box::new(d)));
    }
    let (_, recs) = capture(|| deep(d));
    let text = recs[0].to_string();
    assert!(text.contains("[depth limit]"));
}

#[test]
fn capture_is_scoped_per_thread() {
    std::thread::scope(|s| {
        for t in 0..8 {
            s.spawn(move || {
                let marker = format!("thread-{t}");
                let (_, recs) = capture(|| {
                    for _ in 0..50 {
                        echo(marker.clone());
                        std::thread::yield_now();
                    }
                });
                assert_eq!(recs.len(), 50);
                assert!(recs.iter().all(|r| r["output"] == marker.as_str()));
            });
        }
    });
}

#[test]
fn nested_captures_take_the_records_of_their_scope() {
    let (inner, outer) = capture(|| {
        echo("outer-1".into());
        let (_, inner) = capture(|| echo("inner".into()));
        echo("outer-2".into());
        inner
    });
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0]["output"], "inner");
    assert_eq!(outer.len(), 2);
    assert_eq!(outer[1]["output"], "outer-2");
}

#[test]
fn a_capture_closure_that_panics_leaves_capture_usable() {
    let result = catch_unwind(AssertUnwindSafe(|| {
        capture(|| {
            echo("x".into());
            panic!("test body failed");
        })
    }));
    assert!(result.is_err());
    let (_, recs) = capture(|| echo("y".into()));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["output"], "y");
}

mod properties {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any string is written as one valid JSON string that decodes back to it, with no raw
        /// control, bidi or zero-width character in the line.
        #[test]
        fn any_string_round_trips_as_inert_json(s in "\\PC{0,64}|[\\x00-\\x1f\\u{7f}-\\u{9f}\\u{200b}-\\u{200f}\\u{2028}-\\u{202e}\\u{2066}-\\u{2069}\\u{feff}a\"\\\\]{0,32}") {
            let json = seclog::to_json(s.as_str());
            let back: String = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &s);
            prop_assert!(!json.chars().any(|c| c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')),
                "{json:?}");
        }
    }
}
