//! `seclog::sql::shape` on any text: never panics, stays bounded, and a value in a string
//! literal never reaches the shape, whatever SQL (or garbage) comes before it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seclog::sql::{MAX_SHAPE_BYTES, shape};

/// Digits only: whatever state the text before leaves the tokenizer in (inside a string, a
/// comment, a quoted identifier, or none), these are a literal, a comment or cut to `?`.
const VALUE: &str = "73519046281";

fuzz_target!(|data: &[u8]| {
    let sql = String::from_utf8_lossy(data);
    let out = shape(&sql);
    assert!(
        out.len() <= MAX_SHAPE_BYTES + '…'.len_utf8(),
        "shape of {} bytes is {} bytes",
        sql.len(),
        out.len()
    );
    if sql.contains(VALUE) {
        return;
    }
    let probe = format!("{sql} WHERE x = '{VALUE}'");
    let out = shape(&probe);
    assert!(
        !out.contains(VALUE),
        "a string literal's value leaked into the shape: {out:?}"
    );
});
