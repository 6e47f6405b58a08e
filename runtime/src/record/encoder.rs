//! The JSON value writer that every [`Loggable`] value goes through.
//!
//! It writes straight into the record's buffer (no intermediate tree), escapes every string so
//! that a record stays one inert line, and applies the size [`Limits`] so that no input can blow
//! up the log.

use std::fmt;

use super::limits::Limits;
use super::loggable::Loggable;
use crate::redact::{self, scanner};

/// Writes one JSON value into a record, with escaping and [`Limits`] applied.
///
/// A [`Loggable`] implementation receives an `Encoder` and must write exactly one value with
/// it: a scalar (`str`, `u64`, `bool`, ...), [`redacted`](Encoder::redacted), or a container
/// opened with [`object`](Encoder::object) / [`array`](Encoder::array).
///
/// ```
/// use seclog::{Encoder, Loggable};
///
/// struct Point { x: i32, y: i32 }
///
/// impl Loggable for Point {
///     fn log(&self, out: &mut Encoder<'_>) {
///         let mut obj = out.object();
///         obj.field("x", &self.x);
///         obj.field("y", &self.y);
///     }
/// }
///
/// assert_eq!(seclog::to_json(&Point { x: 1, y: -2 }), r#"{"x":1,"y":-2}"#);
/// ```
pub struct Encoder<'a> {
    buf: &'a mut Vec<u8>,
    limits: Limits,
    depth: usize,
    /// Whether strings are scanned for secrets and personal data (off inside values marked
    /// public).
    scan: bool,
    /// What the scanner looks for, read once per encoder.
    scan_config: scanner::Config,
    /// Writing a record's body for the writer to finish ([`super::pending`]): strings to scan
    /// and redactions to list are marked in place, and the writer thread scans them and
    /// lists the redactions as it finishes the record. Otherwise (`to_json`) strings are
    /// scanned here and nothing is listed.
    marked: bool,
    /// Marked strings are only those of [`scanner::SHORT`] bytes or more: shorter ones are
    /// scanned here (see `Pipeline::settles_short_strings`).
    settle_short: bool,
}

/// The record's list of redactions: `"redacted":["inputs.req.password:full", ...]` — paths
/// and strategies, never values.
#[derive(Default)]
pub(crate) struct Manifest {
    /// Encoded entries, comma-separated.
    entries: Vec<u8>,
}

impl Manifest {
    /// Adds an entry for the value about to be written after `written`, the JSON written so
    /// far under the root, redacted `how`. The root is the record key the value sits under
    /// (`inputs`, `output`, ...) and, for `inputs` and `fields`, its name encoded as JSON
    /// with its colon (`"req":`). The path is read back from the JSON: nothing is tracked
    /// while writing, so records without redactions pay nothing for the manifest.
    pub(crate) fn note(&mut self, section: &str, key_json: &[u8], written: &[u8], how: &str) {
        let e = &mut self.entries;
        if !e.is_empty() {
            e.push(b',');
        }
        e.push(b'"');
        e.extend_from_slice(section.as_bytes());
        if let Some(key) = key_json.get(1..key_json.len().saturating_sub(2)) {
            if !key.is_empty() {
                e.push(b'.');
                e.extend_from_slice(key);
            }
        }
        for seg in open_path(written) {
            match seg {
                // The key's text is already JSON-escaped: it is valid inside this string.
                Seg::Key(start, end) => {
                    e.push(b'.');
                    e.extend_from_slice(&written[start..end]);
                }
                Seg::Index(i) => {
                    e.push(b'[');
                    e.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
                    e.push(b']');
                }
            }
        }
        e.push(b':');
        e.extend_from_slice(how.as_bytes());
        e.push(b'"');
    }

    /// `,"redacted":[...]`, if anything was redacted.
    pub(crate) fn write(&self, buf: &mut Vec<u8>) {
        if !self.entries.is_empty() {
            buf.extend_from_slice(b",\"redacted\":[");
            buf.extend_from_slice(&self.entries);
            buf.push(b']');
        }
    }
}

