//! The secret rules: each has keywords and a regex; one case-insensitive Aho-Corasick pass
//! finds the keywords, and a rule's regex runs only at (or in a window around) its keywords.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder};

use super::entropy::{
    KeyClass, is_filler, is_placeholder, key_class, looks_random, names_a_placeholder, sequential,
    shannon, wordy,
};
use super::grams::Grams;
use super::{Hit, Hits, Mask};

/// Where a rule's regex runs.
#[derive(Clone, Copy)]
enum At {
    /// Anchored at the keyword, which must start a word; a match is at most `max` bytes.
    Word(usize),
    /// Anchored at the keyword wherever it is (a separator such as `://`).
    Here(usize),
    /// Anywhere in `[keyword start - back, keyword end + ahead]`.
    Around(usize, usize),
}

/// How the parts of a match are read off it.
#[derive(Clone, Copy)]
enum Parts {
    /// The whole match.
    None,
    /// `key <op> value`: the key from the keyword on, then the value.
    Assignment,
    /// `"value" == key`.
    Compared,
    /// `--flag value`.
    Flag,
    /// `-u word`.
    Curl,
    /// `://user:password@`.
    Url,
    /// `thin:user/password@`.
    Thin,
    /// The run at the end of the match of alphanumerics and these bytes, after the keyword.
    Trailing(&'static [u8]),
}

type Groups = [Option<(usize, usize)>; 9];

/// The parts of the match `(ms, me)` whose keyword ends at `kw_end`.
fn parts(kind: Parts, hay: &[u8], (ms, me): (usize, usize), kw_end: usize) -> Groups {
    let mut g: Groups = [None; 9];
    let is_quote = |b: u8| matches!(b, b'"' | b'\'' | b'`');
    let span = |a: usize, b: usize| (a < b).then_some((a, b));
    match kind {
        Parts::None => {}
        Parts::Assignment => {
            let ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
            let mut p = ms;
            while p < me && ident(hay[p]) {
                p += 1;
            }
            g[0] = span(ms, p);
            if p < me && hay[p] == b'[' {
                while p < me && hay[p] != b']' {
                    p += 1;
                }
                p += 1;
            }
            let mut quoted = false;
            while p < me
                && matches!(
                    hay[p],
                    b'"' | b'\''
                        | b'`'
                        | b' '
                        | b'\t'
                        | b'='
                        | b'!'
                        | b':'
                        | b'>'
                        | b'('
                        | b','
                        | b'@'
                )
            {
                quoted = is_quote(hay[p]);
                p += 1;
            }
            let end = if quoted && me > p && is_quote(hay[me - 1]) {
                me - 1
            } else {
                me
            };
            g[1] = span(p, end);
        }
        Parts::Compared => {
            let close = hay[ms + 1..me]
                .iter()
                .position(|&b| b == b'"')
                .map(|i| ms + 1 + i);
            if let Some(close) = close {
                g[0] = span(ms + 1, close);
            }
            let mut k = me;
            while k > ms
                && (hay[k - 1].is_ascii_alphanumeric() || matches!(hay[k - 1], b'_' | b'.'))
            {
                k -= 1;
            }
            g[1] = span(k, me);
        }
        Parts::Flag => {
            let mut p = ms;
            while p < me && hay[p].is_ascii_alphabetic() {
                p += 1;
            }
            while p < me && matches!(hay[p], b' ' | b'\t') {
                p += 1;
            }
            let quoted = p < me && is_quote(hay[p]);
            let (a, b) = if quoted { (p + 1, me - 1) } else { (p, me) };
            g[0] = span(a, b);
        }
        Parts::Curl => {
            let mut p = ms;
            while p < me && hay[p] == b'-' {
                p += 1;
            }
            while p < me && hay[p].is_ascii_alphabetic() {
                p += 1;
            }
            while p < me && matches!(hay[p], b' ' | b'\t' | b'=') {
                p += 1;
            }
            g[0] = span(p, me);
        }
        Parts::Url => {
            let inner = ms + 3;
            let colon = hay[inner..me]
                .iter()
                .position(|&b| b == b':')
                .map(|i| inner + i);
            if let Some(colon) = colon {
                g[0] = Some((inner, colon));
                g[1] = span(colon + 1, me - 1);
            }
        }
        Parts::Thin => {
            if let Some(slash) = hay[ms..me].iter().position(|&b| b == b'/') {
                g[0] = span(ms + slash + 1, me - 1);
            }
        }
        Parts::Trailing(extra) => {
            let mut a = me;
            while a > kw_end && (hay[a - 1].is_ascii_alphanumeric() || extra.contains(&hay[a - 1]))
            {
                a -= 1;
            }
            g[0] = span(a, me);
        }
    }
    g
}

/// What is replaced, given the match and its groups (absolute byte ranges).
type Check = fn(&Ctx<'_>) -> Option<(usize, usize)>;

struct Ctx<'a> {
    hay: &'a [u8],
    whole: (usize, usize),
    groups: [Option<(usize, usize)>; 9],
}

impl Ctx<'_> {
    fn text(&self, span: (usize, usize)) -> &[u8] {
        &self.hay[span.0..span.1]
    }

    /// The first group that took part, else the whole match.
    fn secret(&self) -> (usize, usize) {
        self.groups
            .iter()
            .flatten()
            .next()
            .copied()
            .unwrap_or(self.whole)
    }

