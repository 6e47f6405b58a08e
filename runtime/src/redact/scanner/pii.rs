//! Personal data in free text: e-mail addresses, phone numbers, IBANs, US SSNs, card numbers.
//!
//! Cheap checks come first: no `@`, no e-mail work; fewer than 7 digits, no number work.
//! Candidates come from one regex; each is then validated (digit counts, issuer prefixes,
//! Luhn, mod-97, SSN area rules) before it is masked.

use std::fmt;
use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder};

use super::{Hit, Hits, Mask};

/// A kind of personal data the scanner masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiiKind {
    /// E-mail addresses: `…@example.org`.
    Email,
    /// Phone numbers: `[REDACTED:phone]`.
    Phone,
    /// IBANs: `[REDACTED:iban]`.
    Iban,
    /// US social security numbers: `[REDACTED:ssn]`.
    Ssn,
    /// Payment card numbers: `…1111`.
    Card,
}

impl PiiKind {
    /// Every kind.
    pub const ALL: [PiiKind; 5] = [
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::Iban,
        PiiKind::Ssn,
        PiiKind::Card,
    ];

    pub(super) fn bit(self) -> u8 {
        match self {
            PiiKind::Email => 1,
            PiiKind::Phone => 2,
            PiiKind::Iban => 4,
            PiiKind::Ssn => 8,
            PiiKind::Card => 16,
        }
    }

    /// The name in `SECLOG_PII`: `email`, `phone`, `iban`, `ssn`, `card`.
    pub fn name(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::Iban => "iban",
            PiiKind::Ssn => "ssn",
            PiiKind::Card => "card",
        }
    }

    /// The name in a record's `redacted` list: `pii_email`, ...
    pub fn manifest_name(self) -> &'static str {
        match self {
            PiiKind::Email => "pii_email",
            PiiKind::Phone => "pii_phone",
            PiiKind::Iban => "pii_iban",
            PiiKind::Ssn => "pii_ssn",
            PiiKind::Card => "pii_card",
        }
    }

    /// Appends what the found text is recorded as to `out`: what `#[redact(email)]` and
    /// `#[redact(last = 4)]` record for e-mail addresses and card numbers, a tag otherwise.
    pub(super) fn mask_into(self, found: &str, out: &mut String) {
        match self {
            PiiKind::Email => match found.rsplit_once('@') {
                Some((_, domain)) => {
                    out.push_str("…@");
                    let start = out.len();
                    out.push_str(domain);
                    out[start..].make_ascii_lowercase();
                }
                None => out.push_str(crate::redact::REDACTED),
            },
            PiiKind::Card => {
                let digits = found.bytes().filter(u8::is_ascii_digit);
                let skip = digits.clone().count().saturating_sub(4);
                out.push('…');
                out.extend(digits.skip(skip).map(char::from));
            }
            PiiKind::Phone => out.push_str("[REDACTED:phone]"),
            PiiKind::Iban => out.push_str("[REDACTED:iban]"),
            PiiKind::Ssn => out.push_str("[REDACTED:ssn]"),
        }
    }
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`PiiKind`]s: which personal data the scanner masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PiiSet(u8);

impl PiiSet {
    /// Every kind (the default).
    pub const ALL: PiiSet = PiiSet(31);
    /// None: personal data is left as it is.
    pub const NONE: PiiSet = PiiSet(0);

    pub(super) const fn bits(self) -> u8 {
        self.0
    }

    pub(super) const fn from_bits(b: u8) -> PiiSet {
        PiiSet(b & 31)
    }

    /// This set with `kind` in it.
    #[must_use]
    pub fn with(self, kind: PiiKind) -> PiiSet {
        PiiSet(self.0 | kind.bit())
    }

