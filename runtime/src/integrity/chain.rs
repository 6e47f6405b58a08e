//! Sealing records into the chain, and verifying a chain.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::ChainKey;

/// Records per key epoch: the key evolves after this many records.
pub const EPOCH_RECORDS: u64 = 1024;

pub(super) const EVOLVE_LABEL: &[u8] = b"seclog chain key evolution";

pub(super) type HmacSha256 = Hmac<Sha256>;

pub(super) fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// The key of one epoch; evolving it replaces (and zeroes) the previous one.
#[derive(Clone)]
struct EpochKey {
    epoch: u64,
    key: Zeroizing<[u8; 32]>,
    /// HMAC already keyed with `key`: a record's MAC starts from a copy of it instead of
    /// hashing the key's two padded blocks again. Zeroed on drop (sha2's `zeroize`).
    keyed: HmacSha256,
}

impl EpochKey {
    fn initial(key: &ChainKey) -> Self {
        EpochKey::from_bytes(0, *key.bytes())
    }

    fn from_bytes(epoch: u64, key: [u8; 32]) -> Self {
        let keyed =
            <HmacSha256 as KeyInit>::new_from_slice(&key).expect("HMAC takes any key length");
        EpochKey {
            epoch,
            key: Zeroizing::new(key),
            keyed,
        }
    }

    fn evolve(&mut self) {
        let next = Zeroizing::new(hmac(&self.key, &[EVOLVE_LABEL]));
        // Replacing drops the old key and keyed state, which zeroes them.
        *self = EpochKey::from_bytes(self.epoch + 1, *next);
    }

    /// The MAC of `prev` followed by `body` under this epoch's key.
    fn mac(&self, prev: &[u8; 32], body: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(prev);
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    /// Moves forward to `epoch` (never back: the old keys are gone).
    fn advance_to(&mut self, epoch: u64) {
        while self.epoch < epoch {
            self.evolve();
        }
    }
}

/// Checks `lines` as the chain's lines `first..` following `anchor`, and returns the last
/// MAC if every one verifies: the fast path of verification, which needs no order between
/// runs (each line's predecessor MAC is in the line before it), so runs can be checked in
/// parallel. A failure is then classified by the sequential [`Verifier`].
pub(crate) fn check_run(
    key: &ChainKey,
    first: u64,
    anchor: [u8; 32],
    lines: &[&[u8]],
) -> Option<[u8; 32]> {
    let mut k = EpochKey::initial(key);
    let mut prev = anchor;
    for (i, line) in (first..).zip(lines) {
        k.advance_to(i / EPOCH_RECORDS);
        let (body, mac) = split_mac(line)?;
        if !bool::from(k.mac(&prev, body).ct_eq(&mac)) {
            return None;
        }
        prev = mac;
    }
    Some(prev)
}

/// The writer's side: seals each record into the chain.
///
/// Cloning keeps a copy of the current key: the file sink clones it only for the length of
/// one batch, to roll back a batch the disk refused.
#[derive(Clone)]
pub struct Sealer {
    key: EpochKey,
    prev: [u8; 32],
    index: u64,
}

impl Sealer {
    /// A new chain from the initial key; `anchor` is the MAC the first record chains to (the
    /// last MAC of the previous file, or zeros for a new log).
    pub fn new(key: &ChainKey, anchor: [u8; 32]) -> Self {
        Sealer {
            key: EpochKey::initial(key),
            prev: anchor,
            index: 0,
        }
    }

    /// A chain going on from `anchor`, the MAC of record number `index` (counted from 0): the
    /// key is derived forward to that record's epoch.
    pub fn resume(key: &ChainKey, anchor: [u8; 32], index: u64) -> Self {
        let mut k = EpochKey::initial(key);
        k.advance_to(index / EPOCH_RECORDS);
        Sealer {
            key: k,
            prev: anchor,
            index,
        }
    }

