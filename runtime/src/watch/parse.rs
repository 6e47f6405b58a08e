//! Fast extraction of the few fields the watcher needs from one record line.
//!
//! The record's layout is fixed by `record/` (`{"ts":..,"seq":N,"event":..,"level":..,
//! "outcome":..,"duration_ns":N[,"budget_ns":N,"over_budget":b][,"usage":..,"units":N],
//! "where":{..,"fn":..,"file":..,"line":N[,..]}[,"who":{..}],..}`), so a forward scan finds
//! each field where it must be. Inside a JSON string every `"` is escaped, so a structural
//! needle such as `"fn":"` cannot be forged by a value. A line whose layout is not recognised
//! (another format, a record cut short) is skipped: `parse` returns `None`.

use std::sync::OnceLock;

use memchr::memchr;
use memchr::memmem::Finder;

/// A searcher built once: building one per search costs more than the search.
fn finder(
    cell: &'static OnceLock<Finder<'static>>,
    needle: &'static [u8],
) -> &'static Finder<'static> {
    cell.get_or_init(|| Finder::new(needle))
}

/// How a call ended, as the watcher needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    Failure,
    Other,
}

/// The fields of one record the watcher looks at; strings are borrowed from the line, still
/// JSON-escaped (they are keys, compared and shown as recorded).
#[derive(Debug)]
pub(crate) struct Line<'a> {
    pub(crate) event: &'a [u8],
    pub(crate) outcome: Outcome,
    pub(crate) duration_ns: u64,
    /// `budget_ns` and `over_budget`, when the handler has a budget.
    pub(crate) budget: Option<(u64, bool)>,
    /// `usage` and `units`, when the handler counts usage.
    pub(crate) usage: Option<(&'a [u8], u64)>,
    pub(crate) func: &'a [u8],
    /// Where to look for `who`: just after `where.fn`.
    rest: usize,
    line: &'a [u8],
}

/// The caller keys of a record.
#[derive(Debug, Default)]
pub(crate) struct Who<'a> {
    pub(crate) user: Option<&'a [u8]>,
    pub(crate) tenant: Option<&'a [u8]>,
    pub(crate) ip: Option<&'a [u8]>,
}

/// Expects `lit` at `at`; returns the position after it. A fixed-size comparison, so no
/// call to `memcmp` for these short literals.
#[inline(always)]
fn expect<const N: usize>(line: &[u8], at: usize, lit: &[u8; N]) -> Option<usize> {
    let end = at.checked_add(N)?;
    let got: &[u8; N] = line.get(at..end)?.try_into().ok()?;
    (got == lit).then_some(end)
}

/// A JSON string's contents starting at `at` (after its opening quote): up to the first
/// unescaped `"`. Returns the contents and the position after the closing quote.
#[inline]
fn string(line: &[u8], at: usize) -> Option<(&[u8], usize)> {
    // The strings looked at are short (names, levels, addresses): eight bytes at a time in a
    // word beats setting up a vector search; longer ones go to `memchr`.
    let rest = line.get(at..)?;
    let mut i = 0;
    while i + 8 <= rest.len() && i < 64 {
        let w = u64::from_le_bytes(rest[i..i + 8].try_into().ok()?);
        let hit = zero_byte(w ^ QUOTES) | zero_byte(w ^ BACKSLASHES);
        if hit != 0 {
            let j = i + (hit.trailing_zeros() / 8) as usize;
            return match rest[j] {
                b'"' => Some((&rest[..j], at + j + 1)),
                _ => string_slow(line, at),
            };
        }
        i += 8;
    }
    string_slow(line, at)
}

const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);

/// The high bit of each zero byte of `w` set (exact for the lowest zero byte, which is the
/// one used).
#[inline(always)]
fn zero_byte(w: u64) -> u64 {
    w.wrapping_sub(0x0101_0101_0101_0101) & !w & 0x8080_8080_8080_8080
}

