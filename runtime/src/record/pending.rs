//! A record handed over before its last steps, and the writer's finishing of it.
//!
//! The handler's thread does only what needs the handler's values: it copies them into the
//! record's body. What needs only the record's facts is left to the thread that finishes the
//! record, the background writer when there is one: the `ts` text, the call site's constant
//! parts (event, level, `where`), the scan of its strings for secrets and personal data,
//! and the list of redactions. The handler's thread then pays for neither the scanner nor
//! most of the encoding. (While the writer falls behind, handlers scan their short strings
//! themselves, and list what they find with the same marks.)
//!
//! The body is JSON with two kinds of mark, each starting with a control byte that escaped
//! JSON never holds raw (escaping writes every byte below 0x20 as `\u00XX`):
//! - `0x01`: a string to scan, written as it was given (kind, scanner switches, its whole
//!   length, the bytes kept);
//! - `0x02`: a redaction to list (its strategy), or the start of a value the list's paths
//!   are read from (its record key and name).
//!
//! A record is never written anywhere before [`finish`] has replaced every mark: the queue
//! holds pending records, and the one place records leave it (the writer taking a batch, or
//! a full queue or shutdown sending records to stderr) finishes them first.

use std::cell::RefCell;

use super::encoder::{Manifest, write_scanned, write_scanned_formatted};
use super::facts::{self, Facts};
use super::invocation::{Callsite, Outcome};
use crate::redact::scanner::Config;
use crate::setup::{self, Dispatcher};

const MARK_STR: u8 = 0x01;
const MARK_LIST: u8 = 0x02;

/// Kinds of [`MARK_STR`].
const STR: u8 = 0;
const FORMATTED: u8 = 1;
/// Kinds of [`MARK_LIST`].
const ROOT: u8 = 0;
const NOTE: u8 = 1;

/// The record keys a redaction's path starts from.
#[derive(Clone, Copy)]
pub(crate) enum Root {
    Who = 0,
    Inputs = 1,
    Fields = 2,
    Output = 3,
    Error = 4,
}

const ROOT_NAMES: [&str; 5] = ["who", "inputs", "fields", "output", "error"];

/// Marks the start of a value under `root`, named `key_json` (a name encoded as JSON with
/// its colon, or empty): the paths of its redactions are read from here on.
pub(crate) fn mark_root(buf: &mut Vec<u8>, root: Root, key_json: &str) {
    let key = &key_json.as_bytes()[..key_json.len().min(usize::from(u16::MAX))];
    buf.extend_from_slice(&[MARK_LIST, ROOT, root as u8]);
    buf.extend_from_slice(&(key.len() as u16).to_le_bytes());
    buf.extend_from_slice(key);
}

/// Marks the value about to be written as redacted `how`.
pub(crate) fn mark_note(buf: &mut Vec<u8>, how: &str) {
    // Strategy names are short ASCII words.
    let how = &how.as_bytes()[..how.len().min(usize::from(u8::MAX))];
    buf.extend_from_slice(&[MARK_LIST, NOTE, how.len() as u8]);
    buf.extend_from_slice(how);
}

/// Marks a string to scan: `window`, the start of a string of `len` bytes.
pub(crate) fn mark_str(buf: &mut Vec<u8>, window: &str, len: usize, config: Config) {
    mark_string(buf, STR, window, len, config);
}

/// Marks a formatted value to scan: `text`, the start of `total` bytes.
pub(crate) fn mark_formatted(buf: &mut Vec<u8>, text: &str, total: usize, config: Config) {
    mark_string(buf, FORMATTED, text, total, config);
}

fn mark_string(buf: &mut Vec<u8>, kind: u8, text: &str, len: usize, config: Config) {
    buf.extend_from_slice(&[MARK_STR, kind, config.to_byte()]);
    buf.extend_from_slice(&(len as u64).to_le_bytes());
    buf.extend_from_slice(&(text.len() as u64).to_le_bytes());
    buf.extend_from_slice(text.as_bytes());
}

