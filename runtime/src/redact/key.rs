//! The key of keyed pseudonyms.

use std::fmt;
use std::sync::{LazyLock, OnceLock};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::REDACTED;

/// A secret key for keyed pseudonyms (`hmac:<key id>:<hex>`): equal values give equal
/// pseudonyms under one key, so records can be correlated without holding the value.
///
/// The key never appears in `Debug` output or records; its id (the first 8 hex digits of its
/// SHA-256) says which key made a pseudonym. The key bytes are zeroed when dropped.
#[derive(Clone)]
pub struct HashKey {
    key: Zeroizing<Vec<u8>>,
    id: String,
}

impl HashKey {
    /// The shortest key accepted, in bytes.
    pub const MIN_LEN: usize = 32;

    /// A key from raw bytes (at least [`MIN_LEN`](Self::MIN_LEN) of them, from a CSPRNG).
    pub fn new(key: impl Into<Vec<u8>>) -> Result<Self, KeyError> {
        let key = Zeroizing::new(key.into());
        if key.len() < Self::MIN_LEN {
            return Err(KeyError::TooShort(key.len()));
        }
        let digest = Sha256::digest(&key[..]);
        let id = crate::hex::encode(&digest[..4]);
        Ok(HashKey { key, id })
    }

    /// A key written as hex digits (surrounding whitespace ignored), as in a key file.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = crate::hex::decode(text.trim().as_bytes()).ok_or(KeyError::NotHex)?;
        HashKey::new(bytes)
    }

    /// A key read from a file holding it in hex, as `seclog keygen` writes it. The error says
    /// why, without the file's content.
    pub(crate) fn read_file(path: &str) -> Result<Self, String> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?,
        );
        HashKey::from_hex(&text).map_err(|e| e.to_string())
    }

    /// The key's public id: 8 hex digits.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `hmac:<key id>:<hex>` of `value`: HMAC-SHA256, truncated to 128 bits (32 hex digits).
    pub fn pseudonym(&self, value: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(value);
        let tag = mac.finalize().into_bytes();
        format!("hmac:{}:{}", self.id, crate::hex::encode(&tag[..16]))
    }
}

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why a [`HashKey`] was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Fewer than [`HashKey::MIN_LEN`] bytes.
    TooShort(usize),
    /// Not an even number of hex digits.
    NotHex,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::TooShort(n) => write!(
                f,
                "the key has {n} bytes; at least {} are needed",
                HashKey::MIN_LEN
            ),
            KeyError::NotHex => f.write_str("the key is not written as hex digits"),
        }
    }
}

impl std::error::Error for KeyError {}

/// The key of the installed set-up (`None` inside: it has none).
static INSTALLED: OnceLock<Option<HashKey>> = OnceLock::new();

/// Without set-up, the key of the file `SECLOG_HASH_KEY_FILE` names, read at first use.
static FROM_ENV: LazyLock<Option<HashKey>> = LazyLock::new(|| {
    let path = std::env::var("SECLOG_HASH_KEY_FILE").ok()?;
    HashKey::read_file(&path)
        .map_err(|e| eprintln!("seclog: SECLOG_HASH_KEY_FILE={path}: {e}; no pseudonym key"))
        .ok()
});

/// Makes `key` the key of every pseudonym from now on: the set-up calls it when installed.
pub(crate) fn install_hash_key(key: Option<HashKey>) {
    let _ = INSTALLED.set(key);
}

/// The configured key: the installed set-up's, else the environment's.
pub(crate) fn hash_key() -> Option<&'static HashKey> {
    match INSTALLED.get() {
        Some(installed) => installed.as_ref(),
        None => FROM_ENV.as_ref(),
    }
}

/// The pseudonym of `raw` under the configured key, or [`REDACTED`] when none is configured:
/// never an unkeyed hash, which a dictionary reverses for low-entropy values.
pub(crate) fn pseudonym(raw: &str) -> String {
    match hash_key() {
        Some(key) => key.pseudonym(raw.as_bytes()),
        None => REDACTED.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_stable_and_hide_the_key() {
        let a = HashKey::new([7u8; 32]).unwrap();
        let b = HashKey::new([8u8; 32]).unwrap();
        assert_eq!(a.pseudonym(b"s-1"), a.pseudonym(b"s-1"));
        assert_ne!(a.pseudonym(b"s-1"), a.pseudonym(b"s-2"));
        assert_ne!(a.pseudonym(b"s-1"), b.pseudonym(b"s-1"));
        let p = a.pseudonym(b"s-1");
        assert!(p.starts_with(&format!("hmac:{}:", a.id())));
        assert_eq!(p.len(), "hmac:".len() + 8 + 1 + 32);
        let debug = format!("{a:?}");
        assert!(!debug.contains("7, 7"), "{debug}");
        assert_eq!(HashKey::new([1u8; 8]).unwrap_err(), KeyError::TooShort(8));
        assert_eq!(HashKey::from_hex("zz").unwrap_err(), KeyError::NotHex);
        assert_eq!(HashKey::from_hex(&"07".repeat(32)).unwrap().id(), a.id());
    }
}
