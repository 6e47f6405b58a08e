//! The writer's side of a chain: one per process and output, sealed record by record.
//!
//! A chain has a random id and its own key. The key evolves one way after every `seq`
//! (`K(s+1) = HMAC(K(s), "seclog chain key evolution")`, the old key zeroed), and the record
//! with sequence number `s` is sealed with `K(s)`:
//!
//! ```text
//! {"ts":..,"seq":s,...,"chain":"<id>","mac":"<HMAC-SHA256(K(s), the line up to the chain id)>"}
//! ```
//!
//! so each record verifies on its own, wherever and in whatever order it arrives: a lost
//! record shows as a missing `seq`, not as a broken chain. Whoever takes the writer learns
//! `K(s)` for the next `s` only, which forges nothing written before. The chain's first
//! record, `seclog.chain` at `seq` 0, says how to recover `K(0)`.

use std::time::SystemTime;

use zeroize::Zeroizing;

use hmac::{KeyInit, Mac};

use super::chain::{EVOLVE_LABEL, HmacSha256};
use super::seal::Seal;

/// Random bytes in a chain id (written as twice as many hex digits).
pub const CHAIN_ID_BYTES: usize = 16;

/// A chain's key at one `seq`, with the HMAC keyed by it once: the record's MAC and the next
/// key both start from that keyed state, which saves hashing the key's two padded blocks a
/// second time per record. The keyed state is zeroed on drop (the `zeroize` features).
#[derive(Clone)]
pub(crate) struct KeyAt {
    key: Zeroizing<[u8; 32]>,
    keyed: Option<HmacSha256>,
}

impl KeyAt {
    pub(crate) fn new(key: Zeroizing<[u8; 32]>) -> Self {
        KeyAt { key, keyed: None }
    }

    fn keyed(&mut self) -> &HmacSha256 {
        let key = &self.key;
        self.keyed.get_or_insert_with(|| keyed_by(key))
    }

    /// The MAC of `body` under this key.
    pub(crate) fn mac(&mut self, body: &[u8]) -> [u8; 32] {
        let mut m = self.keyed().clone();
        m.update(body);
        m.finalize().into_bytes().into()
    }

    /// Moves on to the next `seq`'s key, zeroing this one.
    pub(crate) fn evolve(&mut self) {
        let key = &self.key;
        let mut m = self.keyed.take().unwrap_or_else(|| keyed_by(key));
        m.update(EVOLVE_LABEL);
        let next = Zeroizing::new(<[u8; 32]>::from(m.finalize().into_bytes()));
        *self.key = *next;
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    pub(crate) fn into_key(self) -> Zeroizing<[u8; 32]> {
        self.key
    }
}

fn keyed_by(key: &[u8; 32]) -> HmacSha256 {
    <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length")
}

/// Seals records into one chain.
///
/// ```
/// use seclog::integrity::{ChainKey, ChainWriter, Seal};
///
/// let mut chain = ChainWriter::new(&Seal::symmetric(ChainKey::from_bytes([1; 32]))).unwrap();
/// let mut out = Vec::new();
/// chain.seal(br#"{"ts":"2026-12-02T10:00:00.000000000Z","seq":1,"event":"ping"}"#, &mut out);
/// let text = String::from_utf8(out).unwrap();
/// let lines: Vec<&str> = text.lines().collect();
/// assert!(lines[0].contains(r#""event":"seclog.chain""#)); // the chain's first record
/// assert!(lines[1].ends_with("\"}"));
/// assert!(lines[1].contains(&format!(r#","chain":"{}","mac":""#, chain.id())));
/// ```
#[derive(Clone)]
pub struct ChainWriter {
    seal: Seal,
    id: String,
    /// `,"chain":"<id>"`: appended to every record before its MAC.
    suffix: Vec<u8>,
    /// The key of `seq` number `at`.
    key: KeyAt,
    at: u64,
    /// What the first record carries to recover `K(0)`, until that record is written.
    encrypted: Option<Vec<u8>>,
    started: bool,
}

impl ChainWriter {
    /// A new chain: a random id and key from the operating system's generator.
    pub fn new(seal: &Seal) -> Result<Self, String> {
        let mut raw = [0u8; CHAIN_ID_BYTES];
        getrandom::fill(&mut raw).map_err(|e| format!("no randomness for a chain id: {e}"))?;
        let id = super::hex(&raw);
        let (key, encrypted) = seal.start(id.as_bytes())?;
        let mut suffix = b",\"chain\":\"".to_vec();
        suffix.extend_from_slice(id.as_bytes());
        suffix.push(b'"');
        Ok(ChainWriter {
            seal: seal.clone(),
            id,
            suffix,
            key: KeyAt::new(Zeroizing::new(*key.bytes())),
            at: 0,
            encrypted,
            started: false,
        })
    }