/// What a record's finisher needs beside its body: the facts the handler's thread knows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    /// Given when the record enters the queue.
    pub(crate) seq: u64,
    /// When the body began (an event: when it was emitted), as [`mono`](super::time::mono) gives it.
    pub(crate) ts: i64,
    pub(crate) duration_ns: u64,
    pub(crate) units: u64,
    /// The body's last bytes are `where`'s own members (a location other than the call
    /// site's, the ambient context's members): this many.
    pub(crate) where_len: u32,
    /// The call site's number ([`Callsite::id`]), never 0 in a queued record.
    pub(crate) site: u16,
    pub(crate) outcome: Outcome,
    pub(crate) over_budget: bool,
    /// `where`'s own members start with the record's location.
    pub(crate) own_location: bool,
}

/// The length of a [`Header`] in the queue.
pub(crate) const HEADER_LEN: usize = 40;

impl Header {
    /// Appends the header; its `seq` is at offset 0.
    pub(crate) fn write(&self, out: &mut Vec<u8>, seq: u64) {
        out.extend_from_slice(&seq.to_le_bytes());
        out.extend_from_slice(&self.ts.to_le_bytes());
        out.extend_from_slice(&self.duration_ns.to_le_bytes());
        out.extend_from_slice(&self.units.to_le_bytes());
        out.extend_from_slice(&self.where_len.to_le_bytes());
        out.extend_from_slice(&self.site.to_le_bytes());
        out.push(self.outcome as u8);
        out.push(u8::from(self.over_budget) | u8::from(self.own_location) << 1);
    }

    fn read(b: &[u8]) -> Option<Header> {
        let b: &[u8; HEADER_LEN] = b.get(..HEADER_LEN)?.try_into().ok()?;
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        Some(Header {
            seq: u64_at(0),
            ts: u64_at(8) as i64,
            duration_ns: u64_at(16),
            units: u64_at(24),
            where_len: u32::from_le_bytes([b[32], b[33], b[34], b[35]]),
            site: u16::from_le_bytes([b[36], b[37]]),
            outcome: *Outcome::ALL.get(usize::from(b[38]))?,
            over_budget: b[39] & 1 != 0,
            own_location: b[39] & 2 != 0,
        })
    }

    /// What the watcher reads of the record, `len` bytes long once finished.
    pub(crate) fn facts(&self, len: usize) -> Facts {
        Facts {
            duration_ns: self.duration_ns,
            len: u32::try_from(len).unwrap_or(u32::MAX),
            site: self.site,
            outcome: self.outcome,
            over_budget: self.over_budget,
        }
    }
}

thread_local! {
    /// The call sites this thread has finished records of, by number: the registry is
    /// locked once per call site, not once per record.
    static SITES: RefCell<Vec<Option<&'static Callsite>>> = const { RefCell::new(Vec::new()) };
}

fn callsite(id: u16) -> Option<&'static Callsite> {
    let i = usize::from(id);
    SITES
        .try_with(|s| {
            let mut s = s.borrow_mut();
            if let Some(Some(c)) = s.get(i) {
                return Some(*c);
            }
            let c = facts::callsite(id)?;
            if s.len() <= i {
                s.resize(i + 1, None);
            }
            s[i] = Some(c);
            Some(c)
        })
        .ok()
        .flatten()
        .or_else(|| facts::callsite(id))
}

/// Finishes a queued record (`entry`: its header, then its body) into `out`, with the
/// configuration installed now. Returns its facts; `None` (nothing written) only for an
/// entry the queue did not make.
pub(crate) fn finish_queued(out: &mut Vec<u8>, entry: &[u8]) -> Option<Facts> {
    let header = Header::read(entry)?;
    let callsite = callsite(header.site)?;
    let start = out.len();
    finish(
        out,
        &header,
        &entry[HEADER_LEN..],
        callsite,
        setup::current(),
        Some(header.seq),
    );
    Some(header.facts(out.len() - start))
}

