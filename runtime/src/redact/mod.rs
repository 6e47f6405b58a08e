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

pub use key::{HashKey, KeyError};
pub(crate) use key::{hash_key, install_hash_key, pseudonym};
pub use secret::Secret;
pub use strategy::{RedactIp, RedactLen, RedactText, card, email, first, hash, ip, last, len};

/// What a `#[redact]`ed value is recorded as. It says nothing of the value: not its length, not
/// its shape.
pub const REDACTED: &str = "[REDACTED]";

pub(crate) fn write_redacted(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"\"[REDACTED]\"");
}