    fn ends_word(&self) -> bool {
        !self
            .hay
            .get(self.whole.1)
            .is_some_and(|b| b.is_ascii_alphanumeric())
    }
}

struct Rule {
    /// Whether the regex can match fewer than [`SHORT`] bytes: a shorter string is searched
    /// for this rule's keywords. Declared, so that no regex is parsed at start-up; a test
    /// checks it against the regex.
    short: bool,
    /// A cheap test at the keyword before the regex runs.
    pre: Option<fn(&[u8], usize) -> bool>,
    /// Where the parts of a match are: read off the match, which the regex has already
    /// shaped, rather than found again by a capturing engine.
    parts: Parts,
    tag: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    at: At,
    prio: u8,
    check: Check,
}

/// The secret group, or the whole match, unless it is a filler (`xxxx`, `${VAR}`).
fn plain(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let s = c.secret();
    (!is_filler(c.text(s))).then_some(s)
}

/// As [`plain`]; the match must end a word, and its tail must not repeat a few characters
/// (`GR1348941` + `123123…`).
fn token(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let t = c.text(c.whole);
    if !c.ends_word() || shannon(&t[t.len().saturating_sub(20)..]) < 2.0 {
        return None;
    }
    plain(c)
}

/// As [`token`], and not a run through the alphabet (documentation samples).
fn sample_free(c: &Ctx<'_>) -> Option<(usize, usize)> {
    (!sequential(c.text(c.whole))).then(|| token(c)).flatten()
}

/// AWS key ids: `AKIA` + 16; only `X` fillers are placeholders (AWS's own examples use
/// other repeated letters for real-looking ids).
fn aws(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let t = c.text(c.whole);
    (c.ends_word() && !t[4..].iter().all(|b| *b == b'X')).then_some(c.whole)
}

/// The value of `key <op> value`: group 1 is the key's tail from the keyword on.
fn assignment(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let (ks, ke) = c.groups[0]?;
    // The key starts before the keyword: walk back over the identifier.
    let mut start = ks;
    while start > 0 && {
        let b = c.hay[start - 1];
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
    } {
        start -= 1;
    }
    let key = &c.hay[start..ke];
    let value = c.groups[1..].iter().flatten().next().copied()?;
    let quoted = value.0 > 0 && matches!(c.hay[value.0 - 1], b'"' | b'\'' | b'`');
    let v = c.text(value);
    if is_placeholder(v) {
        return None;
    }
    match key_class(key) {
        KeyClass::None => None,
        KeyClass::Token => looks_random(v).then_some(value),
        KeyClass::Password => {
            // A quoted value may be a phrase; a bare one made of words (`shorter-version`)
            // is a name, not a password.
            (v.len() >= 6 && (quoted || !wordy(v))).then_some(value)
        }
    }
}

/// Before the regex: the key around the keyword at `at` names a secret, and an operator,
/// a quote or a bracket follows it.
fn assignment_ahead(hay: &[u8], at: usize) -> bool {
    let ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut start = at;
    while start > 0 && at - start < 64 && ident(hay[start - 1]) {
        start -= 1;
    }
    let mut end = at;
    while end < hay.len() && end - at < 64 && ident(hay[end]) {
        end += 1;
    }
    if key_class(&hay[start..end]) == KeyClass::None {
        return false;
    }
    let next = hay[end..]
        .iter()
        .take(8)
        .find(|b| !matches!(b, b' ' | b'\t'))
        .copied();
    matches!(
        next,
        Some(b'=' | b':' | b'(' | b'"' | b'\'' | b'`' | b'[' | b'!' | b',' | b'@')
    )
}

/// `"value" == password`: group 1 the value, group 2 the key.
fn compared(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let value = c.groups[0]?;
    let key = c.text(c.groups[1]?);
    let v = c.text(value);
    (key_class(key) == KeyClass::Password && v.len() >= 6 && !is_placeholder(v)).then_some(value)
}

/// `--password value`: group 1, 2 or 3 the value; the keyword ends a `--flag`.
fn flag(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let mut start = c.whole.0;
    while start > 0 && start + 64 > c.whole.0 && {
        let b = c.hay[start - 1];
        b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
    } {
        start -= 1;
    }
    if !c.hay[start..].starts_with(b"--") {
        return None;
    }
    let value = c.groups.iter().flatten().next().copied()?;
    let v = c.text(value);
    (v.len() >= 6 && !is_placeholder(v)).then_some(value)
}

/// A credential after a scheme (`Bearer x`, `Basic x`): not a filler, not a word.
fn credential(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let s = c.secret();
    let v = c.text(s);
    let has_digit = v.iter().any(u8::is_ascii_digit);
    let mixed = v.iter().any(u8::is_ascii_uppercase) && v.iter().any(u8::is_ascii_lowercase);
    (!is_filler(v) && (has_digit || mixed || v.len() >= 24) && !names_a_placeholder(v)).then_some(s)
}

/// `Basic <base64>` outside an `Authorization` header: it must decode to `user:password`.
fn basic(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let s = c.secret();
    let decoded = base64_decode(c.text(s), 512)?;
    (decoded.contains(&b':') && decoded.iter().all(|b| b.is_ascii_graphic() || *b == b' '))
        .then_some(s)
}