fn string_slow(line: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let mut from = at;
    loop {
        let q = from + memchr(b'"', line.get(from..)?)?;
        // Count the backslashes before the quote: an odd number escapes it.
        let mut n = 0;
        while q > at + n && line[q - 1 - n] == b'\\' {
            n += 1;
        }
        if n % 2 == 0 {
            return Some((&line[at..q], q + 1));
        }
        from = q + 1;
    }
}

/// An unsigned integer starting at `at` (at most 19 digits, so it cannot overflow); returns
/// it and the position after it.
#[inline]
fn number(line: &[u8], at: usize) -> Option<(u64, usize)> {
    let digits = line.get(at..)?;
    let mut v: u64 = 0;
    let mut n = 0;
    while n < digits.len().min(19) && digits[n].is_ascii_digit() {
        v = v * 10 + u64::from(digits[n] - b'0');
        n += 1;
    }
    (n > 0 && !digits.get(n).is_some_and(u8::is_ascii_digit)).then_some((v, at + n))
}

/// Skips a value of known spellings: `first` byte picks the length; the closing quote must
/// follow. Returns the position after the quote.
#[inline]
fn known(line: &[u8], at: usize, len_of: impl Fn(u8) -> usize) -> Option<usize> {
    let len = len_of(*line.get(at)?);
    match line.get(at + len) {
        Some(b'"') if len > 0 => Some(at + len + 1),
        _ => string(line, at).map(|(_, a)| a),
    }
}

/// The event of a record line (its first fields are fixed for every record, seclog's own
/// too), and the position after it.
pub(crate) fn event(line: &[u8]) -> Option<(&[u8], usize)> {
    let at = expect(line, 0, b"{\"ts\":\"")?;
    // `ts` has a fixed length (`2026-11-22T12:00:00.000000123Z`): skip it when it does.
    let at = match line.get(at + 30..at + 32) {
        Some(b"\",") if line[at + 29] == b'Z' => at + 31,
        _ => string(line, at)?.1,
    };
    let at = expect(line, at, b",\"seq\":")?;
    let (_, at) = number(line, at)?;
    let at = expect(line, at, b",\"event\":\"")?;
    string(line, at)
}

/// Extracts the watched fields of one record line, or `None` if its layout is not a
/// seclog JSON record's.
pub(crate) fn parse(line: &[u8]) -> Option<Line<'_>> {
    let (event, at) = event(line)?;
    let at = expect(line, at, b",\"level\":\"")?;
    // TRACE DEBUG INFO WARN ERROR CRITICAL
    let at = known(line, at, |b| match b {
        b'T' | b'D' | b'E' => 5,
        b'I' | b'W' => 4,
        b'C' => 8,
        _ => 0,
    })?;
    let at = expect(line, at, b",\"outcome\":\"")?;
    let (outcome, len) = match line.get(at)? {
        b's' => (Outcome::Success, 7),
        b'f' => (Outcome::Failure, 7),
        b'p' => (Outcome::Other, 5),
        _ => (Outcome::Other, 9),
    };
    let at = known(line, at, |_| len)?;
    let at = expect(line, at, b",\"duration_ns\":")?;
    let (duration_ns, mut at) = number(line, at)?;
    let mut budget = None;
    if let Some(a) = expect(line, at, b",\"budget_ns\":") {
        let (b, a) = number(line, a)?;
        let a = expect(line, a, b",\"over_budget\":")?;
        let (over, a) = match expect(line, a, b"true") {
            Some(a) => (true, a),
            None => (false, expect(line, a, b"false")?),
        };
        budget = Some((b, over));
        at = a;
    }
    let mut usage = None;
    if let Some(a) = expect(line, at, b",\"usage\":\"") {
        let (name, a) = string(line, a)?;
        let a = expect(line, a, b",\"units\":")?;
        let (units, a) = number(line, a)?;
        usage = Some((name, units));
        at = a;
    }
    let at = expect(line, at, b",\"where\":{")?;
    // `service`, `version`, `host` (strings, so the needle cannot be forged) and `pid` come
    // first: one vector search, bounded to what they can take.
    static FN: OnceLock<Finder<'static>> = OnceLock::new();
    let f = finder(&FN, b",\"fn\":\"");
    let at = at + f.find(line.get(at..)?)? + f.needle().len();
    let (func, rest) = string(line, at)?;
    Some(Line {
        event,
        outcome,
        duration_ns,
        budget,
        usage,
        func,
        rest,
        line,
    })
}

