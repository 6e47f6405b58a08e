//! Measures `seclog::sql::shape` on a corpus of SQL statements with the literals each one
//! holds: how many literals survive into the shape, and whether any statement panics.
//!
//! ```text
//! cargo run --release --example sql_eval -- ../shared/reference/sql_cases.json [--verbose]
//! ```
//!
//! The corpus is a JSON array of objects with `input` (the statement) and `literals` (each
//! literal's source text, quotes included). A literal survives when its text, without its
//! quotes and with whitespace runs made one space, occurs in the shape as a whole token (not
//! inside a longer word) more often than in the statement outside its literals: in
//! `VALUES (1, 'title')` after a `title` column, the shape may keep the column but not the
//! string. Literals under 3 characters are not compared: `1` occurs in `t1`.
//! Exits 1 on any survivor or panic, 2 on a bad command line or corpus.

use std::panic;
use std::process::ExitCode;

use serde_json::Value;

/// The literal's text without its quotes: `'a'`, `"a"`, `$tag$a$tag$`, `q'[a]'`.
fn unquote(lit: &str) -> &str {
    let s = lit.trim();
    // Oracle's alternative quoting: q'[..]', Q'{..}', q'!..!'.
    if s.len() >= 5 && (s.starts_with("q'") || s.starts_with("Q'")) && s.ends_with('\'') {
        return &s[3..s.len() - 2];
    }
    if let Some(rest) = s.strip_prefix('$') {
        if let Some(p) = rest.find('$') {
            let tag = &s[..p + 2];
            if s.len() >= 2 * tag.len() && s.ends_with(tag) {
                return &s[tag.len()..s.len() - tag.len()];
            }
        }
    }
    for q in ['\'', '"', '`'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// How often `needle` occurs in `hay` as a whole token: no word character glued on either
/// side (where the needle itself starts or ends with one).
fn token_count(hay: &str, needle: &str) -> usize {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let mut count = 0;
    let mut from = 0;
    while let Some(p) = hay[from..].find(needle) {
        let start = from + p;
        let end = start + n.len();
        let left_ok = start == 0 || !is_word_byte(n[0]) || !is_word_byte(h[start - 1]);
        let right_ok = end == h.len() || !is_word_byte(n[n.len() - 1]) || !is_word_byte(h[end]);
        if left_ok && right_ok {
            count += 1;
        }
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    count
}

fn main() -> ExitCode {
    let mut path = None;
    let mut verbose = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--verbose" | "-v" => verbose = true,
            _ if path.is_none() => path = Some(arg),
            _ => {
                eprintln!("usage: sql_eval <sql_cases.json> [--verbose]");
                return ExitCode::from(2);
            }
        }
    }
    let Some(path) = path else {
        eprintln!("usage: sql_eval <sql_cases.json> [--verbose]");
        return ExitCode::from(2);
    };
    let corpus: Value = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("sql_eval: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(cases) = corpus.as_array() else {
        eprintln!("sql_eval: {path}: expected a JSON array of cases");
        return ExitCode::from(2);
    };

    // A panic is counted, not printed by the default hook.
    panic::set_hook(Box::new(|_| {}));
    let (mut statements, mut literals, mut compared, mut survivors, mut panics) = (0, 0, 0, 0, 0);
    for (index, case) in cases.iter().enumerate() {
        let Some(input) = case.get("input").and_then(Value::as_str) else {
            continue;
        };
        statements += 1;
        let lits: Vec<&str> = case
            .get("literals")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        literals += lits.len();
        let shaped = match panic::catch_unwind(|| seclog::sql::shape(input)) {
            Ok(s) => s,
            Err(_) => {
                panics += 1;
                if verbose {
                    println!("PANIC #{index}: {input}");
                }
                continue;
            }
        };
        // The statement outside its literals: what the shape may keep.
        let mut code = input.to_owned();
        for lit in &lits {
            code = code.replace(lit, " ");
        }
        let code = squeeze(&code);
        for lit in lits {
            let text = squeeze(unquote(lit));
            if text.chars().count() < 3 {
                continue;
            }
            compared += 1;
            if token_count(&shaped, &text) > token_count(&code, &text) {
                survivors += 1;
                if verbose {
                    println!("SURVIVOR #{index} {text:?}\n  in:    {input}\n  shape: {shaped}");
                }
            }
        }
    }
    println!("statements: {statements}");
    println!("literals:   {literals} ({compared} of 3 characters or more compared)");
    println!("survivors:  {survivors}");
    println!("panics:     {panics}");
    if survivors > 0 || panics > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