    /// This set without `kind`.
    #[must_use]
    pub fn without(self, kind: PiiKind) -> PiiSet {
        PiiSet(self.0 & !kind.bit())
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: PiiKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Reads the `SECLOG_PII` syntax, starting from `self`:
    ///
    /// - `on` or `all`: every kind; `off` or `none`: none;
    /// - a comma-separated list of kinds (`email`, `phone`, `iban`, `ssn`, `card`), each
    ///   optionally prefixed by `-` (switch it off) or `+` (switch it on). A list whose first
    ///   item has no sign names the only kinds on: `email,card`; a list that starts with a
    ///   sign changes the default: `-phone,-iban`.
    ///
    /// ```
    /// use seclog::redact::scanner::{PiiKind, PiiSet};
    /// let set = PiiSet::ALL.parse_list("-phone,-iban").unwrap();
    /// assert!(set.contains(PiiKind::Email) && !set.contains(PiiKind::Phone));
    /// assert_eq!(PiiSet::ALL.parse_list("off").unwrap(), PiiSet::NONE);
    /// assert!(PiiSet::ALL.parse_list("-fax").is_err());
    /// ```
    pub fn parse_list(self, spec: &str) -> Result<PiiSet, String> {
        let spec = spec.trim();
        match spec.to_ascii_lowercase().as_str() {
            "on" | "all" => return Ok(PiiSet::ALL),
            "off" | "none" => return Ok(PiiSet::NONE),
            _ => {}
        }
        let mut set = self;
        for (i, item) in spec.split(',').map(str::trim).enumerate() {
            let (sign, name) = match item.as_bytes().first() {
                Some(b'-') => (Some(false), &item[1..]),
                Some(b'+') => (Some(true), &item[1..]),
                _ => (None, item),
            };
            let kind = PiiKind::ALL
                .into_iter()
                .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    format!(
                        "unknown kind {name:?}: expected on, off, or a list of email, phone, iban, ssn, card, each optionally prefixed by - or +"
                    )
                })?;
            if i == 0 && sign.is_none() {
                set = PiiSet::NONE;
            }
            set = match sign {
                Some(false) => set.without(kind),
                _ => set.with(kind),
            };
        }
        Ok(set)
    }
}

impl Default for PiiSet {
    fn default() -> Self {
        PiiSet::ALL
    }
}

/// Adds the personal data in `hay` of the kinds in `set` to `hits`.
pub(super) fn find(hay: &[u8], set: PiiSet, hits: &mut Hits) {
    if set.contains(PiiKind::Email) {
        for at in memchr::memchr_iter(b'@', hay) {
            if let Some((s, e)) = email_at(hay, at) {
                if !push(hits, s, e, PiiKind::Email) {
                    return;
                }
            }
        }
    }
    let numbers = set.without(PiiKind::Email);
    if numbers.is_empty() || !has_digit_run(hay) {
        return;
    }
    let re = &*NUMBERS;
    let mut pos = 0;
    let mut candidates = 0;
    while let Some(m) = re.candidates.find_at(hay, pos) {
        candidates += 1;
        if candidates > MAX_CANDIDATES {
            hits.stop_at(m.start());
            return;
        }
        let found = classify(re, hay, m.start(), numbers);
        let next = match found {
            Some((e, kind)) => {
                if !push(hits, m.start(), e, kind) {
                    return;
                }
                e
            }
            None => m.end(),
        };
        pos = next.max(m.start() + 1);
        if pos > hay.len() {
            break;
        }
    }
}

/// Most number candidates examined per string: past it the rest is not scanned.
const MAX_CANDIDATES: usize = 512;

/// Whether `hay` has 7 digits or more in one run of digits and separators (spaces, dashes,
/// dots, slashes, parentheses, `+`): every number looked for has one; most text has none.
fn has_digit_run(hay: &[u8]) -> bool {
    let mut digits = 0u32;
    for &b in hay {
        match RUN_CLASS[usize::from(b)] {
            DIGIT => {
                digits += 1;
                if digits >= 7 {
                    return true;
                }
            }
            SEPARATOR => {}
            _ => digits = 0,
        }
    }
    false
}

const OTHER: u8 = 0;
const DIGIT: u8 = 1;
const SEPARATOR: u8 = 2;

/// Each byte's part in a run of digits: a digit, a separator that continues the run, or
/// neither (which ends it).
static RUN_CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = b'0';
    while c <= b'9' {
        t[c as usize] = DIGIT;
        c += 1;
    }
    let seps = b" -./()+";
    let mut i = 0;
    while i < seps.len() {
        t[seps[i] as usize] = SEPARATOR;
        i += 1;
    }
    t
};

fn push(hits: &mut Hits, start: usize, end: usize, kind: PiiKind) -> bool {
    hits.push(Hit {
        start,
        end,
        prio: 0,
        mask: Mask::Pii(kind),
    })
}

fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-' | b'\'')
}

