//! How redacted values are written: the writers `#[redact(strategy)]` expands to, and
//! [`Loggable`] for the secret wrappers. What a value becomes is decided in [`crate::redact`];
//! these put the result into the record and list it in the manifest.

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};

use super::encoder::Encoder;
use super::invocation::{Callsite, CallsiteMeta, Invocation};
use super::level::Level;
use super::loggable::Loggable;
use crate::redact::{RedactIp, RedactLen, RedactText, Secret};

pub use crate::redact::{card, email, first, last};

impl<T> Loggable for Secret<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.redacted()
    }
}

/// Recorded as `"[REDACTED]"`.
#[cfg(feature = "secrecy")]
impl<T: secrecy::zeroize::Zeroize + ?Sized> Loggable for secrecy::SecretBox<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.redacted()
    }
}

/// [`crate::redact::hash`], recording a `seclog.hash_key_missing` warning the first time it is
/// used with no key configured.
pub fn hash(value: &str) -> String {
    if crate::redact::hash_key().is_none() {
        static WARNED: AtomicBool = AtomicBool::new(false);
        if !WARNED.swap(true, Ordering::Relaxed) {
            warn_hash_key_missing();
        }
    }
    crate::redact::hash(value)
}

#[cold]
fn warn_hash_key_missing() {
    static CALLSITE: Callsite = Callsite::new(CallsiteMeta {
        fn_path: module_path!(),
        file: file!(),
        line: line!(),
        events: ["seclog.hash_key_missing"; 4],
        levels: [Level::Warn, Level::Warn, Level::Error, Level::Warn],
        mandatory: false,
    });
    let mut inv = Invocation::start(&CALLSITE);
    inv.field(
        "\"reason\":",
        "no hash key is configured (SECLOG_HASH_KEY_FILE or Builder::hash_key): #[redact(hash)] values are fully redacted",
    );
    inv.finish_success();
}

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
    out.raw_str(&crate::redact::len(value.redact_len()));
}

/// `#[redact(with = path)]`.
pub fn with<T: ?Sized, R: Display>(out: &mut Encoder<'_>, value: &T, f: impl FnOnce(&T) -> R) {
    out.note_redaction("with");
    out.display(&f(value))
}
