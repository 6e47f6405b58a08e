//! Whether a value looks like a secret: placeholders, key names, randomness.

/// Shannon entropy of `v` in bits per byte.
pub(super) fn shannon(v: &[u8]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in v {
        counts[usize::from(b)] += 1;
    }
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The longest run of one repeated byte.
fn longest_run(v: &[u8]) -> usize {
    let (mut best, mut run) = (0, 0);
    for (i, &b) in v.iter().enumerate() {
        run = if i > 0 && v[i - 1] == b { run + 1 } else { 1 };
        best = best.max(run);
    }
    best
}

/// The longest run of one repeated byte that is not a digit (ids repeat digits).
fn longest_letter_run(v: &[u8]) -> usize {
    let (mut best, mut run) = (0, 0);
    for (i, &b) in v.iter().enumerate() {
        run = if b.is_ascii_digit() {
            0
        } else if i > 0 && v[i - 1] == b {
            run + 1
        } else {
            1
        };
        best = best.max(run);
    }
    best
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    let first = needle[0];
    hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w[0].eq_ignore_ascii_case(&first) && w.eq_ignore_ascii_case(needle))
}

/// Template syntax or a filler that stands for a value: `${VAR}`, `{{ x }}`, `<your-token>`,
/// `%s`, `xxxx`, `****`, runs of one character.
pub(super) fn is_filler(v: &[u8]) -> bool {
    if v.is_empty() {
        return true;
    }
    let starts = |p: &[u8]| v.starts_with(p);
    starts(b"${")
        || starts(b"$(")
        || starts(b"{{")
        || starts(b"#{")
        || starts(b"%s")
        || starts(b"%(")
        || starts(b"<")
        || starts(b"[")
        || longest_letter_run(v) >= 12
        || contains_ci(v, b"xxxx")
        || v.windows(4).any(|w| w == b"****" || w == b"####")
        || v.iter().all(|&b| b == b'*' || b == b'.' || b == b'#')
}

/// Words that make a value a placeholder or a reference rather than a secret.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"changeme",
    b"change_me",
    b"change-me",
    b"placeholder",
    b"your_",
    b"your-",
    b"yourtoken",
    b"yourkey",
    b"insert",
    b"_here",
    b"dummy",
    b"fake",
    b"redacted",
    b"password",
    b"passwd",
    b"token",
    b"example.com",
];

/// Whether `v` runs through the alphabet or the digits (`abcdefghij`, `0123456789`), as
/// samples and character sets do.
pub(super) fn sequential(v: &[u8]) -> bool {
    v.len() >= 10 && (contains_ci(v, b"abcdefghij") || contains_ci(v, b"qrstuvwxyz"))
}

/// A value assigned to a secret-like key that is in fact a placeholder, a reference or empty.
pub(super) fn is_placeholder(v: &[u8]) -> bool {
    is_filler(v) || sequential(v) || longest_run(v) >= 12 || names_a_placeholder(v)
}

/// Starts like a reference or an expression, or holds a placeholder word (`changeme`,
/// `your_`, `password`, ...).
pub(super) fn names_a_placeholder(v: &[u8]) -> bool {
    if v.is_empty() {
        return true;
    }
    let first = v[0];
    if matches!(
        first,
        b',' | b';'
            | b':'
            | b'{'
            | b'}'
            | b'('
            | b')'
            | b']'
            | b'>'
            | b'$'
            | b'%'
            | b'#'
            | b'*'
            | b'&'
            | b'|'
            | b'\\'
            | b'!'
            | b'?'
            | b'='
            | b'"'
            | b'\''
            | b'@'
            | b'^'
            | b'-'
    ) {
        return true;
    }
    PLACEHOLDERS.is_match(v)
}

/// [`PLACEHOLDER_WORDS`], found in one pass whatever their case.
static PLACEHOLDERS: std::sync::LazyLock<aho_corasick::AhoCorasick> =
    std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PLACEHOLDER_WORDS)
            .expect("the placeholder words build an automaton")
    });