    /// The chain's id: 32 hex digits.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the chain's first record has been written.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Appends `record` (one JSON object, without its newline) sealed, with its newline, to
    /// `out`. Before the first record, writes the chain's own first record (`seclog.chain`).
    pub fn seal(&mut self, record: &[u8], out: &mut Vec<u8>) {
        let seq = seq_of(record);
        if !self.started {
            self.started = true;
            let start = self.start_record(record, seq.unwrap_or(self.at));
            self.seal_at(0, &start, out);
        }
        self.seal_at(seq.unwrap_or(self.at), record, out);
    }

    /// Seals every line of `records` (complete JSON lines) into `out`.
    pub fn seal_batch(&mut self, records: &[u8], out: &mut Vec<u8>) {
        out.reserve(records.len() + records.len() / 4 + 512);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', records).chain([records.len()]) {
            if end > start {
                self.seal(&records[start..end], out);
            }
            start = end + 1;
        }
    }

    fn seal_at(&mut self, seq: u64, record: &[u8], out: &mut Vec<u8>) {
        // Records come in `seq` order; one that does not is sealed with the key at hand and
        // fails to verify rather than being lost.
        while self.at < seq {
            self.key.evolve();
            self.at += 1;
        }
        let from = out.len();
        let body = record.strip_suffix(b"}").unwrap_or(record);
        out.extend_from_slice(body);
        out.extend_from_slice(&self.suffix);
        let mac = self.key.mac(&out[from..]);
        out.extend_from_slice(b",\"mac\":\"");
        crate::hex::encode_into(&mac, out);
        out.extend_from_slice(b"\"}\n");
        if self.at == seq {
            self.key.evolve();
            self.at += 1;
        }
    }

    /// The `seclog.chain` record: the same `where` as the first record's, and what recovers
    /// the key.
    fn start_record(&self, first: &[u8], first_seq: u64) -> Vec<u8> {
        let first: serde_json::Value = serde_json::from_slice(first).unwrap_or_default();
        let mut r = Vec::with_capacity(512);
        r.extend_from_slice(b"{\"ts\":\"");
        crate::record::time::write_rfc3339(&mut r, SystemTime::now());
        r.extend_from_slice(
            b"\",\"seq\":0,\"event\":\"seclog.chain\",\"level\":\"INFO\",\"outcome\":\"success\",\"where\":{",
        );
        let mut sep = "";
        for key in ["service", "version", "host", "pid"] {
            if let Some(v) = first.pointer(&format!("/where/{key}")) {
                r.extend_from_slice(format!("{sep}\"{key}\":{v}").as_bytes());
                sep = ",";
            }
        }
        r.extend_from_slice(b"},\"fields\":{\"chain\":\"");
        r.extend_from_slice(self.id.as_bytes());
        r.extend_from_slice(b"\",\"seal\":\"");
        r.extend_from_slice(self.seal.kind().as_bytes());
        r.extend_from_slice(b"\",\"key_id\":\"");
        crate::record::encoder::escape_into(&mut r, self.seal.key_id());
        r.push(b'"');
        if let Some(enc) = &self.encrypted {
            r.extend_from_slice(b",\"encrypted_key\":\"");
            crate::hex::encode_into(enc, &mut r);
            r.push(b'"');
        }
        r.extend_from_slice(b",\"first_seq\":");
        r.extend_from_slice(itoa::Buffer::new().format(first_seq).as_bytes());
        r.extend_from_slice(b",\"clock\":");
        crate::record::clock::write_clock_json(&mut r);
        r.extend_from_slice(b"}}");
        r
    }

    /// A key note for a new file of this chain: the current key, encrypted to the verifier
    /// (public seals only), so that the files after it still verify once older ones are
    /// deleted by retention. `{"seclog_key":{"chain":..,"seq":N,"encrypted_key":..}}`.
    pub fn key_note(&self) -> Option<Vec<u8>> {
        let mut aad = self.id.as_bytes().to_vec();
        aad.push(b':');
        aad.extend_from_slice(itoa::Buffer::new().format(self.at).as_bytes());
        let enc = self.seal.encrypt_current(&aad, self.key.bytes())?;
        let mut note = format!(
            "{{\"seclog_key\":{{\"chain\":\"{}\",\"seq\":{},\"encrypted_key\":\"",
            self.id, self.at
        )
        .into_bytes();
        crate::hex::encode_into(&enc, &mut note);
        note.extend_from_slice(b"\"}}\n");
        Some(note)
    }

    /// The key the writer holds now and the `seq` it is for: what an attacker who takes over
    /// the host learns. Exposed so that tests can show it forges nothing written before.
    #[doc(hidden)]
    pub fn __current_key(&self) -> (u64, [u8; 32]) {
        (self.at, *self.key.bytes())
    }
}

impl std::fmt::Debug for ChainWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainWriter")
            .field("id", &self.id)
            .field("seal", &self.seal)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// The `"seq":N` near the start of a record, if present.
pub(crate) fn seq_of(record: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"\"seq\":";
    let head = &record[..record.len().min(96)];
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(KEY));
    let at = FINDER.find(head)? + KEY.len();
    let digits = record[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 19 {
        return None;
    }
    record[at..at + digits].iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}
