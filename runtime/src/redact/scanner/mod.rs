//! The scanner: a backstop for secrets and personal data in strings nobody marked.
//!
//! Every string written to a record, unless it was redacted by a strategy or belongs to a
//! field or parameter marked public, is scanned. Each secret found is replaced by a tag naming
//! its kind; personal data is masked as the matching `#[redact(...)]` strategy would.
//!
//! # Secrets
//!
//! | tag | finds |
//! |---|---|
//! | `[REDACTED:credential]` | the value assigned to a secret-like key: `password=…`, `"secret": "…"`, `api_key: …`, `db_pass := …`, `PWD=…;`, `AccountKey=…`, `genericToken=…`, `if (pwd == "…")`, `--password …` |
//! | `[REDACTED:bearer]`, `[REDACTED:authorization]`, `[REDACTED:basic_auth]` | `Authorization: Bearer/Basic/Token …`, `curl -u user:pass` |
//! | `[REDACTED:url_credential]` | the password in `scheme://user:password@host` (any scheme: postgres, mongodb, redis, jdbc:…; the user too when it is the password) |
//! | `[REDACTED:jwt]` | `header.payload.signature` (or unsigned `header.payload.`) whose header decodes to a JSON object |
//! | `[REDACTED:private_key]` | PEM, OpenSSH and PGP `-----BEGIN … PRIVATE KEY-----` blocks, `AGE-SECRET-KEY-1…` |
//! | `[REDACTED:aws_key]` | AWS access key ids (`AKIA`, `ASIA`, `ABIA`, `ACCA`, `A3T…`, ...) |
//! | `[REDACTED:github_token]`, `[REDACTED:gitlab_token]`, `[REDACTED:slack_token]`, `[REDACTED:slack_webhook]`, `[REDACTED:stripe_key]`, `[REDACTED:openai_key]`, `[REDACTED:anthropic_key]`, `[REDACTED:google_api_key]`, `[REDACTED:twilio_key]`, `[REDACTED:sendgrid_key]`, `[REDACTED:npm_token]`, `[REDACTED:pypi_token]`, `[REDACTED:discord_token]`, `[REDACTED:telegram_token]`, `[REDACTED:api_token]` | provider tokens with a fixed prefix and shape |
//!
//! Placeholders are left alone: `ghp_xxxx…`, `<your-token>`, `${VAR}`, `{{ .Values.x }}`,
//! `changeme`, runs of one character.
//!
//! # Personal data
//!
//! | kind (in `redacted`) | finds | recorded as |
//! |---|---|---|
//! | `pii_email` | e-mail addresses | `…@example.org` (the domain, as `#[redact(email)]`) |
//! | `pii_phone` | E.164 (`+44 20 7946 0018`), `(555) 010-0199`, `555-010-0199`, national numbers with a trunk 0 and separators; 8 to 15 digits | `[REDACTED:phone]` |
//! | `pii_iban` | IBANs whose length fits the country and whose mod-97 check passes | `[REDACTED:iban]` |
//! | `pii_ssn` | US SSNs `AAA-GG-SSSS` (no 000, 666 or 9xx area, no 00 group, no 0000 serial) | `[REDACTED:ssn]` |
//! | `pii_card` | 13–19 digits with a known issuer prefix and length that pass the Luhn check | `…1111` (the last 4, as `#[redact(last = 4)]`) |
//!
//! Timestamps, epoch seconds, UUIDs, order numbers, ISBNs, versions, hashes and addresses
//! pass through.
//!
//! # Cost
//!
//! One case-insensitive Aho-Corasick pass over the text finds the rules' keywords; a rule's
//! regex runs only at its keywords, over a bounded window. `@` and at least 7 digits are
//! checked for before any personal-data work. Nothing is allocated when nothing is found. At
//! most [`MAX_FINDINGS`] findings are processed per string: the text after them is recorded
//! as `[REDACTED:unscanned]`.
//!
//! # Switches
//!
//! Secrets: `SECLOG_SECRET_SCANNER=off`, [`crate::Builder::secret_scanner`] or
//! [`set_enabled`]. Personal data: `SECLOG_PII=off` or `SECLOG_PII=-phone,-iban`,
//! [`crate::Builder::pii`] or [`set_pii`].
//!
//! ```
//! use seclog::redact::scanner::scrub;
//! assert_eq!(
//!     scrub("retry with Bearer abcdefghijklmnop0123 please").unwrap(),
//!     "retry with Bearer [REDACTED:bearer] please"
//! );
//! assert_eq!(scrub("mail alice@example.org").unwrap(), "mail …@example.org");
//! assert_eq!(scrub("order 2026-11-23 #1042"), None);
//! ```

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

mod entropy;
mod grams;
mod pii;
mod rules;