#[derive(Clone, Copy)]
enum Seg {
    /// A key: the byte range of its (escaped) text.
    Key(usize, usize),
    Index(usize),
}

/// The open containers at the end of a JSON prefix, outermost first: the key or index each
/// is at.
fn open_path(json: &[u8]) -> Vec<Seg> {
    let mut path: Vec<Seg> = Vec::new();
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'{' => path.push(Seg::Key(0, 0)),
            b'[' => path.push(Seg::Index(0)),
            b'}' | b']' => {
                path.pop();
            }
            b',' => {
                if let Some(Seg::Index(n)) = path.last_mut() {
                    *n += 1;
                }
            }
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < json.len() && json[i] != b'"' {
                    i += if json[i] == b'\\' { 2 } else { 1 };
                }
                // A string followed by `:` is the key of the innermost object.
                if json.get(i + 1) == Some(&b':') {
                    if let Some(top @ Seg::Key(..)) = path.last_mut() {
                        *top = Seg::Key(start, i.min(json.len()));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    path
}

impl<'a> Encoder<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>, limits: Limits) -> Self {
        let config = scanner::Config::current();
        Encoder {
            buf,
            limits,
            depth: 0,
            scan: config.any(),
            scan_config: config,
            marked: false,
            settle_short: true,
        }
    }

    /// An encoder for a value of a record's body, which the writer finishes (see
    /// [`super::pending`]): its strings are scanned and its redactions listed then, but for
    /// short strings when `settle_short` (scanned here).
    pub(crate) fn marked(buf: &'a mut Vec<u8>, limits: Limits, settle_short: bool) -> Self {
        let mut enc = Encoder::new(buf, limits);
        enc.marked = true;
        enc.settle_short = settle_short;
        enc
    }

    /// Whether a string of `len` bytes is left to the writer to scan.
    fn defers(&self, len: usize) -> bool {
        self.marked && (len >= scanner::SHORT || !self.settle_short)
    }

    /// Lists the value about to be written as redacted `how` (`full`, `hash`, `last`, `scan`,
    /// ...) in the record's manifest.
    pub(crate) fn note_redaction(&mut self, how: &str) {
        if self.marked {
            super::pending::mark_note(self.buf, how);
        }
    }

    /// The limits in force for this record.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Appends bytes the caller guarantees are valid JSON in place.
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub(crate) fn buf_mut(&mut self) -> &mut Vec<u8> {
        self.buf
    }

    /// Writes a nested [`Loggable`] value (nesting deeper than the depth limit is cut).
    pub fn value<T: Loggable + ?Sized>(&mut self, value: &T) {
        if self.depth >= self.limits.max_depth {
            self.buf.extend_from_slice(b"\"[depth limit]\"");
            return;
        }
        if self.buf.len() >= self.limits.max_record_bytes {
            self.buf.extend_from_slice(b"\"[record size limit]\"");
            return;
        }
        self.depth += 1;
        value.log(self);
        self.depth -= 1;
    }

    /// Writes a nested value that is declared not secret (`#[public]`): its strings are not
    /// scanned for secrets.
    pub fn public_value<T: Loggable + ?Sized>(&mut self, value: &T) {
        let scan = std::mem::replace(&mut self.scan, false);
        self.value(value);
        self.scan = scan;
    }

    /// Writes a string that is already redacted: escaped and cut, not scanned.
    pub(crate) fn raw_str(&mut self, s: &str) {
        write_str_limited(self.buf, s, self.limits.max_string_bytes);
    }

    /// Writes a string, escaped, cut to the string limit on a character boundary, with any
    /// secret the [scanner](crate::redact::scanner) finds replaced by its tag.
    pub fn str(&mut self, s: &str) {
        let max = self.limits.max_string_bytes;
        if !self.scan {
            return write_str_limited(self.buf, s, max);
        }
        // Scan what is kept, plus a margin so that a secret across the cut is still seen.
        let window = &s[..floor_char_boundary(s, s.len().min(max.saturating_add(256)))];
        if self.defers(window.len()) {
            return super::pending::mark_str(self.buf, window, s.len(), self.scan_config);
        }
        let at = self.buf.len();
        let found = write_scanned(self.buf, window, s.len(), max, self.scan_config);
        self.note_found(at, found);
    }

    /// Lists what the scanner found in the string written at `at`, in a record's body: the
    /// writer lists it in place of the marks.
    fn note_found(&mut self, at: usize, found: scanner::Found) {
        if self.marked && found != scanner::Found::default() {
            let mut marks = Vec::new();
            for name in found.names() {
                super::pending::mark_note(&mut marks, name);
            }
            self.buf.splice(at..at, marks);
        }
    }

    /// Writes the `Display` form of a value as a string, escaped and cut like [`str`](Self::str).
    pub fn display(&mut self, value: &dyn fmt::Display) {
        self.formatted(format_args!("{value}"));
    }

    /// Writes the `Debug` form of a value as a string, escaped and cut like [`str`](Self::str).
    ///
    /// `Debug` output prints every field: use it only for types that hold no secret.
    pub fn debug(&mut self, value: &dyn fmt::Debug) {
        self.formatted(format_args!("{value:?}"));
    }

    fn formatted(&mut self, args: fmt::Arguments<'_>) {
        if let Some(s) = args.as_str() {
            return self.str(s);
        }
        if self.scan {
            // Scanning needs the whole text; it is bounded like any string.
            let mut text = String::new();
            let mut w = LimitedString {
                text: &mut text,
                room: self.limits.max_string_bytes,
                total: 0,
            };
            let _ = fmt::write(&mut w, args);
            let total = w.total;
            if self.defers(text.len()) {
                super::pending::mark_formatted(self.buf, &text, total, self.scan_config);
                return;
            }
            let at = self.buf.len();
            let found = write_scanned_formatted(
                self.buf,
                &text,
                total,
                self.limits.max_string_bytes,
                self.scan_config,
            );
            self.note_found(at, found);
            return;
        }
        self.buf.push(b'"');
        let mut w = LimitedWriter {
            buf: self.buf,
            room: self.limits.max_string_bytes,
            total: 0,
        };
        // A `Display` impl that fails leaves what it wrote so far; the string stays valid.
        let _ = fmt::write(&mut w, args);
        let total = w.total;
        if total > self.limits.max_string_bytes {
            write_cut_mark(self.buf, total, "bytes");
        }
        self.buf.push(b'"');
    }

    /// Writes `"[REDACTED]"`: the value is withheld, its length and shape too.
    pub fn redacted(&mut self) {
        self.note_redaction("full");
        redact::write_redacted(self.buf);
    }

    /// Writes `null`.
    pub fn null(&mut self) {
        self.buf.extend_from_slice(b"null");
    }

    /// Writes `true` or `false`.
    pub fn bool(&mut self, v: bool) {
        self.buf
            .extend_from_slice(if v { b"true" } else { b"false" });
    }

    /// Writes an unsigned integer.
    pub fn u64(&mut self, v: u64) {
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }

    /// Writes a signed integer.
    pub fn i64(&mut self, v: i64) {
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }

    /// Writes a 128-bit unsigned integer.
    pub fn u128(&mut self, v: u128) {
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }

    /// Writes a 128-bit signed integer.
    pub fn i128(&mut self, v: i128) {
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }

    /// Writes a float; JSON has no NaN or infinity, so those are written as the strings
    /// `"NaN"`, `"inf"` and `"-inf"`.
    pub fn f64(&mut self, v: f64) {
        if v.is_finite() {
            self.buf
                .extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
        } else {
            self.non_finite(v.is_nan(), v > 0.0);
        }
    }

    /// Writes a float at `f32` precision (see [`f64`](Self::f64)).
    pub fn f32(&mut self, v: f32) {
        if v.is_finite() {
            self.buf
                .extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
        } else {
            self.non_finite(v.is_nan(), v > 0.0);
        }
    }

    fn non_finite(&mut self, nan: bool, positive: bool) {
        if nan {
            self.buf.extend_from_slice(b"\"NaN\"");
        } else if positive {
            self.buf.extend_from_slice(b"\"inf\"");
        } else {
            self.buf.extend_from_slice(b"\"-inf\"");
        }
    }

    /// Opens a JSON object; it is closed when the returned [`Object`] is dropped.
    pub fn object(&mut self) -> Object<'_, 'a> {
        self.buf.push(b'{');
        Object {
            enc: self,
            count: 0,
        }
    }

    /// Opens a JSON array; it is closed when the returned [`Array`] is dropped.
    pub fn array(&mut self) -> Array<'_, 'a> {
        self.buf.push(b'[');
        Array {
            enc: self,
            count: 0,
        }
    }

    /// Writes a sequence of `len` items as an array, at most the item limit of them.
    ///
    /// Only the items written are visited, so a huge collection costs no more than the limit.
    pub fn seq<I>(&mut self, len: usize, items: I)
    where
        I: IntoIterator,
        I::Item: Loggable,
    {
        let mut arr = self.array();
        for item in items.into_iter().take(arr.enc.limits.max_items) {
            arr.item(&item);
        }
        arr.count = arr.count.max(len);
    }

    /// Writes `len` key/value pairs as an object, at most the item limit of them.
    pub fn map<I, K, V>(&mut self, len: usize, entries: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: LogKey,
        V: Loggable,
    {
        let mut obj = self.object();
        for (k, v) in entries.into_iter().take(obj.enc.limits.max_items) {
            k.with_key(&mut |key| obj.field(key, &v));
        }
        obj.count = obj.count.max(len);
    }
}

/// A key of a map that is written as a JSON object: string-like or a number.
pub trait LogKey {
    /// Calls `f` with the key as a string.
    fn with_key(&self, f: &mut dyn FnMut(&str));
}

impl LogKey for str {
    fn with_key(&self, f: &mut dyn FnMut(&str)) {
        f(self)
    }
}
impl LogKey for String {
    fn with_key(&self, f: &mut dyn FnMut(&str)) {
        f(self)
    }
}
impl LogKey for char {
    fn with_key(&self, f: &mut dyn FnMut(&str)) {
        f(self.encode_utf8(&mut [0; 4]))
    }
}
impl LogKey for bool {
    fn with_key(&self, f: &mut dyn FnMut(&str)) {
        f(if *self { "true" } else { "false" })
    }
}
impl<K: LogKey + ?Sized> LogKey for &K {
    fn with_key(&self, f: &mut dyn FnMut(&str)) {
        (**self).with_key(f)
    }
}
impl<K: LogKey + ?Sized> LogKey for Box<K> {
    fn with_key(&self, f: &mut dyn FnMut(&str)) {
        (**self).with_key(f)
    }
}
impl<K: LogKey + ?Sized> LogKey for std::rc::Rc<K> {
    fn with_key(&self, f: &mut dyn FnMut(&str)) {
        (**self).with_key(f)
    }
}
impl<K: LogKey + ?Sized> LogKey for std::sync::Arc<K> {
    fn with_key(&self, f: &mut dyn FnMut(&str)) {
        (**self).with_key(f)
    }
}
impl LogKey for std::borrow::Cow<'_, str> {
    fn with_key(&self, f: &mut dyn FnMut(&str)) {
        f(self)
    }
}
macro_rules! int_keys {
    ($($t:ty)*) => {$(
        impl LogKey for $t {
            fn with_key(&self, f: &mut dyn FnMut(&str)) {
                f(itoa::Buffer::new().format(*self))
            }
        }
    )*};
}
int_keys!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize);