    /// Appends `record` (one JSON object, without its newline) sealed, with its newline, to
    /// `out`; returns the record's MAC.
    pub fn seal(&mut self, record: &[u8], out: &mut Vec<u8>) -> [u8; 32] {
        let body = record.strip_suffix(b"}").unwrap_or(record);
        let mac = self.key.mac(&self.prev, body);
        out.extend_from_slice(body);
        out.extend_from_slice(b",\"mac\":\"");
        crate::hex::encode_into(&mac, out);
        out.extend_from_slice(b"\"}\n");
        self.prev = mac;
        self.index += 1;
        if self.index.is_multiple_of(EPOCH_RECORDS) {
            self.key.evolve();
        }
        mac
    }

    /// The MAC of the last record sealed: the chain head.
    pub fn head(&self) -> [u8; 32] {
        self.prev
    }

    /// How many records were sealed.
    pub fn count(&self) -> u64 {
        self.index
    }

    /// The key material the writer holds now: what an attacker who takes over the host
    /// learns. Exposed so that tests can show it forges nothing written before.
    #[doc(hidden)]
    pub fn __current_key(&self) -> (u64, [u8; 32]) {
        (self.key.epoch, *self.key.key)
    }
}

/// What is wrong with a chain, at the first failing line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tamper {
    /// The line (1-based) where the chain breaks.
    pub line: u64,
    /// What the break looks like.
    pub kind: TamperKind,
}

/// How a chain is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TamperKind {
    /// A record's bytes were changed (its sequence number is the expected one).
    Modified,
    /// Records are missing: the sequence number jumps ahead.
    Deleted,
    /// A record that does not belong to the chain stands here (a duplicate or a forgery).
    Inserted,
    /// A record from elsewhere in the chain stands here.
    Reordered,
    /// The line is not a sealed record.
    Malformed,
    /// Not one record verifies: the log was sealed with another key.
    BadKey,
    /// A file does not continue the chain where the previous one ended: a file is missing.
    MissingFile,
    /// The log ends before a checkpoint kept elsewhere: records were cut from its end.
    Truncated,
    /// A second, different first record for a chain id: the chain id seen with two keys.
    Forged,
    /// The chain's first record (`seclog.chain`) is gone: nothing tells where it began.
    NoStart,
}

impl TamperKind {
    /// A short name: `modified`, `deleted`, `inserted`, `reordered`, `malformed`, `bad key`,
    /// `missing file`, `truncated`, `forged`, `no start`.
    pub fn as_str(self) -> &'static str {
        match self {
            TamperKind::Modified => "modified",
            TamperKind::Deleted => "deleted",
            TamperKind::Inserted => "inserted",
            TamperKind::Reordered => "reordered",
            TamperKind::Malformed => "malformed",
            TamperKind::BadKey => "bad key",
            TamperKind::MissingFile => "missing file",
            TamperKind::Truncated => "truncated",
            TamperKind::Forged => "forged",
            TamperKind::NoStart => "no start",
        }
    }
}

impl std::fmt::Display for TamperKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verifier's side: checks lines in order against the initial key.
#[derive(Clone)]
pub struct Verifier {
    key: EpochKey,
    prev: [u8; 32],
    index: u64,
    last_seq: Option<u64>,
    seen_seqs: std::collections::HashSet<u64>,
}

impl Verifier {
    /// A verifier for a chain anchored at `anchor` (zeros for a new log).
    pub fn new(key: &ChainKey, anchor: [u8; 32]) -> Self {
        Verifier {
            key: EpochKey::initial(key),
            prev: anchor,
            index: 0,
            last_seq: None,
            seen_seqs: Default::default(),
        }
    }

    /// A verifier for a chain going on from `anchor` after `index` records (a log whose start
    /// was deleted by retention).
    pub fn resume(key: &ChainKey, anchor: [u8; 32], index: u64) -> Self {
        let mut v = Verifier::new(key, anchor);
        v.index = index;
        v
    }

    /// The MAC of the last line verified.
    pub fn head(&self) -> [u8; 32] {
        self.prev
    }