fn is_domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// The e-mail address around the `@` at `at`, if there is one.
fn email_at(hay: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut s = at;
    while s > 0 && at - s < 64 && is_local_byte(hay[s - 1]) {
        s -= 1;
    }
    while s < at && !hay[s].is_ascii_alphanumeric() {
        s += 1;
    }
    if s == at {
        return None;
    }
    // The user of a URL (`https://user@host`, `redis://:pass@host`) is not an e-mail
    // address; `mailto:` is.
    let before = &hay[s.saturating_sub(80)..s];
    let token_start = before
        .iter()
        .rposition(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'('))
        .map_or(0, |i| i + 1);
    if before[token_start..].windows(2).any(|w| w == b"//") {
        return None;
    }
    let mut e = at + 1;
    while e < hay.len() && e - at <= 253 && is_domain_byte(hay[e]) {
        e += 1;
    }
    // Trailing dots and dashes end the sentence, not the domain.
    while e > at + 1 && matches!(hay[e - 1], b'.' | b'-') {
        e -= 1;
    }
    let domain = &hay[at + 1..e];
    let dot = domain.iter().rposition(|&b| b == b'.')?;
    let tld = &domain[dot + 1..];
    let labels_ok = domain
        .split(|&b| b == b'.')
        .all(|l| !l.is_empty() && l[0] != b'-' && l[l.len() - 1] != b'-');
    // File names (`icon@2x.png`) end in an extension that is no top-level domain.
    const EXTENSIONS: &[&[u8]] = &[
        b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"ico", b"bmp", b"css", b"js", b"map",
        b"txt", b"log", b"json", b"yaml", b"yml", b"toml", b"lock",
    ];
    let file = EXTENSIONS.iter().any(|x| tld.eq_ignore_ascii_case(x));
    (tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic) && labels_ok && !file)
        .then_some((s, e))
}

struct Numbers {
    /// Anything that may be a number of interest; [`classify`] decides.
    candidates: Regex,
    iban: Regex,
    ssn: Regex,
    card: Regex,
    phone: Regex,
}

fn build(p: &str) -> Regex {
    RegexBuilder::new(p)
        .unicode(false)
        .size_limit(1 << 20)
        .dfa_size_limit(2 << 20)
        .build()
        .expect("the scanner's number patterns are valid regexes")
}

const IBAN: &str = r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?";
const SSN: &str = r"\d{3}[- ]\d{2}[- ]\d{4}";
const CARD: &str = r"\d(?:(?: |-{1,2})?\d){12,18}";
const PHONE: &str = r"(?:(?:\+|\b00)[1-9]\d{0,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4}|0\d{1,4}(?:[ /.-]?\d{2,8}){1,4})";

static NUMBERS: LazyLock<Numbers> = LazyLock::new(|| Numbers {
    candidates: build(&format!(r"(?:\b{IBAN}|\b{SSN}|\b{CARD}|{PHONE})")),
    iban: build(&format!(r"\A{IBAN}")),
    ssn: build(&format!(r"\A{SSN}")),
    card: build(&format!(r"\A{CARD}")),
    phone: build(&format!(r"\A{PHONE}")),
});

/// Whether a candidate's text is personal data of a kind.
type Validator = fn(&[u8]) -> bool;

/// The end and kind of the personal data that starts at `start`, if any.
fn classify(re: &Numbers, hay: &[u8], start: usize, set: PiiSet) -> Option<(usize, PiiKind)> {
    // Numbers glued to a word, or after a decimal point, a dash or a slash that follows a
    // digit, are part of something else (a version, a date, an address).
    if start > 0 {
        let p = hay[start - 1];
        let after_digit = start >= 2 && hay[start - 2].is_ascii_digit();
        if p.is_ascii_alphanumeric()
            || p == b'_'
            || (matches!(p, b'.' | b'-' | b'/' | b':' | b',' | b' ') && after_digit)
        {
            return None;
        }
    }
    let window = &hay[start..hay.len().min(start + 64)];
    let kinds: [(PiiKind, &Regex, Validator); 4] = [
        (PiiKind::Iban, &re.iban, iban),
        (PiiKind::Ssn, &re.ssn, ssn),
        (PiiKind::Card, &re.card, card),
        (PiiKind::Phone, &re.phone, phone),
    ];
    for (kind, r, valid) in kinds {
        if !set.contains(kind) {
            continue;
        }
        let Some(m) = r.find(window) else { continue };
        let end = start + m.end();
        if glued_after(hay, end) {
            continue;
        }
        if valid(&window[..m.end()]) {
            return Some((end, kind));
        }
    }
    None
}

