//! How a chain's key is kept: encrypted to the verifier's public key (HPKE, RFC 9180), or
//! derived from a symmetric key both sides hold.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::ChainKey;

type Kem = X25519HkdfSha256;
type PublicKey = <Kem as hpke::Kem>::PublicKey;
type PrivateKey = <Kem as hpke::Kem>::PrivateKey;
type EncappedKey = <Kem as hpke::Kem>::EncappedKey;

/// The HPKE `info` of every chain key: binds the ciphertext to this use.
const INFO: &[u8] = b"seclog chain key v1";
/// The label of a chain key derived from a symmetric key.
const DERIVE_LABEL: &[u8] = b"seclog chain key v1";
/// The text form of a verifier's public key starts with this.
const PUBLIC_PREFIX: &str = "seclog-verifier-x25519:";
/// The text form of a verifier's private key starts with this.
const SECRET_PREFIX: &str = "seclog-verifier-secret-x25519:";
/// An encapsulated X25519 key (32 bytes) followed by the sealed chain key (32 + 16 tag).
const ENCRYPTED_LEN: usize = 32 + 32 + 16;

/// The verifier's public key: what writers seal each chain's key to. It is no secret: put it
/// in plain configuration (`SECLOG_SEAL_TO`).
///
/// Its text form is one line, `seclog-verifier-x25519:<64 hex digits>`, as
/// `seclog keygen --verifier` prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    key: PublicKey,
    id: String,
}

impl VerifierKey {
    /// Reads the text form (surrounding whitespace ignored).
    pub fn from_text(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let hex = text.strip_prefix(PUBLIC_PREFIX).ok_or_else(|| {
            format!("a verifier public key starts with {PUBLIC_PREFIX} (as `seclog keygen --verifier` prints it)")
        })?;
        let bytes = crate::hex::decode32(hex.as_bytes())
            .ok_or("a verifier public key has 64 hex digits after its prefix")?;
        let key = PublicKey::from_bytes(&bytes).map_err(|e| format!("not a public key: {e}"))?;
        Ok(VerifierKey::from_key(key))
    }

    fn from_key(key: PublicKey) -> Self {
        let id = super::hex(&Sha256::digest(key.to_bytes())[..4]);
        VerifierKey { key, id }
    }

    /// The text form: `seclog-verifier-x25519:<64 hex digits>`.
    pub fn to_text(&self) -> String {
        format!("{PUBLIC_PREFIX}{}", super::hex(&self.key.to_bytes()))
    }

    /// The key's id: 8 hex digits of its SHA-256, recorded as `key_id` in each chain it seals.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierKey").field("id", &self.id).finish()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl std::str::FromStr for VerifierKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        VerifierKey::from_text(s)
    }
}

/// The verifier's private key: opens the chain keys sealed to its [`VerifierKey`]. Keep it
/// where records are verified, never on the writers.
///
/// Its file form (`seclog keygen --verifier --out FILE`) is two lines: the private key
/// (`seclog-verifier-secret-x25519:<64 hex digits>`) and the public key. It never appears in
/// `Debug` output and is zeroed when dropped.
pub struct VerifierSecret {
    key: PrivateKey,
    public: VerifierKey,
}

impl VerifierSecret {
    /// A new key pair from the operating system's generator.
    pub fn generate() -> Self {
        let (key, public) = Kem::gen_keypair();
        VerifierSecret {
            key,
            public: VerifierKey::from_key(public),
        }
    }

    /// The public half, to give to the writers.
    pub fn public(&self) -> &VerifierKey {
        &self.public
    }

    /// The file form: the private key line, then the public key line.
    pub fn to_text(&self) -> Zeroizing<String> {
        let secret = Zeroizing::new(super::hex(&self.key.to_bytes()));
        Zeroizing::new(format!(
            "{SECRET_PREFIX}{}\n{}\n",
            secret.as_str(),
            self.public.to_text()
        ))
    }

    /// Reads the file form: the line that starts `seclog-verifier-secret-x25519:` (other lines,
    /// such as the public key, are ignored). `None` when there is no such line.
    pub fn from_text(text: &str) -> Option<Result<Self, String>> {
        let line = text
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(SECRET_PREFIX))?;
        let bytes = match crate::hex::decode32(line.as_bytes()) {
            Some(b) => Zeroizing::new(b),
            None => {
                return Some(Err(
                    "a verifier private key has 64 hex digits after its prefix".into(),
                ));
            }
        };
        Some(
            PrivateKey::from_bytes(&bytes[..])
                .map_err(|e| format!("not a private key: {e}"))
                .map(|key| {
                    let public = VerifierKey::from_key(Kem::sk_to_pk(&key));
                    VerifierSecret { key, public }
                }),
        )
    }

    /// Opens a chain key sealed by [`Seal::to`] for `chain` (hex id): `None` if it was sealed
    /// to another key, for another chain, or changed.
    pub(crate) fn open(&self, chain: &[u8], encrypted: &[u8]) -> Option<ChainKey> {
        if encrypted.len() != ENCRYPTED_LEN {
            return None;
        }
        let (enc, sealed) = encrypted.split_at(32);
        let enc = EncappedKey::from_bytes(enc).ok()?;
        let plain = Zeroizing::new(
            hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
                &OpModeR::Base,
                &self.key,
                &enc,
                INFO,
                sealed,
                chain,
            )
            .ok()?,
        );
        let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
        Some(ChainKey::from_bytes(bytes))
    }
}