    /// Checks the next line (without its newline).
    pub fn check(&mut self, line: &[u8]) -> Result<(), TamperKind> {
        let Some((body, mac)) = split_mac(line) else {
            // A sealed record whose seal was damaged was modified; anything else is no record.
            let sealed = line.windows(7).any(|w| w == b"\"mac\":\"");
            return Err(if sealed {
                TamperKind::Modified
            } else {
                TamperKind::Malformed
            });
        };
        let seq = seq_of(body);
        self.key.advance_to(self.index / EPOCH_RECORDS);
        let expected = self.key.mac(&self.prev, body);
        if bool::from(expected.ct_eq(&mac)) {
            self.prev = mac;
            self.index += 1;
            if let Some(s) = seq {
                self.last_seq = Some(s);
                self.seen_seqs.insert(s);
            }
            return Ok(());
        }
        Err(match (seq, self.last_seq) {
            (Some(s), _) if self.seen_seqs.contains(&s) => TamperKind::Inserted,
            (Some(s), Some(last)) if s == last + 1 => TamperKind::Modified,
            (Some(s), Some(last)) if s > last + 1 => TamperKind::Deleted,
            (Some(_), Some(_)) => TamperKind::Reordered,
            _ => TamperKind::Modified,
        })
    }

    /// Checks `line` and keeps the verifier's state only if it verifies.
    pub(crate) fn clone_check(&mut self, line: &[u8]) -> bool {
        let (prev, index, last_seq) = (self.prev, self.index, self.last_seq);
        if self.check(line).is_ok() {
            return true;
        }
        self.prev = prev;
        self.index = index;
        self.last_seq = last_seq;
        false
    }

    /// Tells a move from a deletion and an insertion from a change: a record that seems
    /// deleted but stands further down (in `rest`, the lines after the failing one) was
    /// reordered; a line that seems modified but is followed by the record that belongs there was
    /// inserted.
    pub fn refine(&self, kind: TamperKind, rest: &[&[u8]]) -> TamperKind {
        match kind {
            TamperKind::Deleted
                if self.last_seq.is_some_and(|last| {
                    rest.iter()
                        .any(|l| split_mac(l).and_then(|(b, _)| seq_of(b)) == Some(last + 1))
                }) =>
            {
                TamperKind::Reordered
            }
            TamperKind::Modified
                if rest
                    .first()
                    .is_some_and(|next| self.clone().check(next).is_ok()) =>
            {
                TamperKind::Inserted
            }
            kind => kind,
        }
    }

    /// How many lines verified.
    pub fn count(&self) -> u64 {
        self.index
    }

    /// Checks every line of `log` (newline-separated); the first break, if any.
    pub fn check_all(key: &ChainKey, anchor: [u8; 32], log: &[u8]) -> Result<u64, Tamper> {
        let mut v = Verifier::new(key, anchor);
        let lines: Vec<&[u8]> = log.split(|&b| b == b'\n').collect();
        for (n, line) in lines.iter().enumerate() {
            if line.is_empty() {
                continue;
            }
            if let Err(kind) = v.check(line) {
                let kind = match kind {
                    TamperKind::Modified if v.index == 0 => TamperKind::BadKey,
                    kind => v.refine(kind, &lines[n + 1..]),
                };
                return Err(Tamper {
                    line: n as u64 + 1,
                    kind,
                });
            }
        }
        Ok(v.index)
    }
}

/// The MAC a sealed line carries.
pub(crate) fn mac_of(line: &[u8]) -> Option<[u8; 32]> {
    split_mac(line).map(|(_, mac)| mac)
}

/// Splits `...,"mac":"<64 hex>"}` into the record without its closing brace and the MAC.
fn split_mac(line: &[u8]) -> Option<(&[u8], [u8; 32])> {
    const SUFFIX_LEN: usize = ",\"mac\":\"".len() + 64 + "\"}".len();
    if line.len() < SUFFIX_LEN + 1 || !line.ends_with(b"\"}") {
        return None;
    }
    let (body, suffix) = line.split_at(line.len() - SUFFIX_LEN);
    let hex_digits = suffix.strip_prefix(b",\"mac\":\"")?.strip_suffix(b"\"}")?;
    // Only the canonical form: a seal is compared byte for byte, not by meaning.
    if !hex_digits
        .iter()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let mac = crate::hex::decode32(hex_digits)?;
    Some((body, mac))
}