pub use pii::{PiiKind, PiiSet};
pub(crate) use rules::SHORT;

/// The most findings processed in one string; the text after them is not scanned and is
/// recorded as `[REDACTED:unscanned]`.
pub const MAX_FINDINGS: usize = 128;

static ENABLED: AtomicBool = AtomicBool::new(true);
static PII: AtomicU8 = AtomicU8::new(PiiSet::ALL.bits());

/// Called when a record is done: the scanner's slower start-up work, if any is left, begins
/// now, outside every handler's `duration_ns`.
#[inline]
pub(crate) fn after_record() {
    rules::after_record();
}

/// Switches the secret rules on or off for the whole process.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether the secret rules are on.
#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Sets the kinds of personal data masked, for the whole process.
pub fn set_pii(kinds: PiiSet) {
    PII.store(kinds.bits(), Ordering::Relaxed);
}

/// The kinds of personal data masked.
#[inline]
pub fn pii() -> PiiSet {
    PiiSet::from_bits(PII.load(Ordering::Relaxed))
}

/// What a scan looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The secret rules.
    pub secrets: bool,
    /// The kinds of personal data.
    pub pii: PiiSet,
}

impl Config {
    /// Everything.
    pub const ALL: Config = Config {
        secrets: true,
        pii: PiiSet::ALL,
    };

    /// What the process has switched on ([`set_enabled`], [`set_pii`]).
    pub fn current() -> Config {
        Config {
            secrets: enabled(),
            pii: pii(),
        }
    }

    /// Whether there is anything to look for.
    pub fn any(self) -> bool {
        self.secrets || !self.pii.is_empty()
    }

    /// The configuration in one byte, for a string whose scan is left to the writer thread.
    pub(crate) const fn to_byte(self) -> u8 {
        self.pii.bits() | if self.secrets { 0x80 } else { 0 }
    }

    /// The configuration [`to_byte`](Self::to_byte) wrote.
    pub(crate) const fn from_byte(b: u8) -> Config {
        Config {
            secrets: b & 0x80 != 0,
            pii: PiiSet::from_bits(b),
        }
    }
}

/// The kinds a scan found in one string, as named in a record's `redacted` list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Found(u8);

const SECRET_BIT: u8 = 1 << 7;

impl Found {
    fn add_secret(&mut self) {
        self.0 |= SECRET_BIT;
    }

    fn add_pii(&mut self, kind: PiiKind) {
        self.0 |= kind.bit();
    }

    /// Whether a secret was found (or text was left unscanned).
    pub fn secret(self) -> bool {
        self.0 & SECRET_BIT != 0
    }

    /// Whether personal data of this kind was found.
    pub fn has(self, kind: PiiKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The names for the `redacted` list: `scan` for secrets, then `pii_email`, `pii_phone`,
    /// `pii_iban`, `pii_ssn`, `pii_card`.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        let secret = self.secret().then_some("scan");
        secret.into_iter().chain(
            PiiKind::ALL
                .into_iter()
                .filter(move |k| self.has(*k))
                .map(PiiKind::manifest_name),
        )
    }
}

/// A string with what was found in it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrubbed {
    /// The text with each finding replaced.
    pub text: String,
    /// What was found.
    pub found: Found,
}

/// `s` with every secret and every piece of personal data found replaced, or `None` when
/// nothing is found. Looks for everything, whatever the process-wide switches say.
pub fn scrub(s: &str) -> Option<String> {
    let found = scrub_with(s, Config::ALL).map(|r| r.text);
    // Called on its own, not while a record is made: the faster automata may start now.
    after_record();
    found
}

/// `s` with every secret and every piece of personal data found replaced; borrowed when
/// nothing is found. Looks for everything, whatever the process-wide switches say.
pub fn scan(s: &str) -> Cow<'_, str> {
    match scrub(s) {
        Some(clean) => Cow::Owned(clean),
        None => Cow::Borrowed(s),
    }
}

/// `s` scanned for what `config` names, or `None` when nothing is found.
pub fn scrub_with(s: &str, config: Config) -> Option<Scrubbed> {
    let mut hits = Hits::new();
    if config.secrets {
        rules::find(s.as_bytes(), &mut hits);
    }
    if !config.pii.is_empty() {
        pii::find(s.as_bytes(), config.pii, &mut hits);
    }
    if hits.list.is_empty() && hits.cut.is_none() {
        return None;
    }
    // A finding that is already masked (a text scrubbed before) changes nothing: it is not
    // reported, so the record's manifest never names a redaction that did not happen.
    Some(hits.apply(s)).filter(|r| r.text != s)
}

