//! The secret scanner: a backstop for secrets in strings nobody marked.
//!
//! Every string written to a record — unless it was redacted by a strategy or belongs to a
//! field or parameter marked public — is scanned for secrets that slipped through, and each
//! match is replaced by a tag naming its kind:
//!
//! | kind | matches |
//! |---|---|
//! | `[REDACTED:card]` | 13–19 digits not starting with 0, spaces or dashes between, that pass the Luhn check |
//! | `[REDACTED:jwt]` | `header.payload.signature` whose header decodes to a JSON object with `alg` |
//! | `[REDACTED:bearer]` | the token after `Bearer ` (16 characters or more) |
//! | `[REDACTED:aws_key]` | AWS access key ids (`AKIA`, `ASIA`, ... and 16 more) |
//! | `[REDACTED:private_key]` | a PEM `-----BEGIN ... PRIVATE KEY-----` block |
//! | `[REDACTED:github_token]` | `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` tokens and `github_pat_` |
//! | `[REDACTED:slack_token]` | `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-` tokens |
//! | `[REDACTED:stripe_key]` | `sk_live_`, `sk_test_`, `rk_live_`, `rk_test_` keys |
//! | `[REDACTED:url_password]` | the password in `scheme://user:password@host` |
//!
//! Validators (Luhn, the JWT header, prefixes with lengths) keep false positives low:
//! timestamps, UUIDs and order numbers pass through. The scanner is on by default; switch it
//! off with `SECLOG_SECRET_SCANNER=off`, [`crate::Builder::secret_scanner`] or [`set_enabled`].
//!
//! ```
//! assert_eq!(
//!     seclog::redact::scanner::scrub("retry with Bearer abcdefghijklmnop0123 please").unwrap(),
//!     "retry with Bearer [REDACTED:bearer] please"
//! );
//! assert_eq!(seclog::redact::scanner::scrub("order 2026-11-23 #1042"), None);
//! ```

use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Strings shorter than this hold none of the secrets looked for.
const MIN_LEN: usize = 13;

/// Switches the scanner on or off for the whole process.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether the scanner is on.
#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// `s` with every secret found replaced by its tag, or `None` when none is found.
pub fn scrub(s: &str) -> Option<String> {
    if s.len() < MIN_LEN {
        return None;
    }
    let bytes = s.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `s` already in `out`
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Every pattern but a URL's password starts a word: skip the rest of a word, looking
        // only for `:`.
        let found = match b {
            b':' => url_password(bytes, i),
            b'0'..=b'9' => card(bytes, i),
            b'e' if next_is(bytes, i, b'y') => jwt(bytes, i),
            b'B' | b'b' if next_is(bytes, i, b'e') || next_is(bytes, i, b'E') => bearer(bytes, i),
            b'A' => aws_key(bytes, i),
            b'-' if next_is(bytes, i, b'-') => private_key(s, i),
            b'g' if next_is(bytes, i, b'h') || next_is(bytes, i, b'i') => github(bytes, i),
            b'x' if next_is(bytes, i, b'o') => slack(bytes, i),
            b's' | b'r' if next_is(bytes, i, b'k') => stripe(bytes, i),
            _ => None,
        };
        match found {
            Some((start, end, kind)) => {
                let o = out.get_or_insert_with(|| String::with_capacity(s.len()));
                o.push_str(&s[copied..start]);
                o.push_str("[REDACTED:");
                o.push_str(kind);
                o.push(']');
                copied = end;
                i = end;
            }
            None if b.is_ascii_alphanumeric() => {
                i += 1;
                while i < bytes.len() && WORD[usize::from(bytes[i])] {
                    i += 1;
                }
            }
            None => i += 1,
        }
    }
    let mut o = out?;
    o.push_str(&s[copied..]);
    Some(o)
}

/// Bytes that continue a word (ASCII letters and digits).
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    t
};

fn next_is(b: &[u8], i: usize, c: u8) -> bool {
    b.get(i + 1) == Some(&c)
}

/// A match: the byte range to replace (always on char boundaries: it starts and ends at
/// ASCII bytes) and its kind.
type Found = Option<(usize, usize, &'static str)>;

fn at_boundary(b: &[u8], i: usize) -> bool {
    i == 0 || !b[i - 1].is_ascii_alphanumeric()
}

fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_')
}

fn run(b: &[u8], from: usize, ok: impl Fn(u8) -> bool) -> usize {
    let mut j = from;
    while j < b.len() && ok(b[j]) {
        j += 1;
    }
    j
}

fn starts_with_ci(b: &[u8], i: usize, pat: &[u8]) -> bool {
    b.len() >= i + pat.len() && b[i..i + pat.len()].eq_ignore_ascii_case(pat)
}

/// 13–19 digits, single spaces or dashes between groups, Luhn-valid, not glued to more digits.
fn card(b: &[u8], i: usize) -> Found {
    let mut digits = [0u8; 20];
    let mut n = 0;
    let mut j = i;
    let mut end = i;
    while j < b.len() && n < digits.len() {
        match b[j] {
            c @ b'0'..=b'9' => {
                digits[n] = c;
                n += 1;
                j += 1;
                end = j;
            }
            b' ' | b'-'
                if j + 1 < b.len() && b[j + 1].is_ascii_digit() && b[j - 1].is_ascii_digit() =>
            {
                j += 1
            }
            _ => break,
        }
    }
    let glued = b.get(end).is_some_and(u8::is_ascii_alphanumeric);
    // Card numbers never start with 0 (no issuer has major industry identifier 0).
    let digits = &digits[..n];
    let plausible = (13..=19).contains(&n) && digits[0] != b'0' && !glued;
    (plausible && super::strategy::luhn(digits)).then_some((i, end, "card"))
}