impl fmt::Debug for VerifierSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierSecret")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// How the chains a process writes are sealed. Set with [`crate::Builder::seal`], or from the
/// environment (`SECLOG_SEAL_TO`, `SECLOG_KEY_FILE`).
///
/// Each chain gets its own key. With [`Seal::to`], the fleet's default, it is random and
/// travels in the chain's first record encrypted to the verifier's public key: the writer
/// holds no secret beyond the evolving key of its own chain, so taking one host forges
/// neither another host's chain nor anything its own chain wrote before. With
/// [`Seal::symmetric`], it is derived from a key the writer and the verifier share.
///
/// ```
/// use seclog::integrity::{Seal, VerifierSecret};
///
/// let verifier = VerifierSecret::generate(); // kept by the verifier
/// let seal = Seal::to(verifier.public().clone()); // all the writers need
/// # drop(seal);
/// ```
#[derive(Clone)]
pub struct Seal {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    To(VerifierKey),
    Symmetric(ChainKey),
}

impl Seal {
    /// Chain keys encrypted to the verifier's public key.
    pub fn to(verifier: VerifierKey) -> Self {
        Seal {
            kind: Kind::To(verifier),
        }
    }

    /// Chain keys derived from `key`, which the verifier holds too.
    pub fn symmetric(key: ChainKey) -> Self {
        Seal {
            kind: Kind::Symmetric(key),
        }
    }

    /// `public` or `symmetric`, as recorded in `fields.seal` of `seclog.chain`.
    pub fn kind(&self) -> &'static str {
        match self.kind {
            Kind::To(_) => "public",
            Kind::Symmetric(_) => "symmetric",
        }
    }

    /// The id of the verifier's public key or of the symmetric key.
    pub fn key_id(&self) -> &str {
        match &self.kind {
            Kind::To(k) => k.id(),
            Kind::Symmetric(k) => k.id(),
        }
    }

    /// A new chain's key, and what the chain's first record carries to recover it (the
    /// encrypted key; nothing for a symmetric seal). `chain` is the chain's hex id.
    pub(crate) fn start(&self, chain: &[u8]) -> Result<(ChainKey, Option<Vec<u8>>), String> {
        match &self.kind {
            Kind::Symmetric(master) => Ok((derive(master, chain), None)),
            Kind::To(verifier) => {
                let key = ChainKey::generate().map_err(|e| e.to_string())?;
                let encrypted = encrypt(verifier, chain, key.bytes())?;
                Ok((key, Some(encrypted)))
            }
        }
    }

    /// `key` (a chain's current key) encrypted for `chain`, for a public seal.
    pub(crate) fn encrypt_current(&self, chain: &[u8], key: &[u8; 32]) -> Option<Vec<u8>> {
        match &self.kind {
            Kind::To(verifier) => encrypt(verifier, chain, key).ok(),
            Kind::Symmetric(_) => None,
        }
    }
}

impl From<ChainKey> for Seal {
    fn from(key: ChainKey) -> Self {
        Seal::symmetric(key)
    }
}

impl From<VerifierKey> for Seal {
    fn from(key: VerifierKey) -> Self {
        Seal::to(key)
    }
}

fn encrypt(verifier: &VerifierKey, aad: &[u8], key: &[u8; 32]) -> Result<Vec<u8>, String> {
    let (enc, sealed) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &verifier.key,
        INFO,
        key,
        aad,
    )
    .map_err(|e| format!("cannot seal the chain key: {e}"))?;
    let mut out = enc.to_bytes().to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

impl fmt::Debug for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seal")
            .field("kind", &self.kind())
            .field("key_id", &self.key_id())
            .finish()
    }
}

/// The key of chain `chain` (hex id) under the symmetric key `master`.
pub(crate) fn derive(master: &ChainKey, chain: &[u8]) -> ChainKey {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(master.bytes()).expect("HMAC takes any key");
    mac.update(DERIVE_LABEL);
    mac.update(chain);
    let bytes = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
    ChainKey::from_bytes(*bytes)
}

/// What a verifier holds: private keys for public seals, symmetric keys, or both.
#[derive(Debug, Default)]
pub struct Keys {
    secrets: Vec<VerifierSecret>,
    symmetric: Vec<ChainKey>,
}