/// `curl -u user:password`: the shell word with the credentials.
fn curl_user(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let s = c.secret();
    // Unquote the shell word: at most 256 bytes, on the stack.
    let mut buf = [0u8; 256];
    let mut n = 0;
    for &b in c.text(s) {
        if !matches!(b, b'"' | b'\'') && n < buf.len() {
            buf[n] = b;
            n += 1;
        }
    }
    let word = &buf[..n];
    let colon = word.iter().position(|&b| b == b':')?;
    let (user, pass) = (&word[..colon], &word[colon + 1..]);
    let variable = |p: &[u8]| {
        p.first()
            .is_some_and(|b| matches!(b, b'$' | b'<' | b'[' | b'%'))
            || p.starts_with(b"{{")
    };
    if variable(user) || variable(pass) || user == pass {
        return None;
    }
    const WEAK: &[&[u8]] = &[
        b"pass",
        b"password",
        b"passwd",
        b"secret",
        b"token",
        b"test",
        b"user",
        b"username",
        b"xxx",
        b"yyy",
        b"changeme",
        b"pwd",
    ];
    let strong = |p: &[u8]| p.len() >= 6 && !WEAK.iter().any(|w| p.eq_ignore_ascii_case(w));
    let secret = if pass.is_empty() { user } else { pass };
    (strong(secret) && !is_filler(secret)).then_some(s)
}

/// The password of `scheme://user:password@host`, unless it is template syntax.
fn url_password(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let s = c.groups[1]?;
    // `root:root`: the user is the password too.
    let s = match c.groups[0] {
        Some(u) if u.1 > u.0 && c.text(u) == c.text(s) => (u.0, s.1),
        _ => s,
    };
    let v = c.text(s);
    let template = v.starts_with(b"${")
        || v.starts_with(b"{{")
        || v.starts_with(b"<")
        || v.starts_with(b"%s")
        || v.iter().all(|&b| b == b'*');
    (!template).then_some(s)
}

/// `header.payload.signature` whose header decodes to a JSON object.
fn jwt(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let t = c.text(c.whole);
    let header = t.split(|&b| b == b'.').next()?;
    let decoded = base64_decode(&header[..header.len().min(96)], 96)?;
    (decoded.starts_with(b"{\"") && c.ends_word()).then_some(c.whole)
}

/// A private key block with a body of at least 12 characters.
fn private_key(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let t = c.text(c.whole);
    let body_start = t.windows(5).skip(5).position(|w| w == b"-----")? + 10;
    let body = &t[body_start.min(t.len())..];
    let body = match body.windows(9).position(|w| w == b"-----END ") {
        Some(e) => &body[..e],
        None => body,
    };
    let chars = body
        .iter()
        .filter(|b| !b.is_ascii_whitespace() && **b != b'-')
        .count();
    (chars >= 12).then_some(c.whole)
}

/// Slack tokens: random enough to be real (`xoxb-` + digits and letters).
fn slack(c: &Ctx<'_>) -> Option<(usize, usize)> {
    let t = c.text(c.whole);
    let next = c.hay.get(c.whole.1).copied();
    let filled = matches!(next, Some(b'#' | b'*' | b'<' | b'x' | b'X'));
    (c.ends_word() && !filled && !is_filler(t)).then_some(c.whole)
}