/// Whether the text after a candidate continues it (more digits or letters, a decimal part).
fn glued_after(hay: &[u8], end: usize) -> bool {
    match hay.get(end) {
        None => false,
        Some(b) if b.is_ascii_alphanumeric() || *b == b'_' => true,
        Some(b'.' | b'-' | b'/' | b':' | b',' | b' ') => {
            let sep = hay[end];
            let next_digit = hay.get(end + 1).is_some_and(u8::is_ascii_digit);
            // A sentence may go on after a space or a comma; not after `-12`, `.5`, `/7`.
            next_digit && !matches!(sep, b' ' | b',')
                || (sep == b' ' && next_digit && digit_group_follows(hay, end + 1))
        }
        _ => false,
    }
}

/// After a space: a short digit group glued to the candidate (`4111 1111 1111 1111 1` or
/// the fifth group of an over-long number).
fn digit_group_follows(hay: &[u8], from: usize) -> bool {
    let n = hay[from..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let after = hay.get(from + n);
    (1..=4).contains(&n) && !after.is_some_and(|b| b.is_ascii_alphabetic())
}

fn digits_of(t: &[u8], out: &mut [u8; 40]) -> usize {
    let mut n = 0;
    for &b in t {
        if b.is_ascii_digit() {
            if n == out.len() {
                return n;
            }
            out[n] = b;
            n += 1;
        }
    }
    n
}

/// Separators: one kind throughout (a space, a dash or two), in groups of 3 digits or more
/// (a last group may be shorter), or none.
fn card(t: &[u8]) -> bool {
    let mut d = [0u8; 40];
    let n = digits_of(t, &mut d);
    let d = &d[..n];
    if let Some(sep) = t.iter().find(|b| !b.is_ascii_digit()).copied() {
        if t.iter().any(|b| !b.is_ascii_digit() && *b != sep) {
            return false;
        }
        let groups: [usize; 8] = {
            let mut g = [0usize; 8];
            let mut k = 0;
            for part in t.split(|b| *b == sep).filter(|p| !p.is_empty()) {
                if k == g.len() {
                    return false;
                }
                g[k] = part.len();
                k += 1;
            }
            if k < 2 {
                return false;
            }
            g[..k - 1]
                .iter()
                .any(|&l| l < 3)
                .then_some(())
                .map_or(g, |()| [0; 8])
        };
        if groups[0] == 0 {
            return false;
        }
    }
    issuer_length_ok(d) && crate::redact::strategy::luhn(d)
}

/// A known issuer prefix (IIN) with a length it issues.
fn issuer_length_ok(d: &[u8]) -> bool {
    let n = d.len();
    let p = |k: usize| -> u32 {
        d[..k]
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    match d[0] {
        b'4' => n == 16 || n == 19 || n == 13,
        b'5' => {
            (51..=55).contains(&p(2)) && n == 16
                // Bankcard, Dankort, Maestro.
                || matches!(p(4), 5610 | 5019 | 5018 | 5020 | 5038 | 5893) && (16..=19).contains(&n)
        }
        b'2' => (2221..=2720).contains(&p(4)) && n == 16,
        b'3' => {
            matches!(p(2), 34 | 37) && n == 15
                || (3528..=3589).contains(&p(4)) && (16..=19).contains(&n)
                || (matches!(p(2), 36 | 38 | 39) || (300..=305).contains(&p(3)) || p(3) == 309)
                    && (14..=19).contains(&n)
        }
        b'6' => {
            // Discover, UnionPay, Maestro, Switch, Solo.
            (p(4) == 6011
                || p(2) == 65
                || (644..=649).contains(&p(3))
                || p(2) == 62
                || matches!(p(4), 6304 | 6759 | 6761 | 6762 | 6763 | 6767)
                || p(3) == 633)
                && (16..=19).contains(&n)
        }
        _ => false,
    }
}

fn ssn(t: &[u8]) -> bool {
    let mut d = [0u8; 40];
    let n = digits_of(t, &mut d);
    if n != 9 {
        return false;
    }
    let sep = t[3];
    if t[6] != sep {
        return false;
    }
    let area = &d[..3];
    let group = &d[3..5];
    let serial = &d[5..9];
    area != b"000" && area != b"666" && area[0] != b'9' && group != b"00" && serial != b"0000"
}

/// The length of an IBAN in each country that issues them.
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

fn iban(t: &[u8]) -> bool {
    let mut c = [0u8; 40];
    let mut n = 0;
    for &b in t {
        if b != b' ' {
            if n == c.len() {
                return false;
            }
            c[n] = b;
            n += 1;
        }
    }
    let c = &c[..n];
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(cc, _)| &c[..2] == *cc) else {
        return false;
    };
    if n != len {
        return false;
    }
    // Mod 97 of the rearranged number, letters as 10..35, computed digit by digit.
    let mut rem = 0u32;
    for &b in c[4..].iter().chain(&c[..4]) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn phone(t: &[u8]) -> bool {
    let mut d = [0u8; 40];
    let n = digits_of(t, &mut d);
    let seps = t
        .iter()
        .filter(|b| !b.is_ascii_digit() && **b != b'+')
        .count();
    if t[0] == b'+' {
        return (8..=15).contains(&n);
    }
    // The international prefix written as `00` (`0044 20 7946 0018`): as `+`, and in groups,
    // since a run of digits that starts with `00` is more often an id.
    if t.starts_with(b"00") && t.get(2).is_some_and(|&b| b != b'0') {
        return seps >= 1 && (10..=17).contains(&n) && country_code(&t[2..]);
    }
    if t[0] == b'(' || (t.len() == 12 && n == 10) {
        return n == 10;
    }
    // A national number: trunk 0, then a non-zero digit, separated into groups.
    t[0] == b'0' && d[1] != b'0' && seps >= 1 && (10..=12).contains(&n) && {
        let sep = t.iter().find(|b| !b.is_ascii_digit()).copied();
        t.iter().all(|b| b.is_ascii_digit() || Some(*b) == sep)
    }
}

/// Whether the first group of `t` (the digits after an international prefix, up to a
/// separator; a separator first is skipped) starts with an assigned country calling code
/// (ITU-T E.164): one digit (1, 7), two, or three in a zone of three-digit codes. Batch and
/// serial numbers padded with zeros (`0042-0001`) have none.
fn country_code(t: &[u8]) -> bool {
    // Two-digit codes; and the zones whose codes have three digits.
    const TWO: &[u8] = &[
        20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55,
        56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
    ];
    const THREE: &[u8] = &[
        21, 22, 23, 24, 25, 26, 29, 35, 37, 38, 42, 50, 59, 67, 68, 69, 80, 85, 87, 88, 96, 97, 99,
    ];
    let t = t.strip_prefix(b" ").unwrap_or(t);
    let group: Vec<u8> = t
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect();
    match group[..] {
        [1 | 7, ..] => true,
        [a, b, ref rest @ ..] => {
            let two = a * 10 + b;
            TWO.contains(&two) || (THREE.contains(&two) && !rest.is_empty())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_list() {
        let all = PiiSet::ALL;
        assert_eq!(all.parse_list("on").unwrap(), PiiSet::ALL);
        assert_eq!(all.parse_list("OFF").unwrap(), PiiSet::NONE);
        let s = all.parse_list("-phone, -iban").unwrap();
        assert!(!s.contains(PiiKind::Phone) && !s.contains(PiiKind::Iban));
        assert!(s.contains(PiiKind::Email) && s.contains(PiiKind::Card));
        let s = all.parse_list("email,card").unwrap();
        assert_eq!(s, PiiSet::NONE.with(PiiKind::Email).with(PiiKind::Card));
        assert!(all.parse_list("-fax").unwrap_err().contains("fax"));
        assert!(all.parse_list("").is_err());
    }

    #[test]
    fn validators() {
        assert!(iban(b"DE89 3704 0044 0532 0130 00"));
        assert!(!iban(b"DE00 0000 0000 0000 0000 00"));
        assert!(ssn(b"123-45-6789"));
        assert!(!ssn(b"666-45-6789") && !ssn(b"123-00-6789") && !ssn(b"912-45-6789"));
        assert!(card(b"4111 1111 1111 1111") && card(b"378282246310005"));
        assert!(!card(b"20261123183000") && !card(b"41 1111 1111 1111 11"));
    }
}