/// Writes the whole record into `out`: the head from the call site and `header`, then
/// `body` with every mark replaced. With no `seq`, the record is written without its digits
/// and the offset where they go is returned.
pub(crate) fn finish(
    out: &mut Vec<u8>,
    header: &Header,
    body: &[u8],
    callsite: &Callsite,
    d: &Dispatcher,
    seq: Option<u64>,
) -> usize {
    let frags = callsite.fragments(d);
    out.reserve(body.len() + 320);
    out.extend_from_slice(b"{\"ts\":\"");
    super::time::write_rfc3339_nanos(out, super::time::wall_nanos_at(header.ts));
    out.extend_from_slice(b"\",\"seq\":");
    let seq_at = out.len();
    if let Some(seq) = seq {
        out.extend_from_slice(itoa::Buffer::new().format(seq).as_bytes());
    }
    let (outcome, over_budget) = (header.outcome as usize, header.over_budget);
    out.extend_from_slice(if over_budget {
        &frags.heads_over_budget[outcome]
    } else {
        &frags.heads[outcome]
    });
    out.extend_from_slice(itoa::Buffer::new().format(header.duration_ns).as_bytes());
    if !frags.budget.is_empty() {
        out.extend_from_slice(&frags.budget);
        out.extend_from_slice(if over_budget { b"true" } else { b"false" });
    }
    if !frags.usage.is_empty() {
        out.extend_from_slice(&frags.usage);
        out.extend_from_slice(itoa::Buffer::new().format(header.units).as_bytes());
    }
    out.extend_from_slice(&frags.where_head);
    let split = body.len().saturating_sub(header.where_len as usize);
    let (main, own) = body.split_at(split);
    if !header.own_location {
        out.extend_from_slice(&frags.where_location);
    }
    out.extend_from_slice(own);
    out.push(b'}');
    let mut manifest = Manifest::default();
    resolve(out, main, d.limits().max_string_bytes, &mut manifest);
    manifest.write(out);
    out.extend_from_slice(b"}\n");
    seq_at
}

/// Appends `body` with its marks replaced: strings scanned and written, redactions listed
/// in `manifest`. A mark cut short (which the encoder never writes) ends the body there.
fn resolve(out: &mut Vec<u8>, body: &[u8], max: usize, manifest: &mut Manifest) {
    let mut root: (&str, &[u8]) = ("", b"");
    let mut root_start = out.len();
    let mut rest = body;
    while let Some(i) = memchr::memchr2(MARK_STR, MARK_LIST, rest) {
        out.extend_from_slice(&rest[..i]);
        let Some(next) = mark(out, &rest[i..], max, manifest, &mut root, &mut root_start) else {
            return;
        };
        rest = next;
    }
    out.extend_from_slice(rest);
}