/// Starts the next entry of a container holding `count` so far: false once past the item
/// limit (the entry is then counted, not written).
fn next_item(enc: &mut Encoder<'_>, count: &mut usize) -> bool {
    *count += 1;
    if *count > enc.limits.max_items {
        return false;
    }
    if *count > 1 {
        enc.buf.push(b',');
    }
    true
}

/// An open JSON object inside an [`Encoder`]; closed on drop.
pub struct Object<'e, 'a> {
    enc: &'e mut Encoder<'a>,
    count: usize,
}

impl Object<'_, '_> {
    fn next(&mut self) -> bool {
        next_item(self.enc, &mut self.count)
    }

    fn key(&mut self, key: &str) -> bool {
        if !self.next() {
            return false;
        }
        write_str_limited(self.enc.buf, key, self.enc.limits.max_string_bytes);
        self.enc.buf.push(b':');
        true
    }

    /// Writes a key encoded at compile time.
    fn encoded_key(&mut self, key_json: &str) {
        self.enc.buf.extend_from_slice(key_json.as_bytes());
    }

    /// Writes `"key": value` with the key already encoded as JSON, colon included (generated
    /// code encodes field names at compile time).
    #[doc(hidden)]
    pub fn __field_encoded<T: Loggable + ?Sized>(&mut self, key_json: &'static str, value: &T) {
        if self.next() {
            self.encoded_key(key_json);
            self.enc.value(value);
        }
    }