fn base64_decode(s: &[u8], max: usize) -> Option<Vec<u8>> {
    if s.len() > max {
        return None;
    }
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
        acc = ((acc << 6) | u32::from(v)) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The value forms after `key <op>`: quoted ("…", '…', `…`) or a bare word.
macro_rules! value {
    () => {
        r#"(?:"([^"\r\n]+)"|'([^'\r\n]+)'|`([^`\r\n]+)`|([^\s"'`;&<>]+))"#
    };
}

const RULES: &[Rule] = &[
    // Keyword assignments in env, JSON, YAML, query strings, code, connection strings.
    Rule {
        short: true,
        parts: Parts::Assignment,
        pre: Some(assignment_ahead),
        tag: "credential",
        keywords: &[
            "pass", "pwd", "secret", "token", "key", "auth", "cred", "jwt",
        ],
        pattern: concat!(
            r#"(?i)((?:pass|pwd|secret|token|key|auth|cred|jwt)[\w.-]*?)(?:\[\d{0,4}\])?["'`]?"#,
            r#"(?:[ \t]*(?:===?|!==?|:=|=>|=|:)[ \t]*@?"#,
            value!(),
            r#"|[ \t]*\([ \t]*"([^"\r\n]+)"|[ \t]+@?"([^"\r\n]+)"|["'][ \t]*,[ \t]*"([^"\r\n]+)")"#
        ),
        at: At::Here(400),
        prio: 1,
        check: assignment,
    },
    Rule {
        short: true,
        parts: Parts::Compared,
        pre: None,
        tag: "credential",
        keywords: &["==", "!="],
        pattern: r#""([^"\r\n]+)"[ \t]*(?:===?|!==?)[ \t]*([A-Za-z_][\w.]{0,64})"#,
        at: At::Around(260, 72),
        prio: 1,
        check: compared,
    },
    Rule {
        short: true,
        parts: Parts::Flag,
        pre: None,
        tag: "credential",
        keywords: &["key ", "token ", "password ", "passwd ", "secret ", "pass "],
        pattern: r#"(?i)(?:key|token|password|passwd|secret|pass)[ \t]+(?:"([^"\r\n]+)"|'([^'\r\n]+)'|([^\s"'`]+))"#,
        at: At::Here(300),
        prio: 1,
        check: flag,
    },
    Rule {
        short: false,
        parts: Parts::Trailing(b""),
        pre: None,
        tag: "api_token",
        keywords: &["api.softlayer.com/soap/"],
        pattern: r"api\.softlayer\.com/soap/v3(?:\.1)?/([a-z0-9]{64})",
        at: At::Here(100),
        prio: 2,
        check: plain,
    },
    Rule {
        short: true,
        parts: Parts::Trailing(b"._~+/=:-"),
        pre: None,
        tag: "authorization",
        keywords: &["authorization"],
        pattern: r#"(?i)authorization["']?[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|api-token|apikey|api-key|digest|negotiate|ntlm|sso-key|key|dsn|splunk|ssws)[ \t]+)?([A-Za-z0-9._~+/=:-]{8,})"#,
        at: At::Word(1200),
        prio: 1,
        check: credential,
    },
    Rule {
        short: true,
        parts: Parts::Trailing(b"._~+/=:-"),
        pre: None,
        tag: "bearer",
        keywords: &["bearer"],
        pattern: r"(?i)bearer[ \t]+([A-Za-z0-9._~+/=-]{16,})",
        at: At::Word(2100),
        prio: 3,
        check: credential,
    },
    Rule {
        short: true,
        parts: Parts::Trailing(b"+/="),
        pre: None,
        tag: "basic_auth",
        keywords: &["basic"],
        pattern: r"(?i)basic[ \t]+([A-Za-z0-9+/]{8,}={0,2})",
        at: At::Word(600),
        prio: 2,
        check: basic,
    },
    Rule {
        short: true,
        parts: Parts::Curl,
        pre: None,
        tag: "basic_auth",
        keywords: &["-u", "--user"],
        pattern: r#"(?:-u|--user)(?:[ \t]+|=)((?:"[^"\r\n]*"|'[^'\r\n]*'|[^\s"'])+)"#,
        at: At::Here(300),
        prio: 2,
        check: curl_user,
    },
    Rule {
        short: true,
        parts: Parts::Url,
        pre: None,
        tag: "url_credential",
        keywords: &["://"],
        pattern: r#"://([^\s:/?#@'"<>\[\]]{0,256}):([^\s/?#@'"<>]+)@"#,
        at: At::Here(520),
        prio: 2,
        check: url_password,
    },
    Rule {
        short: true,
        parts: Parts::Thin,
        pre: None,
        tag: "url_credential",
        keywords: &["thin:"],
        pattern: r"thin:[\w.-]+/([^\s@/]+)@",
        at: At::Here(200),
        prio: 2,
        check: plain,
    },
    Rule {
        short: true,
        parts: Parts::None,
        pre: None,
        tag: "jwt",
        keywords: &["eyJ"],
        pattern: r"eyJ[A-Za-z0-9_-]{7,}\.[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*)?",
        at: At::Word(16 * 1024),
        prio: 3,
        check: jwt,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "private_key",
        keywords: &["-----BEGIN"],
        pattern: r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----(?s:.)*?(?:-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|\z)",
        at: At::Here(64 * 1024),
        prio: 3,
        check: private_key,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "private_key",
        keywords: &["AGE-SECRET-KEY-1"],
        pattern: r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        at: At::Word(80),
        prio: 3,
        check: token,
    },
    Rule {
        short: true,
        parts: Parts::None,
        pre: None,
        tag: "aws_key",
        keywords: &[
            "A3T", "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA",
            "APKA",
        ],
        pattern: r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16}",
        at: At::Word(24),
        prio: 2,
        check: aws,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "api_token",
        keywords: &["ABSK"],
        pattern: r"ABSK[A-Za-z0-9+/]{109,269}={1,2}",
        at: At::Word(300),
        prio: 2,
        check: plain,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "github_token",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        pattern: r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})",
        at: At::Word(300),
        prio: 2,
        check: token,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "gitlab_token",
        keywords: &[
            "glpat-",
            "gldt-",
            "glptt-",
            "glrt-",
            "glrtr-",
            "glsoat-",
            "glft-",
            "glimt-",
            "glagent-",
            "gloas-",
            "glcbt-",
            "glffct-",
            "GR1348941",
        ],
        pattern: r"(?:glpat-[\w-]{20,}(?:\.[\w-]{2,})*|gldt-[\w-]{20,}|glptt-[\w-]{40}|glrtr?-[\w-]{20,}(?:\.[\w-]{2,})*|glsoat-[\w-]{20,}|glft-[\w-]{20,}|glimt-[\w-]{25}|glagent-[\w-]{50,}|gloas-[\w-]{64}|glcbt-[\w-]{20,}|glffct-[\w-]{20,}|GR1348941[\w-]{20})",
        at: At::Word(200),
        prio: 2,
        check: token,
    },
    Rule {
        short: true,
        parts: Parts::None,
        pre: None,
        tag: "slack_token",
        keywords: &[
            "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxo-", "xoxe-", "xoxe.", "xapp-",
        ],
        pattern: r"(?:xoxb-\d{8,}-[A-Za-z0-9-]{8,}|xox[ar]-(?:\d-)?[A-Za-z0-9][A-Za-z0-9-]{7,}|xox[pseo]-\d{6,}-[A-Za-z0-9-]{8,}|xoxe-\d-[A-Za-z0-9]{40,}|xoxe\.xox[bp]-\d-[A-Za-z0-9]{40,}|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)",
        at: At::Word(260),
        prio: 2,
        check: slack,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "slack_webhook",
        keywords: &["hooks.slack.com/"],
        pattern: r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,200}",
        at: At::Here(260),
        prio: 2,
        check: plain,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "api_token",
        keywords: &[
            "webhook.office.com/",
            "discord.com/api/webhooks/",
            "discordapp.com/api/webhooks/",
        ],
        pattern: r"(?:webhook\.office\.com/webhookb2/[\w@-]{20,}/IncomingWebhook/[\w/-]{20,}|discord(?:app)?\.com/api/webhooks/\d{8,}/[\w-]{40,})",
        at: At::Here(400),
        prio: 2,
        check: plain,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "stripe_key",
        keywords: &[
            "sk_live_", "sk_test_", "rk_live_", "rk_test_", "sk_prod_", "rk_prod_", "whsec_",
        ],
        pattern: r"(?:[sr]k_(?:live|test|prod)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})",
        at: At::Word(260),
        prio: 2,
        check: token,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "anthropic_key",
        keywords: &["sk-ant-"],
        pattern: r"sk-ant-(?:api03|admin01)-[\w-]{93}AA",
        at: At::Word(120),
        prio: 3,
        check: token,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "openai_key",
        keywords: &["sk-"],
        pattern: r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9_-]{8,}T3BlbkFJ[A-Za-z0-9_-]{8,})",
        at: At::Word(330),
        prio: 2,
        check: token,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "google_api_key",
        keywords: &["AIza"],
        pattern: r"AIza[0-9A-Za-z_-]{35}",
        at: At::Word(40),
        prio: 2,
        check: sample_free,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "api_token",
        keywords: &["ya29.", "GOCSPX-"],
        pattern: r"(?:ya29\.[\w-]{20,}|GOCSPX-[\w-]{28})",
        at: At::Word(2048),
        prio: 2,
        check: token,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "twilio_key",
        keywords: &["SK", "AC"],
        pattern: r"(?:SK|AC)[0-9a-fA-F]{32}",
        at: At::Word(34),
        prio: 2,
        check: token,
    },
    Rule {
        short: true,
        parts: Parts::None,
        pre: None,
        tag: "sendgrid_key",
        keywords: &["SG."],
        pattern: r"SG\.[A-Za-z0-9_=-]{20,}(?:\.[A-Za-z0-9_=-]{20,})?",
        at: At::Word(200),
        prio: 2,
        check: token,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "npm_token",
        keywords: &["npm_"],
        pattern: r"npm_[A-Za-z0-9]{36}",
        at: At::Word(40),
        prio: 2,
        check: token,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "pypi_token",
        keywords: &["pypi-Ag"],
        pattern: r"pypi-Ag[A-Za-z0-9_-]{50,}",
        at: At::Word(400),
        prio: 2,
        check: plain,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "discord_token",
        keywords: &["MT", "Mj", "Mz", "ND", "Nj", "Nz", "OD", "OT"],
        pattern: r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}",
        at: At::Word(80),
        prio: 2,
        check: token,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "telegram_token",
        keywords: &[":AA"],
        pattern: r"\b\d{8,10}:AA[A-Za-z0-9_-]{32,35}",
        at: At::Around(11, 36),
        prio: 2,
        check: token,
    },
    Rule {
        short: false,
        parts: Parts::Trailing(b"_:-"),
        pre: None,
        tag: "telegram_token",
        keywords: &["telegram"],
        pattern: r#"(?i)telegram[\w .-]{0,24}?["']?[ \t]*[:=][ \t]*["']?(\d{5,10}:A[\w-]{30,40})"#,
        at: At::Here(100),
        prio: 2,
        check: plain,
    },
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "api_token",
        keywords: &["-us"],
        pattern: r"\b[0-9a-f]{32}-us\d{1,2}\b",
        at: At::Around(33, 6),
        prio: 2,
        check: plain,
    },
    Rule {
        short: false,
        parts: Parts::Trailing(b":"),
        pre: None,
        tag: "api_token",
        keywords: &["CONTRIBSYS__COM"],
        pattern: r#"(?i)CONTRIBSYS__COM\w{0,8}[ \t]*[=:][ \t]*["']?([0-9a-f]{8}:[0-9a-f]{8})"#,
        at: At::Here(60),
        prio: 2,
        check: plain,
    },
    // Provider tokens with a distinctive prefix.
    Rule {
        short: false,
        parts: Parts::None,
        pre: None,
        tag: "api_token",
        keywords: &[
            "hf_",
            "api_org_",
            "pnu_",
            "rdme_",
            "dop_v1_",
            "doo_v1_",
            "dor_v1_",
            "dp.pt.",
            "dp.st.",
            "dp.ct.",
            "dp.scim.",
            "dp.audit.",
            "shpat_",
            "shpca_",
            "shppa_",
            "shpss_",
            "lin_api_",
            "glc_",
            "glsa_",
            "eyJrIjoi",
            "fo1_",
            "fm1",
            "fm2_",
            "hvs.",
            "hvb.",
            "sntrys_",
            "sntryu_",
            "NRAK-",
            "NRJS-",
            "NRII-",
            "pscale_",
            "xkeysib-",
            "sq0csp-",
            "sq0atp-",
            "EAAA",
            "EAA",
            "ops_eyJ",
            "A3-",
            "pul-",
            "dapi",
            "AKCp",
            "cmVmd",
            "ntn_",
            "sgp_",
            "CLOJARS_",
            "EZAK",
            "EZTK",
            "dt0c01.",
            "FLWSECK",
            "FLWPUBK",
            "sha256~",
            "ico-",
            "LTAI",
            "p8e-",
            "duffel_",
            "dnkey-",
            "fio-u-",
            "tfp_",
            "shippo_",
            "pat.",
            "HRKU-",
            "tk-us-",
            "v1.0-",
            "ATATT3",
            "pk.",
            "lin_oauth_",
            "PMAK-",
            "rubygems_",
            "oy2",
            "sk.",
            "dckr_pat_",
            "travis_",
            "hrku-",
        ],
        pattern: concat!(
            r"(?:hf_[A-Za-z]{34}|api_org_[A-Za-z]{34}|pnu_[A-Za-z0-9]{36}|rdme_[a-z0-9]{70}",
            r"|do[opr]_v1_[a-f0-9]{64}|dp\.(?:pt|st|ct|scim|audit)\.[A-Za-z0-9]{40,44}",
            r"|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|lin_api_[A-Za-z0-9]{40}|lin_oauth_[a-f0-9]{64}",
            r"|glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
            r"|eyJrIjoi[A-Za-z0-9]{70,}={0,2}|fo1_[\w-]{43}|fm1[ar]_[A-Za-z0-9+/]{100,}={0,3}|fm2_[A-Za-z0-9+/]{100,}={0,3}",
            r"|hv[sb]\.[\w-]{90,}|sntrys_eyJ[A-Za-z0-9+/=_-]{50,}|sntryu_[a-f0-9]{64}",
            r"|NRAK-[A-Za-z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[\w-]{32}",
            r"|pscale_(?:pw|tkn|oauth)_[\w=.-]{32,64}|xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
            r"|sq0(?:csp|atp)-[\w-]{22,60}|EAAA[\w-]{60,}|EAA[A-Za-z0-9]{100,}",
            r"|ops_eyJ[A-Za-z0-9+/]{250,}={0,3}",
            r"|A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
            r"|pul-[a-f0-9]{40}|dapi[a-f0-9]{32}(?:-\d)?|AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59}",
            r"|ntn_[0-9]{11}[A-Za-z0-9]{35}|sgp_(?:[a-fA-F0-9]{16}|local)_[a-fA-F0-9]{40}",
            r"|CLOJARS_[a-z0-9]{60}|EZ[AT]K[A-Za-z0-9]{54}|dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}",
            r"|FLW(?:PUBK|SECK)_TEST-[a-hA-H0-9]{12,32}(?:-X)?|sha256~[\w-]{43}|ico-[A-Za-z0-9]{32}",
            r"|LTAI[A-Za-z0-9]{20}|p8e-[A-Za-z0-9]{32}|duffel_(?:test|live)_[\w=-]{43}",
            r"|dnkey-[\w=-]{26}-[\w=-]{52}|fio-u-[\w=-]{64}|tfp_[\w=-]{59}[\w=-]{0,4}|shippo_(?:live|test)_[a-fA-F0-9]{40}",
            r"|pat\.[\w-]{22}\.[\w-]{24}\.[\w-]{20}|HRKU-AA[\w-]{58}|hrku-[\w-]{30,}|tk-us-[\w-]{48}",
            r"|v1\.0-[a-f0-9]{24}-[a-f0-9]{146}|ATATT3[A-Za-z0-9_=-]{180,}|pk\.[a-z0-9]{60}\.[a-z0-9]{22}",
            r"|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|rubygems_[a-f0-9]{48}|oy2[a-z0-9]{43}|sk\.[a-z0-9]{60}\.[a-z0-9]{22}",
            r"|dckr_pat_[\w-]{27}|travis_[A-Za-z0-9]{22})"
        ),
        at: At::Word(520),
        prio: 2,
        check: token,
    },
];

