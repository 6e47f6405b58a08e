//! Tamper evidence: records sealed into forward-secure chains, and their verification.
//!
//! Every output of a process can be sealed ([`crate::Builder::seal`], `SECLOG_SEAL_TO`,
//! `SECLOG_KEY_FILE`): the process starts its own **chain** with a random id and key
//! ([`ChainWriter`]), and each line becomes the record with `"chain"` and `"mac"` as its last
//! keys:
//!
//! ```text
//! {"ts":..,"seq":7,...,"chain":"<32 hex>","mac":"<64 hex>"}
//! ```
//!
//! The MAC of the record with sequence number `s` is HMAC-SHA256 under the chain's key of
//! `s`, which evolves one way after every record, the old key zeroed: whoever takes the
//! writer learns the key of the next record only, which forges nothing written before.
//! Each record verifies on its own, so records verify wherever they went and in whatever
//! order they arrive: [`verify_archive`] groups them by chain, orders them by `seq`, counts
//! duplicates, and names what is missing or changed.
//!
//! The chain's first record, `seclog.chain` (`seq` 0), says how to recover its key:
//! - [`Seal::to`] a [`VerifierKey`]: the key is random and travels encrypted to the
//!   verifier's public key (HPKE, RFC 9180: X25519, HKDF-SHA256, ChaCha20-Poly1305, bound to
//!   the chain id). Writers hold no secret; the verifier holds the [`VerifierSecret`].
//! - [`Seal::symmetric`] a [`ChainKey`]: the chain's key is derived from it and the chain id.
//!
//! Files written by earlier versions of the file sink (a `seclog_file` header on each file, one
//! chain across files and restarts) still verify with [`verify_dir`]: [`Sealer`] and
//! [`Verifier`] are that format.

mod archive;
mod chain;
mod checkpoint;
mod seal;
mod stream;
mod verify;

pub(crate) use archive::split_sealed;
pub use archive::{
    ArchiveOptions, ArchiveReport, ChainProblem, ChainReport, Location, Source, checkpoint_problem,
    record_in, verify_archive,
};
pub use seal::{Keys, Seal, VerifierKey, VerifierSecret};
pub(crate) use stream::seq_of;
pub use stream::{CHAIN_ID_BYTES, ChainWriter};

pub use chain::{EPOCH_RECORDS, Sealer, Tamper, TamperKind, Verifier};
pub use checkpoint::Checkpoint;
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