/// The `"seq":N` of a record, if present.
fn seq_of(body: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"\"seq\":";
    let at = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits = body[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&body[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64) -> Vec<u8> {
        format!(r#"{{"ts":"2026-11-23T00:00:00.000000000Z","seq":{seq},"event":"e","n":{seq}}}"#)
            .into_bytes()
    }

    fn log(key: &ChainKey, n: u64) -> Vec<Vec<u8>> {
        let mut s = Sealer::new(key, [0; 32]);
        (1..=n)
            .map(|i| {
                let mut out = Vec::new();
                s.seal(&record(i), &mut out);
                out.pop(); // the newline
                out
            })
            .collect()
    }

    fn join(lines: &[Vec<u8>]) -> Vec<u8> {
        lines
            .iter()
            .flat_map(|l| l.iter().copied().chain([b'\n']))
            .collect()
    }

    fn key(b: u8) -> ChainKey {
        ChainKey::from_bytes([b; 32])
    }

    #[test]
    fn a_clean_chain_verifies_across_epochs() {
        let k = key(1);
        let lines = log(&k, EPOCH_RECORDS * 2 + 5);
        assert_eq!(
            Verifier::check_all(&k, [0; 32], &join(&lines)),
            Ok(EPOCH_RECORDS * 2 + 5)
        );
        assert!(lines[0].ends_with(b"\"}"));
        assert!(lines[0].windows(7).any(|w| w == b"\"mac\":\""));
    }

    #[test]
    fn tampering_is_detected_with_its_kind() {
        let k = key(2);
        let clean = log(&k, 50);
        let check = |lines: &[Vec<u8>]| Verifier::check_all(&k, [0; 32], &join(lines)).unwrap_err();

        let mut flipped = clean.clone();
        flipped[10][40] ^= 0x01;
        assert_eq!(
            check(&flipped),
            Tamper {
                line: 11,
                kind: TamperKind::Modified
            }
        );

        let mut deleted = clean.clone();
        deleted.remove(20);
        assert_eq!(
            check(&deleted),
            Tamper {
                line: 21,
                kind: TamperKind::Deleted
            }
        );

        let mut duplicated = clean.clone();
        duplicated.insert(31, clean[30].clone());
        assert_eq!(
            check(&duplicated),
            Tamper {
                line: 32,
                kind: TamperKind::Inserted
            }
        );

        let mut swapped = clean.clone();
        swapped.swap(5, 6);
        assert_eq!(
            check(&swapped),
            Tamper {
                line: 6,
                kind: TamperKind::Reordered
            }
        );

        let forged = log(&key(9), 50);
        let mut inserted = clean.clone();
        inserted.insert(40, forged[40].clone());
        assert_eq!(check(&inserted).line, 41);

        assert_eq!(
            check(&forged),
            Tamper {
                line: 1,
                kind: TamperKind::BadKey
            }
        );
    }

    #[test]
    fn the_writers_current_key_cannot_reforge_earlier_records() {
        let k = key(3);
        let mut sealer = Sealer::new(&k, [0; 32]);
        let mut lines = Vec::new();
        for i in 1..=(EPOCH_RECORDS + 10) {
            let mut out = Vec::new();
            sealer.seal(&record(i), &mut out);
            out.pop();
            lines.push(out);
        }
        // The attacker takes the writer's key now (epoch 1) and rewrites record 5 (epoch 0),
        // re-chaining it with everything they hold.
        let (epoch, stolen) = sealer.__current_key();
        assert_eq!(epoch, 1);
        let body = record(5);
        let body = body.strip_suffix(b"}").unwrap();
        let prev = split_mac(&lines[3]).unwrap().1;
        let forged_mac = hmac(&stolen, &[&prev, body]);
        let mut forged = body.to_vec();
        forged.extend_from_slice(
            format!(",\"mac\":\"{}\"}}", super::super::hex(&forged_mac)).as_bytes(),
        );
        lines[4] = forged;
        let err = Verifier::check_all(&k, [0; 32], &join(&lines)).unwrap_err();
        assert_eq!(err.line, 5);
    }
}