/// Most rule attempts per string: past it the rest is not scanned.
const MAX_ATTEMPTS: usize = 512;

struct Compiled {
    /// The keyword automata while the faster ones are being built: quick to build, a little
    /// slower to search, each built the first time a string needs it (the short strings'
    /// prefilter settles most of a process's first strings without either).
    quick_all: OnceLock<Keywords>,
    quick_short: OnceLock<Keywords>,
    /// The keyword automata as DFAs: the fastest to search, about a millisecond to build, so
    /// built on a thread of their own the first time the scanner runs (a process's start-up
    /// does not wait for them).
    fast: OnceLock<Automata>,
    /// Each rule's regex and the shortest text it can match (a shorter window is not
    /// searched), compiled the first time one of its keywords is found: most processes
    /// never meet most rules, and compiling all of them took a cold start 12 ms.
    regexes: Vec<OnceLock<(Regex, usize)>>,
    /// The short rules' keywords by their first bytes: most short strings are settled by it
    /// without an automaton's search.
    short_grams: Grams,
}

/// The keyword automata of one kind; both kinds find the same matches.
struct Automata {
    /// Every rule's keywords, and the rule of each.
    all: Keywords,
    /// The keywords of the rules that can match fewer than [`SHORT`] bytes: a shorter string
    /// is searched for these only.
    short: Keywords,
}