    /// [`field_with`](Self::field_with) with the key already encoded.
    #[doc(hidden)]
    pub fn __field_encoded_with(
        &mut self,
        key_json: &'static str,
        f: impl FnOnce(&mut Encoder<'_>),
    ) {
        if self.next() {
            self.encoded_key(key_json);
            f(self.enc);
        }
    }

    /// [`__field_encoded`](Self::__field_encoded) for a field marked public: not scanned.
    #[doc(hidden)]
    pub fn __field_encoded_public<T: Loggable + ?Sized>(
        &mut self,
        key_json: &'static str,
        value: &T,
    ) {
        if self.next() {
            self.encoded_key(key_json);
            self.enc.public_value(value);
        }
    }

    /// [`redacted_field`](Self::redacted_field) with the key already encoded.
    #[doc(hidden)]
    pub fn __redacted_encoded(&mut self, key_json: &'static str) {
        if self.next() {
            self.encoded_key(key_json);
            self.enc.redacted();
        }
    }

    /// Writes `"key": value`.
    pub fn field<T: Loggable + ?Sized>(&mut self, key: &str, value: &T) {
        if self.key(key) {
            self.enc.value(value);
        }
    }

    /// Writes `"key": "[REDACTED]"`.
    pub fn redacted_field(&mut self, key: &str) {
        if self.key(key) {
            self.enc.redacted();
        }
    }

    /// Writes `"key":` and lets `f` write the value.
    pub fn field_with(&mut self, key: &str, f: impl FnOnce(&mut Encoder<'_>)) {
        if self.key(key) {
            f(self.enc);
        }
    }

    /// Closes the object (dropping it does the same).
    pub fn finish(self) {}
}

impl Drop for Object<'_, '_> {
    fn drop(&mut self) {
        if self.count > self.enc.limits.max_items {
            self.enc.buf.push(b',');
            write_str_limited(self.enc.buf, "…", usize::MAX);
            self.enc.buf.push(b':');
            self.enc.buf.push(b'"');
            write_cut_mark(self.enc.buf, self.count, "items");
            self.enc.buf.push(b'"');
        }
        self.enc.buf.push(b'}');
    }
}

/// An open JSON array inside an [`Encoder`]; closed on drop.
pub struct Array<'e, 'a> {
    enc: &'e mut Encoder<'a>,
    count: usize,
}

impl Array<'_, '_> {
    fn next(&mut self) -> bool {
        next_item(self.enc, &mut self.count)
    }

    /// Appends a value.
    pub fn item<T: Loggable + ?Sized>(&mut self, value: &T) {
        if self.next() {
            self.enc.value(value);
        }
    }

    /// Appends a value written by `f`.
    pub fn item_with(&mut self, f: impl FnOnce(&mut Encoder<'_>)) {
        if self.next() {
            f(self.enc);
        }
    }

    /// Appends `"[REDACTED]"`.
    pub fn redacted_item(&mut self) {
        if self.next() {
            self.enc.redacted();
        }
    }

    /// Closes the array (dropping it does the same).
    pub fn finish(self) {}
}

impl Drop for Array<'_, '_> {
    fn drop(&mut self) {
        if self.count > self.enc.limits.max_items {
            self.enc.buf.extend_from_slice(b",\"");
            write_cut_mark(self.enc.buf, self.count, "items");
            self.enc.buf.push(b'"');
        }
        self.enc.buf.push(b']');
    }
}

/// Writes `window` (the start of a string of `len` bytes, a margin past the cut included)
/// as a JSON string cut at `max` bytes, with every secret and piece of personal data the
/// scanner finds under `config` replaced. Returns what it found.
pub(crate) fn write_scanned(
    buf: &mut Vec<u8>,
    window: &str,
    len: usize,
    max: usize,
    config: scanner::Config,
) -> scanner::Found {
    let Some(scrubbed) = scanner::scrub_with(window, config) else {
        // `len` is the whole string's: a cut string is marked with it.
        write_str_limited_len(buf, window, len, max);
        return scanner::Found::default();
    };
    let clean = scrubbed.text;
    buf.push(b'"');
    if len <= max && clean.len() <= max {
        escape_into(buf, &clean);
    } else {
        escape_into(
            buf,
            &clean[..floor_char_boundary(&clean, max.min(clean.len()))],
        );
        write_cut_mark(buf, len.max(clean.len()), "bytes");
    }
    buf.push(b'"');
    scrubbed.found
}

/// Writes `text`, the first bytes of a value's formatted form of `total` bytes, as a JSON
/// string, scanned like [`write_scanned`]; marked as cut when `total` is over `max`.
pub(crate) fn write_scanned_formatted(
    buf: &mut Vec<u8>,
    text: &str,
    total: usize,
    max: usize,
    config: scanner::Config,
) -> scanner::Found {
    let scrubbed = scanner::scrub_with(text, config);
    buf.push(b'"');
    escape_into(buf, scrubbed.as_ref().map_or(text, |r| &r.text));
    if total > max {
        write_cut_mark(buf, total, "bytes");
    }
    buf.push(b'"');
    scrubbed.map(|r| r.found).unwrap_or_default()
}

/// The mark that ends a cut string or collection: `…[truncated from N bytes]`.
fn write_cut_mark(buf: &mut Vec<u8>, total: usize, unit: &str) {
    buf.extend_from_slice("…[truncated from ".as_bytes());
    buf.extend_from_slice(itoa::Buffer::new().format(total).as_bytes());
    buf.push(b' ');
    buf.extend_from_slice(unit.as_bytes());
    buf.push(b']');
}

/// Writes `s` as a JSON string, cut at `max` bytes on a character boundary and marked.
pub(crate) fn write_str_limited(buf: &mut Vec<u8>, s: &str, max: usize) {
    write_str_limited_len(buf, s, s.len(), max);
}

/// [`write_str_limited`] for `s`, the start of a string of `len` bytes.
fn write_str_limited_len(buf: &mut Vec<u8>, s: &str, len: usize, max: usize) {
    buf.push(b'"');
    if len <= max {
        escape_into(buf, s);
    } else {
        escape_into(buf, &s[..floor_char_boundary(s, max.min(s.len()))]);
        write_cut_mark(buf, len, "bytes");
    }
    buf.push(b'"');
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A `fmt::Write` that keeps the first `room` bytes (on a char boundary) and counts the rest.
struct LimitedString<'t> {
    text: &'t mut String,
    room: usize,
    total: usize,
}

impl fmt::Write for LimitedString<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.total += s.len();
        let take = floor_char_boundary(s, self.room.min(s.len()));
        self.text.push_str(&s[..take]);
        self.room -= take;
        if take < s.len() {
            self.room = 0;
        }
        Ok(())
    }
}

/// A `fmt::Write` that escapes into the buffer and stops writing at `room` bytes.
struct LimitedWriter<'b> {
    buf: &'b mut Vec<u8>,
    room: usize,
    total: usize,
}