/// Segments of a key name, lowercased: `my_dbPassword-2` → `my`, `db`, `password`, `2`.
fn segments(key: &[u8], out: &mut [[u8; 24]; 12]) -> usize {
    let mut n = 0;
    let mut len = 0;
    let mut prev_lower = false;
    for &b in key {
        let boundary = !b.is_ascii_alphanumeric() || (b.is_ascii_uppercase() && prev_lower);
        if boundary && len > 0 {
            n += 1;
            len = 0;
            if n == out.len() {
                return n;
            }
        }
        // Bytes past 24 are dropped: no secret-like word is that long.
        if b.is_ascii_alphanumeric() && len < 24 {
            out[n][len] = b.to_ascii_lowercase();
            len += 1;
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
    }
    if len > 0 {
        out[n][len..].fill(0);
        n += 1;
    }
    n
}

fn seg(s: &[u8; 24]) -> &[u8] {
    let len = s.iter().position(|&b| b == 0).unwrap_or(24);
    &s[..len]
}

/// How strongly a key name says its value is secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyClass {
    /// Not a secret's name (`secret_length`, `credentialsId`, `keyword`, `author`).
    None,
    /// A token or key (`apiToken`, `bucket_key`): the value must look random.
    Token,
    /// A password or secret (`db_pass`, `client_secret`, `api_key`): any real value.
    Password,
}

/// The last word of a key that names something about a secret, not the secret itself.
fn not_the_secret(last: &[u8]) -> bool {
    matches!(
        last,
        b"id"
            | b"ids"
            | b"name"
            | b"names"
            | b"size"
            | b"length"
            | b"len"
            | b"file"
            | b"files"
            | b"path"
            | b"url"
            | b"uri"
            | b"type"
            | b"count"
            | b"mode"
            | b"version"
            | b"source"
            | b"results"
            | b"field"
            | b"dir"
            | b"format"
            | b"prefix"
            | b"hint"
            | b"label"
            | b"store"
            | b"vault"
            | b"variable"
            | b"var"
            | b"ref"
            | b"arn"
            | b"pair"
            | b"chars"
            | b"selector"
            | b"pressed"
            | b"signatures"
            | b"secrets"
            | b"policy"
            | b"endpoint"
            | b"expiry"
            | b"expires"
            | b"ttl"
            | b"timeout"
            | b"min"
            | b"max"
            | b"required"
            | b"enabled"
            | b"reset"
            | b"changed"
            | b"strength"
            | b"rules"
            | b"regex"
            | b"pattern"
            | b"meshing"
            | b"frame"
            | b"index"
            | b"header"
            | b"env"
            | b"class"
            | b"kind"
            | b"region"
            | b"algorithm"
            | b"alg"
            | b"manager"
            | b"provider"
            | b"service"
            | b"location"
            | b"storage"
            | b"column"
            | b"params"
            | b"param"
            | b"schema"
            | b"list"
            | b"map"
            | b"fingerprint"
            | b"hash"
            | b"digest"
            | b"tag"
            | b"text"
            | b"message"
            | b"msg"
    )
}

fn is_password_word(s: &[u8]) -> bool {
    matches!(
        s,
        b"pass"
            | b"passwd"
            | b"password"
            | b"pwd"
            | b"passphrase"
            | b"secret"
            | b"secrete"
            | b"creds"
            | b"credential"
            | b"credentials"
            | b"apikey"
            | b"privatekey"
            | b"secretkey"
    ) || s.ends_with(b"password")
        || s.ends_with(b"passwd")
        || (s.ends_with(b"secret") && s.len() <= 16)
}

fn is_token_word(s: &[u8]) -> bool {
    s == b"token"
        || s == b"key"
        || s == b"auth"
        || s == b"jwt"
        || (s.ends_with(b"token") && s.len() <= 16)
        || (s.ends_with(b"key") && s.len() <= 12 && !matches!(s, b"monkey" | b"turkey" | b"hotkey"))
}

/// The class of a key name.
pub(super) fn key_class(key: &[u8]) -> KeyClass {
    let mut buf = [[0u8; 24]; 12];
    let n = segments(key, &mut buf);
    if n == 0 {
        return KeyClass::None;
    }
    let mut n = n;
    while n > 1 && seg(&buf[n - 1]).iter().all(u8::is_ascii_digit) {
        n -= 1;
    }
    let segs = &buf[..n];
    let last = seg(&segs[n - 1]);
    if not_the_secret(last) {
        return KeyClass::None;
    }
    let pair = |a: &[u8], b: &[u8]| segs.windows(2).any(|w| seg(&w[0]) == a && seg(&w[1]) == b);
    if segs.iter().any(|s| is_password_word(seg(s)))
        || pair(b"api", b"key")
        || pair(b"private", b"key")
        || pair(b"secret", b"key")
    {
        return KeyClass::Password;
    }
    if is_token_word(last) {
        return KeyClass::Token;
    }
    KeyClass::None
}

