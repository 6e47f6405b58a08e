//! Tamper evidence: a forward-secure MAC chain over records.
//!
//! Each record line carries a MAC — HMAC-SHA256 over the previous record's MAC and the
//! record's own bytes — so that changing, deleting, inserting or reordering a record breaks
//! the chain. The MAC key evolves one way every [`EPOCH_RECORDS`] records
//! (`K(n+1) = HMAC(K(n), "seclog chain key evolution")`) and the previous key is zeroed: an
//! attacker who takes over the writer learns the current key only, which cannot re-forge
//! anything written before. The verifier holds only the initial key and derives the rest.
//!
//! A sealed line is the record with `"mac"` added as its last key:
//! `{"ts":..,"seq":7,...,"mac":"<64 hex>"}`.

mod chain;
mod checkpoint;
mod verify;

pub(crate) use chain::mac_of;
pub use chain::{EPOCH_RECORDS, Sealer, Tamper, TamperKind, Verifier};
pub use checkpoint::Checkpoint;
pub(crate) use verify::parse_header;
pub use verify::{
    EndState, Failure, LogEnd, Report, log_end, log_files, verify_dir, verify_files,
    verify_files_against,
};

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The initial key of a chain: 32 random bytes, kept off the host when possible (the
/// verifier needs it; the writer only needs it at start-up).
///
/// Its id (the first 8 hex digits of its SHA-256) names it in keys files and checkpoints; the
/// key itself never appears in `Debug` output and is zeroed when dropped.
#[derive(Clone)]
pub struct ChainKey {
    key: Zeroizing<[u8; 32]>,
    id: String,
}

impl ChainKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut key[..])?;
        Ok(Self::from_bytes(*key))
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let key = Zeroizing::new(bytes);
        let id = hex(&Sha256::digest(&key[..])[..4]);
        ChainKey { key, id }
    }

    /// A key written as 64 hex digits (surrounding whitespace ignored), as in a key file.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = Zeroizing::new(crate::hex::decode32(text.trim().as_bytes())?);
        Some(Self::from_bytes(*bytes))
    }

    /// The key as 64 hex digits, for writing a key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex(&self.key[..]))
    }

    /// The key's public id: 8 hex digits.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.key
    }
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

pub(crate) use crate::hex::encode as hex;