impl fmt::Write for LimitedWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.total += s.len();
        if self.room >= s.len() {
            self.room -= s.len();
            escape_into(self.buf, s);
        } else if self.room > 0 {
            escape_into(self.buf, &s[..floor_char_boundary(s, self.room)]);
            self.room = 0;
        }
        Ok(())
    }
}

// What a byte needs: 0 = copy as is, 1 = ASCII escape, 2 = lead byte of a character that may
// need a \u escape (C1 controls, bidi and zero-width format characters, BOM).
const fn byte_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 1;
        i += 1;
    }
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    t[0x7f] = 1;
    t[0xc2] = 2;
    t[0xe2] = 2;
    t[0xef] = 2;
    t
}
static CLASS: [u8; 256] = byte_classes();

/// Characters outside ASCII that are escaped: they are invisible or reorder text on screen, so
/// raw they could make a record read differently from what it holds.
fn needs_unicode_escape(c: char) -> bool {
    matches!(c,
        '\u{80}'..='\u{9f}'          // C1 controls
        | '\u{200b}'..='\u{200f}'    // zero-width, LRM, RLM
        | '\u{2028}'..='\u{202e}'    // line/paragraph separators, bidi embeddings and overrides
        | '\u{2060}'..='\u{2069}'    // word joiner, invisible operators, bidi isolates
        | '\u{feff}'                 // BOM / zero-width no-break space
        | '\u{fff9}'..='\u{fffb}') // interlinear annotations
}