/// Whether a value assigned to a token-like key looks random rather than like a word, a
/// name, a number or a dotted identifier.
pub(super) fn looks_random(v: &[u8]) -> bool {
    if v.len() < 10 || v.iter().any(u8::is_ascii_whitespace) {
        return false;
    }
    if v.iter().all(u8::is_ascii_digit) {
        return v.len() >= 12;
    }
    if v.contains(&b'/') && (v.starts_with(b"/") || v.windows(3).any(|w| w == b"://")) {
        return false;
    }
    if identifier_chain(v) || wordy(v) {
        return false;
    }
    shannon(v) >= 3.0
}

/// `a.b_c.D1`: names joined by dots (a member access, a package name).
fn identifier_chain(v: &[u8]) -> bool {
    v.contains(&b'.')
        && v.split(|&b| b == b'.').all(|p| {
            !p.is_empty()
                && (p[0].is_ascii_alphabetic() || p[0] == b'_')
                && p.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
                && p.split(|&b| b == b'_').all(|w| w.len() <= 10 || wordy(w))
        })
}

/// Made of words (`SalesResults-1.2`, `DOC_Vector_5_32`): capitalised or lowercase words of
/// three letters or more, upper-case abbreviations, and few digits.
pub(super) fn wordy(v: &[u8]) -> bool {
    let digits = v.iter().filter(|b| b.is_ascii_digit()).count();
    let groups = v
        .iter()
        .enumerate()
        .filter(|(i, b)| b.is_ascii_digit() && (*i == 0 || !v[i - 1].is_ascii_digit()))
        .count();
    if digits > 6 || groups > 3 {
        return false;
    }
    // Without digits, two-letter words (`my`, `To`) count too.
    let min = if digits == 0 { 2 } else { 3 };
    let mut i = 0;
    while i < v.len() {
        let b = v[i];
        if !b.is_ascii_alphanumeric() || b.is_ascii_digit() {
            i += 1;
            continue;
        }
        if b.is_ascii_uppercase() {
            let start = i;
            while i < v.len() && v[i].is_ascii_uppercase() {
                i += 1;
            }
            let caps = i - start;
            let lower_start = i;
            while i < v.len() && v[i].is_ascii_lowercase() {
                i += 1;
            }
            let lower = i - lower_start;
            // `ABC`, `Word`, `HTTPServer` are words; `Zf`, `AbC` are not.
            let ok = (lower == 0 && caps >= 2) || (caps == 1 && lower + 1 >= min) || lower >= 3;
            if !ok {
                return false;
            }
        } else {
            let start = i;
            while i < v.len() && v[i].is_ascii_lowercase() {
                i += 1;
            }
            if i - start < min {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_classes() {
        for k in [
            "password",
            "db_pass",
            "my_password_secure",
            "client_secret",
            "api_key",
            "apikey",
            "PRIVATE-KEY",
            "aws_secret_access_key",
            "mySecretString",
            "creds",
        ] {
            assert_eq!(key_class(k.as_bytes()), KeyClass::Password, "{k}");
        }
        for k in [
            "genericToken",
            "access_token",
            "oktaApiToken",
            "bucket_key",
            "user_auth",
            "AccountKey",
        ] {
            assert_eq!(key_class(k.as_bytes()), KeyClass::Token, "{k}");
        }
        for k in [
            "secret_length",
            "credentialsId",
            "keyword",
            "author",
            "kms_key_id",
            "bypass",
            "LLM_SECRET_NAME",
            "passed",
        ] {
            assert_eq!(key_class(k.as_bytes()), KeyClass::None, "{k}");
        }
    }

    #[test]
    fn randomness() {
        for v in [
            "Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB",
            "0m1pvsu8eg0o2n",
            "9006566317097524",
        ] {
            assert!(looks_random(v.as_bytes()), "{v}");
        }
        for v in [
            "SalesResults-1.2",
            "DOC_Vector_5_32",
            "XSalsa20.key_length",
            "kVK_Return.u16",
            "AbCeFG123",
            "not_long_enough",
        ] {
            assert!(!looks_random(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn placeholders() {
        for v in [
            "${NPM_TOKEN}",
            "<your-token>",
            "xxxxxxxxxxxx",
            "changeme",
            "********",
            "{{ .Values.x }}",
            "%s",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v}");
        }
        assert!(!is_placeholder(b"m{{h}o)p${e]nob"));
    }
}