impl Automata {
    fn new(kind: AhoCorasickKind) -> Self {
        Automata {
            all: Keywords::all(kind),
            short: Keywords::short(kind),
        }
    }
}

/// Strings shorter than this (names, statuses, ids) are searched only for the keywords of
/// rules that can match them.
pub(crate) const SHORT: usize = 24;

struct Keywords {
    ac: AhoCorasick,
    rule_of: Vec<u8>,
}

impl Keywords {
    /// Every rule's keywords.
    fn all(kind: AhoCorasickKind) -> Self {
        Keywords::new(0..RULES.len(), kind)
    }

    /// The keywords of the rules that can match a short string.
    fn short(kind: AhoCorasickKind) -> Self {
        Keywords::new((0..RULES.len()).filter(|&i| RULES[i].short), kind)
    }

    fn new(rules: impl Iterator<Item = usize>, kind: AhoCorasickKind) -> Self {
        let mut keywords = Vec::new();
        let mut rule_of = Vec::new();
        for i in rules {
            for k in RULES[i].keywords {
                keywords.push(*k);
                rule_of.push(u8::try_from(i).expect("fewer than 256 rules"));
            }
        }
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&keywords)
            .expect("the scanner's keywords build an automaton");
        Keywords { ac, rule_of }
    }
}