/// Appends `s` JSON-escaped (without quotes).
pub(crate) fn escape_into(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match CLASS[b as usize] {
            0 => i += 1,
            1 => {
                buf.extend_from_slice(&bytes[start..i]);
                match b {
                    b'"' => buf.extend_from_slice(b"\\\""),
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    _ => write_u_escape(buf, b as u32),
                }
                i += 1;
                start = i;
            }
            _ => {
                // `i` is a char boundary: only lead bytes are classed 2.
                let c = s[i..].chars().next().unwrap_or('\u{fffd}');
                let len = c.len_utf8();
                if needs_unicode_escape(c) {
                    buf.extend_from_slice(&bytes[start..i]);
                    write_u_escape(buf, c as u32);
                    start = i + len;
                }
                i += len;
            }
        }
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// `s` JSON-escaped (without quotes), as a record holds it.
pub(crate) fn escaped(s: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(s.len());
    escape_into(&mut b, s);
    b
}

fn write_u_escape(buf: &mut Vec<u8>, c: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        buf.push(HEX[((c >> shift) & 0xf) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut b = Vec::new();
        escape_into(&mut b, s);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn escapes_controls_quotes_and_format_characters() {
        assert_eq!(esc("a\"b\\c"), r#"a\"b\\c"#);
        assert_eq!(esc("x\r\ny\t\0\u{1b}[31m"), r"x\r\ny\t\u0000\u001b[31m");
        assert_eq!(esc("\u{7f}\u{85}"), r"\u007f\u0085");
        assert_eq!(esc("abc\u{202e}cba"), r"abc\u202ecba");
        assert_eq!(esc("\u{2028}\u{feff}"), r"\u2028\ufeff");
        // Ordinary non-ASCII text, including characters sharing the lead bytes, is kept.
        assert_eq!(esc("héllo — “ok” ½ ￥ 😀"), "héllo — “ok” ½ ￥ 😀");
    }

    #[test]
    fn cuts_on_char_boundary_and_marks() {
        let mut b = Vec::new();
        write_str_limited(&mut b, "ééé", 3);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "\"é…[truncated from 6 bytes]\""
        );
    }
}