/// Skips one JSON value starting at `at`; returns the position after it. Bounded by the line.
fn skip_value(line: &[u8], at: usize) -> Option<usize> {
    match *line.get(at)? {
        b'"' => string(line, at + 1).map(|(_, a)| a),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match *line.get(i)? {
                    b'"' => {
                        i = string(line, i + 1)?.1;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = at;
            while let Some(&b) = line.get(i) {
                if matches!(b, b',' | b'}' | b']') {
                    break;
                }
                i += 1;
            }
            Some(i)
        }
    }
}

impl<'a> Line<'a> {
    /// The record's `who` keys (looked up only when a rule needs them), and where the
    /// record's body starts after it.
    pub(crate) fn who(&self) -> (Who<'a>, usize) {
        let line = self.line;
        let Some(mut at) = expect(line, self.rest, b",\"file\":\"")
            .and_then(|a| string(line, a))
            .and_then(|(_, a)| expect(line, a, b",\"line\":"))
            .and_then(|a| number(line, a))
            .map(|(_, a)| a)
        else {
            return (Who::default(), line.len());
        };
        // Members the context adds to `where` (`"lambda":{..}`) come before its closing brace.
        while let Some(a) = expect(line, at, b",\"") {
            let Some((_, a)) = string(line, a) else {
                return (Who::default(), line.len());
            };
            let Some(a) = expect(line, a, b":").and_then(|a| skip_value(line, a)) else {
                return (Who::default(), line.len());
            };
            at = a;
        }
        let Some(at) = expect(line, at, b"}") else {
            return (Who::default(), line.len());
        };
        let Some(mut a) = expect(line, at, b",\"who\":{") else {
            return (Who::default(), at);
        };
        let mut who = Who::default();
        while let Some(k) = expect(line, a, b"\"") {
            let Some((key, k)) = string(line, k) else {
                break;
            };
            let Some(v) = expect(line, k, b":") else {
                break;
            };
            let slot = match key {
                b"user" => &mut who.user,
                b"tenant" => &mut who.tenant,
                b"ip" => &mut who.ip,
                _ => {
                    let Some(end) = skip_value(line, v) else {
                        break;
                    };
                    match expect(line, end, b",") {
                        Some(n) => {
                            a = n;
                            continue;
                        }
                        None => {
                            a = end;
                            break;
                        }
                    }
                }
            };
            let Some((value, end)) = expect(line, v, b"\"").and_then(|v| string(line, v)) else {
                break;
            };
            *slot = Some(value);
            match expect(line, end, b",") {
                Some(n) => a = n,
                None => {
                    a = end;
                    break;
                }
            }
        }
        (who, a)
    }

    /// The user of a failed or successful login: `who.user`, else the attempted name a login
    /// helper records (`fields.attempted_user`), else an input named `username`.
    pub(crate) fn login_user(&self, who: &Who<'a>, body: usize) -> Option<&'a [u8]> {
        if who.user.is_some() {
            return who.user;
        }
        let rest = self.line.get(body..)?;
        static ATTEMPTED: OnceLock<Finder<'static>> = OnceLock::new();
        static USERNAME: OnceLock<Finder<'static>> = OnceLock::new();
        for f in [
            finder(&ATTEMPTED, b"\"attempted_user\":\""),
            finder(&USERNAME, b"\"username\":\""),
        ] {
            if let Some(i) = f.find(rest) {
                return string(rest, i + f.needle().len()).map(|(s, _)| s);
            }
        }
        None
    }

    /// Whether the record says the login named a user that does not exist
    /// (`fields.unknown_user = true`).
    pub(crate) fn unknown_user(&self, body: usize) -> bool {
        self.line.get(body..).is_some_and(|rest| {
            static UNKNOWN: OnceLock<Finder<'static>> = OnceLock::new();
            finder(&UNKNOWN, b"\"unknown_user\":true")
                .find(rest)
                .is_some()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = br#"{"ts":"2026-11-22T12:00:00.000000123Z","seq":7,"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":52311,"budget_ns":250000000,"over_budget":false,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::auth::login","file":"src/auth.rs","line":17},"who":{"user":"alice","roles":["a","b"],"ip":"203.0.113.7","user_agent":"curl/8.5.0"},"inputs":{"req":{"username":"alice","password":"[REDACTED]"}},"error":{"BadCredentials":null}}"#;

    #[test]
    fn extracts_the_watched_fields() {
        let l = parse(LINE).unwrap();
        assert_eq!(l.event, b"authn_login_fail");
        assert_eq!(l.outcome, Outcome::Failure);
        assert_eq!(l.duration_ns, 52311);
        assert_eq!(l.budget, Some((250_000_000, false)));
        assert_eq!(l.usage, None);
        assert_eq!(l.func, b"shop::auth::login");
        let (who, body) = l.who();
        assert_eq!(who.user, Some(&b"alice"[..]));
        assert_eq!(who.ip, Some(&b"203.0.113.7"[..]));
        assert_eq!(who.tenant, None);
        assert!(LINE[body..].starts_with(b"},\"inputs\""));
        assert!(!l.unknown_user(body));
    }

    #[test]
    fn usage_lambda_and_fallback_user() {
        let line = br#"{"ts":"x","seq":1,"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":5,"usage":"reports.export","units":12,"where":{"service":"s","version":"v","host":"h","pid":1,"fn":"a::b","file":"f.rs","line":3,"lambda":{"function":"x}\"{","cold_start":true}},"fields":{"attempted_user":"bob","unknown_user":true}}"#;
        let l = parse(line).unwrap();
        assert_eq!(l.usage, Some((&b"reports.export"[..], 12)));
        let (who, body) = l.who();
        assert!(who.user.is_none());
        assert_eq!(l.login_user(&who, body), Some(&b"bob"[..]));
        assert!(l.unknown_user(body));
    }

    #[test]
    fn a_value_cannot_forge_a_field() {
        let line = br#"{"ts":"x","seq":1,"event":"e","level":"INFO","outcome":"success","duration_ns":5,"where":{"service":"\",\"fn\":\"forged","version":"v","host":"h","pid":1,"fn":"real","file":"f.rs","line":3},"who":{"user":"a\"b"}}"#;
        let l = parse(line).unwrap();
        assert_eq!(l.func, b"real");
        assert_eq!(l.who().0.user, Some(&br#"a\"b"#[..]));
    }

    #[test]
    fn strings_of_every_length_end_at_their_closing_quote() {
        for n in 0..100usize {
            for esc in [None, Some(0), Some(n / 2), Some(n.saturating_sub(1))] {
                let mut body: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
                if let Some(e) = esc.filter(|_| n > 0) {
                    body.splice(e..e, *br#"\""#);
                }
                let mut line = body.clone();
                line.extend_from_slice(br#"","x":"y""#);
                let (s, end) = string(&line, 0).unwrap();
                assert_eq!(s, &body[..], "{n} {esc:?}");
                assert_eq!(&line[end..end + 4], br#","x""#);
            }
        }
        assert!(
            string(
                b"no closing quote at all, not in 64 bytes or more ........",
                0
            )
            .is_none()
        );
    }

    #[test]
    fn other_layouts_are_skipped() {
        for line in [
            &b""[..],
            b"{}",
            b"not json",
            br#"{"@timestamp":"x","event":{"action":"a"}}"#,
            &LINE[..LINE.len() / 2],
            &LINE[..60],
        ] {
            assert!(parse(line).is_none(), "{}", String::from_utf8_lossy(line));
        }
    }
}