impl Keys {
    /// No keys yet.
    pub fn new() -> Self {
        Keys::default()
    }

    /// Adds a verifier's private key.
    pub fn with_secret(mut self, secret: VerifierSecret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// Adds every key `other` holds.
    pub fn merge(mut self, other: Keys) -> Self {
        self.secrets.extend(other.secrets);
        self.symmetric.extend(other.symmetric);
        self
    }

    /// Adds a symmetric key.
    pub fn with_symmetric(mut self, key: ChainKey) -> Self {
        self.symmetric.push(key);
        self
    }

    /// Reads a key file: a verifier's private key (as `seclog keygen --verifier` writes it) or
    /// a symmetric key (64 hex digits, as `seclog keygen` writes it).
    pub fn from_text(text: &str) -> Result<Self, String> {
        if let Some(secret) = VerifierSecret::from_text(text) {
            return Ok(Keys::new().with_secret(secret?));
        }
        if text.trim().starts_with(PUBLIC_PREFIX) {
            return Err("this is a verifier's public key: verifying needs the private key file that `seclog keygen --verifier --out FILE` wrote".into());
        }
        ChainKey::from_hex(text)
            .map(|k| Keys::new().with_symmetric(k))
            .ok_or_else(|| {
                "expected a verifier private key (seclog keygen --verifier) or a symmetric key (64 hex digits)".into()
            })
    }

    /// The symmetric keys held.
    pub fn symmetric(&self) -> &[ChainKey] {
        &self.symmetric
    }

    /// The ids of every key held, for messages.
    pub fn ids(&self) -> Vec<String> {
        self.secrets
            .iter()
            .map(|s| s.public.id().to_owned())
            .chain(self.symmetric.iter().map(|k| k.id().to_owned()))
            .collect()
    }

    /// A key from a file sink's key note, sealed for `aad` (`<chain>:<seq>`).
    pub(crate) fn open_note(&self, aad: &[u8], encrypted: &[u8]) -> Option<ChainKey> {
        self.secrets.iter().find_map(|s| s.open(aad, encrypted))
    }

    /// The key of `chain` from what its first record says: `None` when no key held opens it.
    pub(crate) fn chain_key(
        &self,
        seal: &str,
        key_id: &str,
        chain: &[u8],
        encrypted: Option<&[u8]>,
    ) -> Option<ChainKey> {
        match seal {
            "public" => {
                let encrypted = encrypted?;
                self.secrets
                    .iter()
                    .filter(|s| s.public.id() == key_id)
                    .find_map(|s| s.open(chain, encrypted))
            }
            "symmetric" => self
                .symmetric
                .iter()
                .find(|k| k.id() == key_id)
                .map(|k| derive(k, chain)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip_and_keep_the_secret_out_of_debug() {
        let secret = VerifierSecret::generate();
        let text = secret.to_text();
        let back = VerifierSecret::from_text(&text).unwrap().unwrap();
        assert_eq!(back.public(), secret.public());
        let public = VerifierKey::from_text(&secret.public().to_text()).unwrap();
        assert_eq!(&public, secret.public());
        let hex = text
            .lines()
            .next()
            .unwrap()
            .trim_start_matches(SECRET_PREFIX);
        assert!(!format!("{secret:?}").contains(hex));
        assert!(!format!("{:?}", Seal::to(public)).contains(hex));
        assert!(VerifierKey::from_text("seclog-verifier-x25519:12").is_err());
        assert!(VerifierKey::from_text("nonsense").is_err());
    }

    #[test]
    fn a_sealed_chain_key_opens_only_for_its_verifier_and_chain() {
        let verifier = VerifierSecret::generate();
        let other = VerifierSecret::generate();
        let seal = Seal::to(verifier.public().clone());
        let (key, encrypted) = seal.start(b"00aa").unwrap();
        let encrypted = encrypted.unwrap();
        assert_eq!(
            verifier.open(b"00aa", &encrypted).unwrap().bytes(),
            key.bytes()
        );
        assert!(other.open(b"00aa", &encrypted).is_none());
        assert!(verifier.open(b"00ab", &encrypted).is_none());
        let mut changed = encrypted.clone();
        changed[40] ^= 1;
        assert!(verifier.open(b"00aa", &changed).is_none());
    }

    #[test]
    fn symmetric_chain_keys_differ_per_chain() {
        let master = ChainKey::from_bytes([7; 32]);
        let seal = Seal::symmetric(master.clone());
        let (a, none) = seal.start(b"01").unwrap();
        assert!(none.is_none());
        let (b, _) = seal.start(b"02").unwrap();
        assert_ne!(a.bytes(), b.bytes());
        let keys = Keys::new().with_symmetric(master.clone());
        let found = keys
            .chain_key("symmetric", master.id(), b"01", None)
            .unwrap();
        assert_eq!(found.bytes(), a.bytes());
    }
}