/// What replaces a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mask {
    /// A secret: `[REDACTED:<tag>]`.
    Tag(&'static str),
    /// Personal data, masked by kind.
    Pii(PiiKind),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Hit {
    pub start: usize,
    pub end: usize,
    /// Where findings overlap, the one of higher priority names the merged span.
    pub prio: u8,
    pub mask: Mask,
}

/// The findings in one string, and where scanning stopped if it did.
pub(super) struct Hits {
    list: Vec<Hit>,
    /// Text from here on was not scanned.
    cut: Option<usize>,
}

impl Hits {
    fn new() -> Self {
        Hits {
            list: Vec::new(),
            cut: None,
        }
    }

    /// Adds a finding; `false` once the budget is spent (scanning should stop).
    pub(super) fn push(&mut self, hit: Hit) -> bool {
        if hit.start >= hit.end {
            return true;
        }
        if self.list.len() >= MAX_FINDINGS {
            self.stop_at(hit.start);
            return false;
        }
        self.list.push(hit);
        true
    }

    /// Marks the text from `at` on as not scanned.
    pub(super) fn stop_at(&mut self, at: usize) {
        self.cut = Some(self.cut.map_or(at, |c| c.min(at)));
    }

    fn apply(mut self, s: &str) -> Scrubbed {
        self.list
            .sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        // Merge overlapping findings in place: the union is masked, named by the highest
        // priority.
        let mut merged = self.list;
        let mut kept = 0;
        for i in 0..merged.len() {
            let h = merged[i];
            if kept > 0 && h.start < merged[kept - 1].end {
                let last = &mut merged[kept - 1];
                last.end = last.end.max(h.end);
                if h.prio > last.prio {
                    last.prio = h.prio;
                    last.mask = h.mask;
                }
            } else {
                merged[kept] = h;
                kept += 1;
            }
        }
        merged.truncate(kept);
        let mut cut = self.cut.unwrap_or(s.len()).min(s.len());
        // A cut inside a finding moves to its end; findings after the cut are dropped.
        if let Some(h) = merged.iter().find(|h| h.start < cut && cut < h.end) {
            cut = h.end;
        }
        merged.retain(|h| h.start < cut);
        let mut found = Found::default();
        let mut out = String::with_capacity(s.len() + 16);
        let mut copied = 0;
        for h in &merged {
            // Every finding starts and ends at an ASCII byte; keep to char boundaries anyway.
            let (start, end) = (floor(s, h.start), ceil(s, h.end));
            if start < copied {
                continue;
            }
            out.push_str(&s[copied..start]);
            match h.mask {
                Mask::Tag(tag) => {
                    found.add_secret();
                    out.push_str("[REDACTED:");
                    out.push_str(tag);
                    out.push(']');
                }
                Mask::Pii(kind) => {
                    found.add_pii(kind);
                    kind.mask_into(&s[start..end], &mut out);
                }
            }
            copied = end;
        }
        if cut < s.len() {
            let cut = ceil(s, cut).max(copied);
            out.push_str(&s[copied..cut]);
            out.push_str("[REDACTED:unscanned]");
            found.add_secret();
        } else {
            out.push_str(&s[copied..]);
        }
        Scrubbed { text: out, found }
    }
}

fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_each_kind_in_place() {
        let cases = [
            ("card 4111 1111 1111 1111 on file", "card …1111 on file"),
            ("AKIAIOSFODNN7EXAMPLE used", "[REDACTED:aws_key] used"),
            (
                "postgres://app:hunter2@db:5432/x",
                "postgres://app:[REDACTED:url_credential]@db:5432/x",
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

    #[test]
    fn nothing_found_borrows() {
        assert!(matches!(scan("plain text, nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn too_many_findings_leave_the_rest_unscanned() {
        let s = "a@example.org ".repeat(MAX_FINDINGS + 10);
        let r = scrub_with(&s, Config::ALL).unwrap();
        assert!(r.text.ends_with("[REDACTED:unscanned]"), "{}", r.text);
        assert_eq!(r.text.matches("…@example.org").count(), MAX_FINDINGS);
        assert!(r.found.secret() && r.found.has(PiiKind::Email));
    }

    #[test]
    fn switches_select_what_is_looked_for() {
        let s = "mail a@example.org with password=Zr8uQ2mV4kLp";
        let only_pii = Config {
            secrets: false,
            pii: PiiSet::ALL,
        };
        assert_eq!(
            scrub_with(s, only_pii).unwrap().text,
            "mail …@example.org with password=Zr8uQ2mV4kLp"
        );
        let only_secrets = Config {
            secrets: true,
            pii: PiiSet::NONE,
        };
        let r = scrub_with(s, only_secrets).unwrap();
        assert_eq!(
            r.text,
            "mail a@example.org with password=[REDACTED:credential]"
        );
        assert_eq!(r.found.names().collect::<Vec<_>>(), ["scan"]);
    }
}