/// Replaces the mark `m` starts with; returns what follows it.
fn mark<'b>(
    out: &mut Vec<u8>,
    m: &'b [u8],
    max: usize,
    manifest: &mut Manifest,
    root: &mut (&'static str, &'b [u8]),
    root_start: &mut usize,
) -> Option<&'b [u8]> {
    let (&tag, m) = m.split_first()?;
    let (&kind, m) = m.split_first()?;
    if tag == MARK_LIST {
        if kind == ROOT {
            let (&which, m) = m.split_first()?;
            let len = usize::from(u16::from_le_bytes(m.get(..2)?.try_into().ok()?));
            let key = m.get(2..2 + len)?;
            *root = (ROOT_NAMES.get(usize::from(which))?, key);
            *root_start = out.len();
            return Some(&m[2 + len..]);
        }
        let (&len, m) = m.split_first()?;
        let how = std::str::from_utf8(m.get(..usize::from(len))?).ok()?;
        manifest.note(root.0, root.1, &out[*root_start..], how);
        return Some(&m[usize::from(len)..]);
    }
    let (&config, m) = m.split_first()?;
    let total = usize::try_from(u64::from_le_bytes(m.get(..8)?.try_into().ok()?)).ok()?;
    let len = usize::try_from(u64::from_le_bytes(m.get(8..16)?.try_into().ok()?)).ok()?;
    let text = std::str::from_utf8(m.get(16..16usize.checked_add(len)?)?).ok()?;
    let config = Config::from_byte(config);
    let at = out.len();
    let found = if kind == FORMATTED {
        write_scanned_formatted(out, text, total, max, config)
    } else {
        write_scanned(out, text, total, max, config)
    };
    for name in found.names() {
        manifest.note(root.0, root.1, &out[*root_start..at], name);
    }
    Some(&m[16 + len..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_back_as_written() {
        let h = Header {
            seq: 0,
            ts: -42,
            duration_ns: 7,
            units: 9,
            where_len: 13,
            site: 300,
            outcome: Outcome::Cancelled,
            over_budget: true,
            own_location: false,
        };
        let mut b = Vec::new();
        h.write(&mut b, 77);
        assert_eq!(b.len(), HEADER_LEN);
        let r = Header::read(&b).unwrap();
        assert_eq!(
            (r.seq, r.ts, r.duration_ns, r.units, r.where_len, r.site),
            (77, -42, 7, 9, 13, 300)
        );
        assert_eq!(r.outcome, Outcome::Cancelled);
        assert!(r.over_budget && !r.own_location);
        assert!(Header::read(&b[..HEADER_LEN - 1]).is_none());
    }

    fn resolved(body: &[u8]) -> (String, String) {
        let mut out = Vec::new();
        let mut m = Manifest::default();
        resolve(&mut out, body, 64, &mut m);
        let mut list = Vec::new();
        m.write(&mut list);
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(list).unwrap(),
        )
    }

    #[test]
    fn marks_are_replaced_by_scanned_strings_and_listed_redactions() {
        let mut body = Vec::new();
        body.extend_from_slice(b",\"inputs\":{\"req\":");
        mark_root(&mut body, Root::Inputs, "\"req\":");
        body.extend_from_slice(b"{\"mail\":");
        mark_str(&mut body, "bob@example.com", 15, Config::ALL);
        body.extend_from_slice(b",\"pw\":");
        mark_note(&mut body, "full");
        body.extend_from_slice(b"\"[REDACTED]\",\"note\":");
        mark_str(&mut body, "say \"hi\"\n", 9, Config::ALL);
        body.extend_from_slice(b"}}");
        let (out, list) = resolved(&body);
        assert!(!out.contains("bob@example.com"), "{out}");
        assert!(out.bytes().all(|b| b >= 0x20), "{out}");
        assert!(out.contains(r#""note":"say \"hi\"\n""#), "{out}");
        assert_eq!(
            list,
            r#","redacted":["inputs.req.mail:pii_email","inputs.req.pw:full"]"#
        );
        let v: serde_json::Value = serde_json::from_str(&format!("{{\"a\":1{out}}}")).unwrap();
        assert_eq!(v["inputs"]["req"]["pw"], "[REDACTED]");
    }

    #[test]
    fn a_long_string_is_cut_after_its_scan() {
        let long = "x".repeat(100);
        let mut body = Vec::new();
        mark_str(&mut body, &long[..80], 100, Config::ALL);
        let (out, _) = resolved(&body);
        assert_eq!(
            out,
            format!("\"{}…[truncated from 100 bytes]\"", "x".repeat(64))
        );
    }

    #[test]
    fn a_mark_cut_short_ends_the_body_without_a_panic() {
        let mut body = b"\"a\":".to_vec();
        mark_str(&mut body, "secret text", 11, Config::ALL);
        for cut in 4..body.len() {
            let (out, _) = resolved(&body[..cut]);
            assert_eq!(out, "\"a\":");
        }
    }
}
