//! Redaction: what a withheld value is recorded as.
//!
//! | attribute | recorded as | e.g. for `"4111 1111 1111 1111"` |
//! |---|---|---|
//! | `#[redact]` | `"[REDACTED]"`: nothing of the value, not even its length | `"[REDACTED]"` |
//! | `#[redact(hash)]` | a keyed pseudonym `"hmac:<key id>:<32 hex>"` (see [`HashKey`]) | `"hmac:1a2b3c4d:…"` |
//! | `#[redact(last = N)]` | the last N characters, at most a quarter of the value | `"…1111"` (N = 4) |
//! | `#[redact(first = N)]` | the first N characters, at most a quarter of the value | `"4111…"` (N = 4) |
//! | `#[redact(email)]` | the domain of an e-mail address | `"…@example.com"` |
//! | `#[redact(ip)]` | the network: IPv4 /24, IPv6 /48 | `"203.0.113.0/24"` |
//! | `#[redact(card)]` | first 6 and last 4 digits of a Luhn-valid card number (what PCI DSS allows) | `"411111…1111"` |
//! | `#[redact(len)]` | the length in characters only | `"[REDACTED:len=19]"` |
//! | `#[redact(with = path)]` | what `path(&value) -> String` returns | |
//!
//! A value a strategy cannot apply to (an `ip` that is not an address, a `card` that is not a
//! Luhn-valid number, a value too short to keep any of it) is recorded as `"[REDACTED]"`.
//! A strategy on a type it cannot handle does not compile.

mod key;
pub mod scanner;
mod secret;
mod strategy;

pub(crate) use key::pseudonym;
pub use key::{HashKey, KeyError};
pub use secret::Secret;
pub use strategy::{RedactIp, RedactLen, RedactText, card, email, first, hash, ip, last, len};

/// What a `#[redact]`ed value is recorded as. It says nothing of the value: not its length, not
/// its shape.
pub const REDACTED: &str = "[REDACTED]";

pub(crate) fn write_redacted(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"\"[REDACTED]\"");
}

/// What generated code calls for `#[redact(strategy)]`. Not public API.
#[doc(hidden)]
pub mod strategy_writers {
    use std::fmt::Display;

    use super::{RedactIp, RedactLen, RedactText};
    use crate::encoder::Encoder;

    pub use super::strategy::{card, email, first, hash, last};

    /// A text mask (`hash`, `email`, `card`), listed in the manifest as `how`; `null` for an
    /// absent value.
    pub fn text<T: RedactText + ?Sized>(
        out: &mut Encoder<'_>,
        value: &T,
        how: &'static str,
        mask: fn(&str) -> String,
    ) {
        match value.redact_text() {
            Some(s) => {
                out.note_redaction(how);
                out.raw_str(&mask(s));
            }
            None => out.null(),
        }
    }

    /// A text mask with a count (`first = N`, `last = N`).
    pub fn text_n<T: RedactText + ?Sized>(
        out: &mut Encoder<'_>,
        value: &T,
        n: usize,
        how: &'static str,
        mask: fn(&str, usize) -> String,
    ) {
        match value.redact_text() {
            Some(s) => {
                out.note_redaction(how);
                out.raw_str(&mask(s, n));
            }
            None => out.null(),
        }
    }

    /// `#[redact(ip)]`.
    pub fn ip<T: RedactIp + ?Sized>(out: &mut Encoder<'_>, value: &T) {
        match value.redact_ip() {
            Some(s) => {
                out.note_redaction("ip");
                out.raw_str(&s);
            }
            None => out.null(),
        }
    }

    /// `#[redact(len)]`.
    pub fn len<T: RedactLen + ?Sized>(out: &mut Encoder<'_>, value: &T) {
        out.note_redaction("len");
        out.raw_str(&super::len(value.redact_len()));
    }

    /// `#[redact(with = path)]`.
    pub fn with<T: ?Sized, R: Display>(out: &mut Encoder<'_>, value: &T, f: impl FnOnce(&T) -> R) {
        out.note_redaction("with");
        out.display(&f(value))
    }
}