/// Rule `i`'s pattern as it is matched: anchored at the keyword, or searched around it.
fn pattern(i: usize) -> String {
    let r = &RULES[i];
    match r.at {
        At::Word(_) | At::Here(_) => format!(r"\A(?:{})", r.pattern),
        At::Around(..) => r.pattern.to_owned(),
    }
}

/// The shortest text `pattern` can match.
fn min_len(pattern: &str) -> usize {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
        .and_then(|hir| hir.properties().minimum_len())
        .unwrap_or(0)
}

/// Rule `i`'s regex and shortest match, compiled on first use.
fn regex(c: &Compiled, i: usize) -> &(Regex, usize) {
    c.regexes[i].get_or_init(|| {
        let pattern = pattern(i);
        let re = RegexBuilder::new(&pattern)
            .unicode(false)
            .size_limit(4 << 20)
            .dfa_size_limit(4 << 20)
            .build()
            .unwrap_or_else(|e| panic!("scanner rule {i} ({}): {e}", RULES[i].tag));
        (re, min_len(&pattern))
    })
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    FAST.store(FAST_WANTED, Ordering::Release);
    Compiled {
        quick_all: OnceLock::new(),
        quick_short: OnceLock::new(),
        fast: OnceLock::new(),
        regexes: (0..RULES.len()).map(|_| OnceLock::new()).collect(),
        short_grams: short_grams(),
    }
});

fn short_grams() -> Grams {
    Grams::new(
        RULES
            .iter()
            .filter(|r| r.short)
            .flat_map(|r| r.keywords.iter().copied()),
    )
}

/// Whether the fast automata are wanted (the scanner has run) and whether their thread has
/// been started.
static FAST: AtomicU8 = AtomicU8::new(0);
const FAST_WANTED: u8 = 1;
const FAST_STARTED: u8 = 2;