fn jwt(b: &[u8], i: usize) -> Found {
    if !b[i..].starts_with(b"eyJ") || !at_boundary(b, i) {
        return None;
    }
    let end = run(b, i, |c| is_token_byte(c) || c == b'.');
    let token = &b[i..end];
    let parts: Vec<&[u8]> = token.split(|&c| c == b'.').collect();
    if parts.len() != 3 || parts.iter().take(2).any(|p| p.len() < 10) {
        return None;
    }
    let header = base64url_decode(parts[0])?;
    let header = std::str::from_utf8(&header).ok()?;
    (header.starts_with('{') && header.contains("\"alg\"")).then_some((i, end, "jwt"))
}

fn base64url_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn bearer(b: &[u8], i: usize) -> Found {
    if !starts_with_ci(b, i, b"bearer ") || !at_boundary(b, i) {
        return None;
    }
    let start = run(b, i + 7, |c| c == b' ');
    let end = run(b, start, |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
    });
    (end - start >= 16).then_some((start, end, "bearer"))
}

fn aws_key(b: &[u8], i: usize) -> Found {
    const PREFIXES: [&[u8]; 8] = [
        b"AKIA", b"ASIA", b"AGPA", b"AIDA", b"AROA", b"ANPA", b"ANVA", b"AIPA",
    ];
    if !at_boundary(b, i) || !PREFIXES.iter().any(|p| b[i..].starts_with(p)) {
        return None;
    }
    let end = run(b, i + 4, |c| c.is_ascii_uppercase() || c.is_ascii_digit());
    (end - i == 20 && !b.get(end).is_some_and(u8::is_ascii_alphanumeric))
        .then_some((i, end, "aws_key"))
}

fn private_key(s: &str, i: usize) -> Found {
    let rest = &s[i..];
    if !rest.starts_with("-----BEGIN ") {
        return None;
    }
    let header_end = rest[11..].find("-----")? + 11;
    if !rest[..header_end].ends_with("PRIVATE KEY") {
        return None;
    }
    let end = match rest.find("-----END ") {
        Some(p) => rest[p + 9..]
            .find("-----")
            .map_or(s.len(), |q| i + p + 9 + q + 5),
        None => s.len(),
    };
    Some((i, end, "private_key"))
}

fn prefixed(b: &[u8], i: usize, prefixes: &[&[u8]], min_rest: usize, kind: &'static str) -> Found {
    if !at_boundary(b, i) {
        return None;
    }
    let p = prefixes.iter().find(|p| b[i..].starts_with(p))?;
    let end = run(b, i + p.len(), is_token_byte);
    (end - i - p.len() >= min_rest).then_some((i, end, kind))
}

fn github(b: &[u8], i: usize) -> Found {
    prefixed(
        b,
        i,
        &[b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"],
        30,
        "github_token",
    )
    .or_else(|| prefixed(b, i, &[b"github_pat_"], 40, "github_token"))
}

fn slack(b: &[u8], i: usize) -> Found {
    prefixed(
        b,
        i,
        &[b"xoxb-", b"xoxp-", b"xoxa-", b"xoxr-", b"xoxs-"],
        10,
        "slack_token",
    )
}

fn stripe(b: &[u8], i: usize) -> Found {
    prefixed(
        b,
        i,
        &[b"sk_live_", b"sk_test_", b"rk_live_", b"rk_test_"],
        16,
        "stripe_key",
    )
}

/// At the `:` of `scheme://user:password@host`, the password; at the `:` of `://` nothing.
fn url_password(b: &[u8], i: usize) -> Found {
    if !b[i..].starts_with(b"://") {
        return None;
    }
    let auth_start = i + 3;
    let auth_end = run(b, auth_start, |c| {
        !matches!(c, b'/' | b'?' | b'#' | b' ' | b'"' | b'\'')
    });
    let authority = &b[auth_start..auth_end];
    let at = authority.iter().rposition(|&c| c == b'@')?;
    let colon = authority[..at].iter().position(|&c| c == b':')?;
    let (start, end) = (auth_start + colon + 1, auth_start + at);
    (end > start).then_some((start, end, "url_password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_each_kind_in_place() {
        let cases = [
            (
                "card 4111 1111 1111 1111 on file",
                "card [REDACTED:card] on file",
            ),
            ("AKIAIOSFODNN7EXAMPLE used", "[REDACTED:aws_key] used"),
            (
                "postgres://app:hunter2@db:5432/x",
                "postgres://app:[REDACTED:url_password]@db:5432/x",
            ),
            (
                "token=ghp_0123456789abcdefghijklmnopqrstuvwxyz",
                "token=[REDACTED:github_token]",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(scrub(input).as_deref(), Some(expected), "{input}");
        }
    }
}