/// Starts building the fast automata once the scanner has run, on a thread of their own. Called
/// when a record is done (its duration measured): a thread started while a handler's inputs
/// are recorded would take the CPU from its body, in its `duration_ns`.
#[inline]
pub(super) fn after_record() {
    if FAST.load(Ordering::Relaxed) == FAST_WANTED
        && FAST
            .compare_exchange(
                FAST_WANTED,
                FAST_STARTED,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
    {
        // If no thread can be started, the quick automata serve on.
        let _ = std::thread::Builder::new()
            .name("seclog-scanner".into())
            .spawn(|| {
                let fast = Automata::new(AhoCorasickKind::DFA);
                let _ = COMPILED.fast.set(fast);
            });
    }
}

const N_RULES: usize = RULES.len();

/// Adds every secret in `hay` to `hits`.
pub(super) fn find(hay: &[u8], hits: &mut Hits) {
    let c = &*COMPILED;
    let fast = c.fast.get();
    let quick = |cell: &'static OnceLock<Keywords>, build: fn(AhoCorasickKind) -> Keywords| {
        cell.get_or_init(|| build(AhoCorasickKind::ContiguousNFA))
    };
    // A rule cannot match in a string shorter than its shortest match: short strings (names,
    // statuses) are searched for fewer keywords. Most strings hold no keyword at all: one
    // unanchored pass says so, cheaper than setting up the overlapping search.
    let keywords = if hay.len() < SHORT {
        if !c.short_grams.may_hold(hay) {
            return;
        }
        fast.map_or_else(|| quick(&c.quick_short, Keywords::short), |a| &a.short)
    } else {
        fast.map_or_else(|| quick(&c.quick_all, Keywords::all), |a| &a.all)
    };
    if !keywords.ac.is_match(hay) {
        return;
    }
    let matches = keywords.ac.find_overlapping_iter(hay);
    // Per rule: text before this offset was already searched (or matched) by it.
    let mut done = [0usize; N_RULES];
    let mut attempts = 0;
    for m in matches {
        let ri = usize::from(keywords.rule_of[m.pattern().as_usize()]);
        let rule = &RULES[ri];
        if m.start() < done[ri] {
            continue;
        }
        if let At::Word(_) = rule.at {
            if m.start() > 0 && is_word(hay[m.start() - 1]) {
                continue;
            }
        }
        if rule.pre.is_some_and(|pre| !pre(hay, m.start())) {
            continue;
        }
        // A token prefix is followed by more of the token; `bearer`, `basic` by a space.
        if let (At::Word(_), Some(&next)) = (rule.at, hay.get(m.end())) {
            let last = hay[m.end() - 1];
            let ok = if last.is_ascii_alphanumeric() {
                next.is_ascii_alphanumeric()
                    || matches!(
                        next,
                        b'_' | b'-' | b'.' | b' ' | b'\t' | b'"' | b'\'' | b':' | b'='
                    )
            } else {
                next.is_ascii_alphanumeric() || matches!(next, b'_' | b'-')
            };
            if !ok {
                continue;
            }
        }
        attempts += 1;
        if attempts > MAX_ATTEMPTS {
            hits.stop_at(m.start());
            return;
        }
        let (re, min_len) = regex(c, ri);
        let (from, to) = match rule.at {
            At::Word(max) | At::Here(max) => (m.start(), hay.len().min(m.start() + max)),
            At::Around(back, ahead) => (
                m.start().saturating_sub(back).max(done[ri]),
                hay.len().min(m.end() + ahead),
            ),
        };
        if from >= to || to - from < *min_len {
            continue;
        }
        let window = &hay[from..to];
        let mut pos = 0;
        while pos <= window.len() {
            // The lazy DFA finds the match; its parts are read off it.
            let Some(found) = re.find_at(window, pos) else {
                break;
            };
            let (ms, me) = (found.start(), found.end());
            let groups = parts(rule.parts, hay, (from + ms, from + me), m.end());
            let ctx = Ctx {
                hay,
                whole: (from + ms, from + me),
                groups,
            };
            if let Some((s, e)) = (rule.check)(&ctx) {
                let hit = Hit {
                    start: s,
                    end: e,
                    prio: rule.prio,
                    mask: Mask::Tag(rule.tag),
                };
                if !hits.push(hit) {
                    return;
                }
            }
            done[ri] = done[ri].max(from + me);
            if matches!(rule.at, At::Word(_) | At::Here(_)) {
                break;
            }
            pos = if me > ms { me } else { me + 1 };
        }
        if let At::Around(..) = rule.at {
            done[ri] = done[ri].max(to);
        }
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick automata and the fast ones find the same keywords, so that a record is
    /// redacted the same whichever serves it.
    #[test]
    fn quick_and_fast_automata_find_the_same_keywords() {
        let (quick, fast) = (
            Automata::new(AhoCorasickKind::ContiguousNFA),
            Automata::new(AhoCorasickKind::DFA),
        );
        let mut hays: Vec<String> = RULES
            .iter()
            .flat_map(|r| r.keywords.iter())
            .map(|k| format!("x {k}=AKIAIOSFODNN7EXAMPLE {} y", k.to_uppercase()))
            .collect();
        hays.push("Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig; password=hunter2".into());
        hays.push("alice".into());
        for hay in &hays {
            for (q, f) in [(&quick.all, &fast.all), (&quick.short, &fast.short)] {
                let got = |k: &Keywords| -> Vec<(usize, usize, usize)> {
                    k.ac.find_overlapping_iter(hay.as_bytes())
                        .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                        .collect()
                };
                assert_eq!(got(q), got(f), "{hay}");
                assert_eq!(q.rule_of, f.rule_of);
            }
        }
    }

    /// The prefilter of short strings lets through every string the short strings'
    /// automaton finds a keyword in: each keyword alone, in other cases, between other text,
    /// and cut at every length.
    #[test]
    fn the_short_strings_prefilter_never_turns_a_keyword_away() {
        let grams = short_grams();
        let quick = Automata::new(AhoCorasickKind::ContiguousNFA);
        let mut hays = Vec::new();
        for k in RULES
            .iter()
            .filter(|r| r.short)
            .flat_map(|r| r.keywords.iter())
        {
            for text in [
                k.to_string(),
                k.to_uppercase(),
                k.to_lowercase(),
                format!("ab{k}"),
                format!("x {} y", k.to_uppercase()),
            ] {
                for end in 1..=text.len() {
                    hays.push(text[..end].to_owned());
                }
            }
        }
        let mut found = 0;
        for hay in hays.iter().filter(|h| h.len() < SHORT) {
            if quick.short.ac.is_match(hay.as_bytes()) {
                found += 1;
                assert!(grams.may_hold(hay.as_bytes()), "{hay:?}");
            }
        }
        assert!(found > 200, "{found}");
        for clean in [
            "alice",
            "accepted",
            "hello world",
            "bob",
            "order-1234",
            "shipped",
        ] {
            assert!(!grams.may_hold(clean.as_bytes()), "{clean}");
        }
    }

    /// Every rule's regex compiles and has a shortest match, read off the regex itself; a
    /// rule declared `short` is one that can match a short string, and its keywords are in
    /// the short strings' automaton.
    #[test]
    fn every_rule_has_a_shortest_match() {
        let c = &*COMPILED;
        let short = Keywords::short(AhoCorasickKind::ContiguousNFA);
        for (i, r) in RULES.iter().enumerate() {
            let &(_, n) = regex(c, i);
            assert!(n > 0, "{}", r.tag);
            assert_eq!(
                r.short,
                n < SHORT,
                "rule {i} ({}): shortest match {n}",
                r.tag
            );
            let in_short = short.rule_of.iter().any(|&ri| usize::from(ri) == i);
            assert_eq!(in_short, r.short, "{}", r.tag);
        }
    }
}
