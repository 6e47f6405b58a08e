//! The fast path of [`crate::parse`]: a single-pass JSON scanner for one line that reads the
//! keys a summary needs and skips the rest without building anything.
//!
//! It checks the whole JSON grammar (strings, escapes, numbers, literals, nesting up to 100
//! levels, nothing after the object), so a line it accepts is JSON, and one it rejects is not.
//! What it does not do itself it hands back as [`Scan::Fallback`] — a kept string that holds
//! escapes, a kept number that is not a plain integer — and the line is then read by the
//! serde path, which gives the same result (the tests compare the two on many lines).

use std::borrow::Cow;

use crate::parse::{Clock, Fields, Record};

/// The scanner's verdict on a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// Read: the record's keys are filled in (`event` is `None` for an object without one).
    Done,
    /// Not JSON.
    NotJson,
    /// JSON the scanner leaves to the serde path.
    Fallback,
}

#[derive(Debug)]
enum Stop {
    NotJson,
    Fallback,
}

type R<T> = Result<T, Stop>;

/// Deeper nesting is left to the serde path (and its recursion limit); records are never
/// nested this deep.
const MAX_DEPTH: usize = 100;

/// Scans one line (without its `\n`) into `r`, which must start as `Record::default()`
/// (filled in place: a record is large, and moving it costs more than reading a short line).
pub fn scan<'a>(line: &'a [u8], r: &mut Record<'a>) -> Scan {
    let Ok(text) = std::str::from_utf8(line) else {
        return Scan::NotJson;
    };
    let mut s = Scanner {
        t: text,
        b: line,
        i: 0,
    };
    match s.record(r) {
        Ok(()) => Scan::Done,
        Err(Stop::NotJson) => Scan::NotJson,
        Err(Stop::Fallback) => Scan::Fallback,
    }
}

/// The bytes that end a run of plain string contents: `"`, `\\` and control characters.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

struct Scanner<'a> {
    t: &'a str,
    b: &'a [u8],
    i: usize,
}

/// What a value turned out to be, for the callers that accept several kinds.
enum Kind<'a> {
    Str(&'a str),
    Object,
    Other,
}

impl<'a> Scanner<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> R<u8> {
        self.b.get(self.i).copied().ok_or(Stop::NotJson)
    }

    #[inline]
    fn expect(&mut self, c: u8) -> R<()> {
        self.ws();
        if self.peek()? != c {
            return Err(Stop::NotJson);
        }
        self.i += 1;
        Ok(())
    }

    /// A string at `self.i` (on its opening quote), passed: where its contents start, and
    /// whether they hold escapes; `self.i` is left on the closing quote.
    #[inline(always)]
    fn string_raw(&mut self) -> R<(usize, bool)> {
        debug_assert_eq!(self.b.get(self.i), Some(&b'"'));
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            // Most strings of a record are short: a table lookup per byte beats a call.
            let c = *self.b.get(self.i).ok_or(Stop::NotJson)?;
            if !SPECIAL[usize::from(c)] {
                self.i += 1;
                continue;
            }
            match c {
                b'"' => break,
                b'\\' => {}
                _ => return Err(Stop::NotJson),
            }
            escaped = true;
            match *self.b.get(self.i + 1).ok_or(Stop::NotJson)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                b'u' => {
                    let hex = self.b.get(self.i + 2..self.i + 6).ok_or(Stop::NotJson)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(Stop::NotJson);
                    }
                    // Lone surrogates are checked by the serde path.
                    if matches!(hex[0], b'd' | b'D') {
                        return Err(Stop::Fallback);
                    }
                    self.i += 6;
                }
                _ => return Err(Stop::NotJson),
            }
        }
        Ok((start, escaped))
    }

    /// A string at `self.i` (on its opening quote): its raw contents, and whether it holds
    /// escapes.
    #[inline(always)]
    fn string(&mut self) -> R<(&'a str, bool)> {
        let (start, escaped) = self.string_raw()?;
        let s = self.t.get(start..self.i).ok_or(Stop::NotJson)?;
        self.i += 1;
        Ok((s, escaped))
    }

    #[inline]
    fn number(&mut self) -> R<&'a str> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return Err(Stop::NotJson),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !self.peek()?.is_ascii_digit() {
                return Err(Stop::NotJson);
            }
            self.digits();
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return Err(Stop::NotJson);
            }
            self.digits();
        }
        Ok(&self.t[start..self.i])
    }

    #[inline]
    fn digits(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Stop::NotJson)
        }
    }

    /// Skips any value, checking its grammar: a loop over the bytes with the open containers
    /// as bits of a `u128` (nesting is capped at [`MAX_DEPTH`]), no recursion.
    fn skip(&mut self, depth: usize) -> R<()> {
        // Bit `n` set: the container at level `n` (1-based) is an array, else an object.
        let mut arrays: u128 = 0;
        let mut level = 0usize;
        'value: loop {
            self.ws();
            match self.peek()? {
                b'"' => {
                    self.string_raw()?;
                    self.i += 1;
                }
                c @ (b'{' | b'[') => {
                    if depth + level + 1 > MAX_DEPTH {
                        return Err(Stop::Fallback);
                    }
                    self.i += 1;
                    self.ws();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        level += 1;
                        if c == b'[' {
                            arrays |= 1 << level;
                        } else {
                            arrays &= !(1 << level);
                            self.key()?;
                        }
                        continue 'value;
                    }
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => {
                    self.number()?;
                }
            }
            // After a value: a comma goes on to the next one, a bracket closes its container.
            loop {
                if level == 0 {
                    return Ok(());
                }
                self.ws();
                let array = arrays & (1 << level) != 0;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        if !array {
                            self.ws();
                            self.key()?;
                        }
                        continue 'value;
                    }
                    b']' if array => {
                        self.i += 1;
                        level -= 1;
                    }
                    b'}' if !array => {
                        self.i += 1;
                        level -= 1;
                    }
                    _ => return Err(Stop::NotJson),
                }
            }
        }
    }

    /// A key and its colon, in an object being skipped.
    #[inline]
    fn key(&mut self) -> R<()> {
        if self.peek()? != b'"' {
            return Err(Stop::NotJson);
        }
        self.string_raw()?;
        self.i += 1;
        self.expect(b':')
    }

    /// An object at `self.i` (after whitespace), each key handed to `on_key` with the scanner
    /// before its value; `on_key` must consume the value.
    fn object(
        &mut self,
        depth: usize,
        mut on_key: impl FnMut(&mut Self, &'a str) -> R<()>,
    ) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(Stop::Fallback);
        }
        self.i += 1; // `{`
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return Err(Stop::NotJson);
            }
            let (key, escaped) = self.string()?;
            self.expect(b':')?;
            if escaped {
                // An escaped key may spell a wanted one: the serde path decides.
                return Err(Stop::Fallback);
            }
            on_key(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Stop::NotJson),
            }
        }
    }

    /// A value that is kept when it is a string, an object handed to `on_object`, or skipped.
    #[inline]
    fn kind(
        &mut self,
        depth: usize,
        on_object: impl FnMut(&mut Self, &'a str) -> R<()>,
    ) -> R<Kind<'a>> {
        self.ws();
        match self.peek()? {
            b'"' => {
                let (s, escaped) = self.string()?;
                if escaped {
                    return Err(Stop::Fallback);
                }
                Ok(Kind::Str(s))
            }
            b'{' => {
                self.object(depth + 1, on_object)?;
                Ok(Kind::Object)
            }
            _ => {
                self.skip(depth)?;
                Ok(Kind::Other)
            }
        }
    }

    /// A lenient string (see `parse::Str`).
    #[inline]
    fn text(&mut self, depth: usize) -> R<Option<Cow<'a, str>>> {
        Ok(match self.kind(depth, |s, _| s.skip(depth + 1))? {
            Kind::Str(s) => Some(Cow::Borrowed(s)),
            _ => None,
        })
    }

    /// A lenient number (see `parse::Num`).
    #[inline]
    fn num(&mut self, depth: usize) -> R<Option<u64>> {
        self.ws();
        match self.peek()? {
            b'0'..=b'9' => {
                let n = self.number()?;
                // Fractions, exponents and integers beyond u64: the serde path's arithmetic.
                n.parse::<u64>().map(Some).map_err(|_| Stop::Fallback)
            }
            // Negative numbers (`-0` is 0 to the serde path) are left to it.
            b'-' => self.number().and(Err(Stop::Fallback)),
            b't' => self.literal(b"true").map(|_| Some(1)),
            b'f' => self.literal(b"false").map(|_| Some(0)),
            b'"' => {
                let (s, escaped) = self.string()?;
                if escaped {
                    return Err(Stop::Fallback);
                }
                Ok(s.parse().ok())
            }
            _ => self.skip(depth).map(|_| None),
        }
    }

    /// An object whose keys go to `on_key`; any other value is skipped.
    #[inline]
    fn nested(&mut self, depth: usize, on_key: impl FnMut(&mut Self, &'a str) -> R<()>) -> R<()> {
        self.ws();
        if self.peek()? == b'{' {
            self.object(depth + 1, on_key)
        } else {
            self.skip(depth)
        }
    }

    fn record(&mut self, r: &mut Record<'a>) -> R<()> {
        self.ws();
        if self.peek()? != b'{' {
            return Err(Stop::NotJson);
        }
        self.object(1, |s, key| {
            let d = 1;
            match key {
                "ts" | "@timestamp" => r.ts = s.text(d)?,
                "event" => {
                    let kind = s.kind(d, |s, k| {
                        match k {
                            "action" => r.event = s.text(d + 1)?,
                            "outcome" => r.ecs_outcome = s.text(d + 1)?,
                            "duration" => r.duration_ns = s.num(d + 1)?,
                            _ => s.skip(d + 1)?,
                        }
                        Ok(())
                    })?;
                    if let Kind::Str(e) = kind {
                        r.event = Some(Cow::Borrowed(e));
                    }
                }
                "level" => r.level = s.text(d)?,
                "outcome" => r.outcome = s.text(d)?,
                "duration_ns" => r.duration_ns = s.num(d)?,
                "budget_ns" => r.budget_ns = s.num(d)?,
                "over_budget" => r.over_budget = s.num(d)?.map(|n| n != 0),
                "where" => s.nested(d, |s, k| where_key(s, k, r, d + 1))?,
                "who" => s.nested(d, |s, k| who_key(s, k, r, d + 1))?,
                "fields" => s.nested(d, |s, k| fields_key(s, k, &mut r.fields, d + 1))?,
                "usage" => usage(s, r, d)?,
                "units" => r.units = s.num(d)?,
                "log" => s.nested(d, |s, k| match k {
                    "level" => {
                        r.level = s.text(d + 1)?;
                        Ok(())
                    }
                    "origin" => s.nested(d + 1, |s, k| match k {
                        "function" => {
                            r.func = s.text(d + 2)?;
                            Ok(())
                        }
                        _ => s.skip(d + 2),
                    }),
                    _ => s.skip(d + 1),
                })?,
                "user" => s.nested(d, |s, k| match k {
                    "name" => {
                        r.user = s.text(d + 1)?;
                        Ok(())
                    }
                    _ => s.skip(d + 1),
                })?,
                "source" => s.nested(d, |s, k| match k {
                    "ip" => {
                        r.ip = s.text(d + 1)?;
                        Ok(())
                    }
                    _ => s.skip(d + 1),
                })?,
                "host" => s.nested(d, |s, k| match k {
                    "hostname" => {
                        r.host = s.text(d + 1)?;
                        Ok(())
                    }
                    _ => s.skip(d + 1),
                })?,
                "process" => s.nested(d, |s, k| match k {
                    "pid" => {
                        r.pid = s.num(d + 1)?;
                        Ok(())
                    }
                    _ => s.skip(d + 1),
                })?,
                "service" => s.nested(d, |s, k| match k {
                    "name" => {
                        r.service = s.text(d + 1)?;
                        Ok(())
                    }
                    _ => s.skip(d + 1),
                })?,
                "seclog" => s.nested(d, |s, k| seclog_key(s, k, r, d + 1))?,
                "seclog_file" | "seclog_checkpoint" | "seclog_retention" | "seclog_key" => {
                    s.skip(d)?;
                    r.meta = true;
                }
                _ => s.skip(d)?,
            }
            Ok(())
        })?;
        self.ws();
        if self.i != self.b.len() {
            return Err(Stop::NotJson);
        }
        Ok(())
    }
}

#[inline]
fn where_key<'a>(s: &mut Scanner<'a>, k: &str, r: &mut Record<'a>, d: usize) -> R<()> {
    match k {
        "fn" => r.func = s.text(d)?,
        "host" => r.host = s.text(d)?,
        "pid" => r.pid = s.num(d)?,
        "service" => r.service = s.text(d)?,
        _ => s.skip(d)?,
    }
    Ok(())
}

#[inline]
fn who_key<'a>(s: &mut Scanner<'a>, k: &str, r: &mut Record<'a>, d: usize) -> R<()> {
    match k {
        "user" => r.user = s.text(d)?,
        "ip" => r.ip = s.text(d)?,
        "tenant" => r.tenant = s.text(d)?,
        _ => s.skip(d)?,
    }
    Ok(())
}

fn fields_key<'a>(s: &mut Scanner<'a>, k: &str, f: &mut Fields<'a>, d: usize) -> R<()> {
    match k {
        "rule" => f.rule = s.text(d)?,
        "user" => f.user = s.text(d)?,
        "ip" => f.ip = s.text(d)?,
        "event" => f.event = s.text(d)?,
        "fn" => f.func = s.text(d)?,
        "tenant" => f.tenant = s.text(d)?,
        "usage" => f.usage = s.text(d)?,
        "first_seen" => f.first_seen = s.text(d)?,
        "count" => f.count = s.num(d)?,
        "window_s" => f.window_s = s.num(d)?,
        "p50_ns" => f.p50_ns = s.num(d)?,
        "p95_ns" => f.p95_ns = s.num(d)?,
        "p99_ns" => f.p99_ns = s.num(d)?,
        "max_ns" => f.max_ns = s.num(d)?,
        "budget_ns" => f.budget_ns = s.num(d)?,
        "over_budget" => f.over_budget = s.num(d)?,
        "calls" => f.calls = s.num(d)?,
        "units" => f.units = s.num(d)?,
        "clock" => s.nested(d, |s, k| clock_key(s, k, &mut f.clock, d + 1))?,
        _ => s.skip(d)?,
    }
    Ok(())
}

fn clock_key<'a>(s: &mut Scanner<'a>, k: &str, c: &mut Clock<'a>, d: usize) -> R<()> {
    match k {
        "source" => c.source = s.text(d)?,
        "synced" => c.synced = s.num(d)?.map(|n| n != 0),
        "max_error_us" => c.max_error_us = s.num(d)?,
        "est_error_us" => c.est_error_us = s.num(d)?,
        _ => s.skip(d)?,
    }
    Ok(())
}

/// `usage`: a name, or `{"name" | "usage", "units"}`.
fn usage<'a>(s: &mut Scanner<'a>, r: &mut Record<'a>, d: usize) -> R<()> {
    let mut name = None;
    let mut units = None;
    match s.kind(d, |s, k| {
        match k {
            "name" | "usage" => name = Some(s.text(d + 1)?),
            "units" => units = Some(s.num(d + 1)?),
            _ => s.skip(d + 1)?,
        }
        Ok(())
    })? {
        Kind::Str(u) => r.usage = Some(Cow::Borrowed(u)),
        Kind::Object => {
            if let Some(n) = name {
                r.usage = n;
            }
            if let Some(u) = units {
                r.units = u;
            }
        }
        Kind::Other => {}
    }
    Ok(())
}

fn seclog_key<'a>(s: &mut Scanner<'a>, k: &str, r: &mut Record<'a>, d: usize) -> R<()> {
    match k {
        "outcome" => r.outcome = s.text(d)?,
        "who" => s.nested(d, |s, k| who_key(s, k, r, d + 1))?,
        "where" => s.nested(d, |s, k| where_key(s, k, r, d + 1))?,
        "fields" => {
            let f = &mut r.fields;
            s.nested(d, |s, k| fields_key(s, k, f, d + 1))?
        }
        "budget_ns" => r.budget_ns = s.num(d)?,
        "over_budget" => r.over_budget = s.num(d)?.map(|n| n != 0),
        "usage" => usage(s, r, d)?,
        "units" => r.units = s.num(d)?,
        "unparsed" => {
            s.skip(d)?;
            r.event = None;
            r.meta = false;
        }
        _ => s.skip(d)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_serde;

    const LINES: &[&str] = &[
        r#"{"ts":"2026-11-22T12:00:00.000000123Z","seq":7,"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":52311,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::auth::login","file":"src/auth.rs","line":17},"who":{"user":"alice","ip":"203.0.113.7","user_agent":"curl/8.5.0","request_id":"r-91"},"inputs":{"req":{"username":"alice","password":"[REDACTED]"}},"error":{"BadCredentials":null}}"#,
        r#"{"ts":"2026-11-22T12:00:01Z","seq":8,"event":"reports.export","level":"WARN","outcome":"success","duration_ns":300000000,"budget_ns":250000000,"over_budget":true,"where":{"fn":"shop::reports::export"},"who":{"user":"bob","tenant":"acme"},"usage":"reports.export","units":3,"inputs":{"rows":[1,2.5,-3,1e9,true,false,null,[],{}]},"output":null}"#,
        r#"{"ts":"2026-11-22T12:00:02Z","event":"seclog.alert","level":"WARN","outcome":"success","fields":{"rule":"credential_stuffing","ip":"198.51.100.4","count":25,"window_s":60,"first_seen":"2026-11-22T11:59:30Z"}}"#,
        r#"{"ts":"2026-11-22T12:00:03Z","event":"seclog.perf","fields":{"fn":"shop::a","count":10,"p50_ns":1,"p95_ns":2,"p99_ns":3,"max_ns":4,"budget_ns":5,"over_budget":6}}"#,
        r#"{"ts":"2026-11-22T12:00:04Z","event":"seclog.usage","fields":{"usage":"pdf","tenant":"t","user":"u","calls":"12","units":1.5}}"#,
        r#"{"ts":"2026-11-22T12:00:05Z","event":"sys_startup","where":{"service":"shop","host":"web-2","pid":412},"fields":{"seclog_version":"0.1.0","clock":{"source":"adjtimex","synced":false,"max_error_us":16000000,"est_error_us":0}}}"#,
        r#"{"event":"seclog.chain","where":{"host":7,"pid":"9"},"fields":{"clock":{"synced":true,"max_error_us":-1,"x":{}},"chain":"ab"}}"#,
        r#"{"event":"e","fields":{"clock":"adjtimex"},"host":{"hostname":"h"},"process":{"pid":3},"service":{"name":"s"}}"#,
        r#"{"event":"e","usage":{"name":"pdf","units":2,"x":[{"y":"z"}]}}"#,
        r#"{"event":"e","usage":{"units":2}}"#,
        r#"{"event":"e","usage":7,"units":-1}"#,
        r#"{"event":{"action":"x","outcome":"failure","duration":5},"@timestamp":"t","log":{"level":"warn","origin":{"function":"f","file":{"name":"a"}}},"user":{"name":"u"},"source":{"ip":"1.2.3.4"},"seclog":{"outcome":"panic","who":{"tenant":"t"},"fields":{"rule":"r"},"budget_ns":3,"over_budget":false,"usage":"u","units":2}}"#,
        r#"{"event":{"outcome":"failure"}}"#,
        r#"{"event":{"action":5}}"#,
        r#"{"ecs":{"version":"8"},"seclog":{"unparsed":"garbage"}}"#,
        r#"{"event":"e","who":{"user":"al\"ice","ip":"\u00e9"}}"#,
        r#"{"ev\u0065nt":"e"}"#,
        r#"{"event":"e","inputs":"\ud83d\ude00 \ud800"}"#,
        r#"{"event":"e","duration_ns":18446744073709551616}"#,
        r#"{"event":"e","duration_ns":-0,"budget_ns":1.0e3}"#,
        r#"{"event":"e","where":"nowhere","who":[1],"fields":null}"#,
        r#"{"seclog_file":{"index":0,"prev":"00"},"mac":"ab"}"#,
        r#"{"seclog_key":{"chain":"ab","seq":3,"encrypted_key":"00"}}"#,
        r#"  {"event" : "e" , "ts" : "x" }  "#,
        r#"{"event":"a","event":"b","ts":1,"ts":"t"}"#,
        r#"{}"#,
        r#"{"event":"é ü 日本"}"#,
        "not json",
        "[1,2]",
        r#"{"event":"x""#,
        r#"{"event":"x"} x"#,
        r#"{"event":"x",}"#,
        r#"{"event":"x" "y":1}"#,
        r#"{"event":01}"#,
        r#"{"event":"x","n":1.}"#,
        r#"{"event":"x","n":.5}"#,
        r#"{"event":"x","n":tru}"#,
        r#"{"event":"x","n":"\x"}"#,
        r#"{"event":"x","n":"\u12g4"}"#,
        "{\"event\":\"x\",\"n\":\"tab\there\"}",
        r#"{"event":"x","n":[1,]}"#,
        r#"{"event":"x","n":{"a"}}"#,
        r#"{'event':'x'}"#,
    ];

    fn agree(line: &[u8]) -> bool {
        let mut r = Record::default();
        match scan(line, &mut r) {
            Scan::Done => {
                assert_eq!(
                    parse_serde(line).ok(),
                    Some(r),
                    "{}",
                    String::from_utf8_lossy(line)
                );
                false
            }
            // serde skips ignored strings without checking their UTF-8; the scanner checks the
            // whole line, so only valid UTF-8 must be judged alike.
            Scan::NotJson if std::str::from_utf8(line).is_err() => false,
            Scan::NotJson => {
                assert!(
                    parse_serde(line).is_err(),
                    "the scanner refused JSON: {}",
                    String::from_utf8_lossy(line)
                );
                false
            }
            Scan::Fallback => true,
        }
    }

    #[test]
    fn the_scanner_and_serde_agree() {
        for (i, line) in LINES.iter().enumerate() {
            let fallback = agree(line.as_bytes());
            assert!(
                i >= 4 || !fallback,
                "a plain record is read by the scanner: {line}"
            );
            let mut ecs = Vec::new();
            seclog_runtime::Format::Ecs.convert(format!("{line}\n").as_bytes(), &mut ecs);
            agree(ecs.strip_suffix(b"\n").unwrap());
        }
    }

    #[test]
    fn the_scanner_and_serde_agree_on_damaged_lines() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const NOISE: &[u8] = b"{}[]\",:\\ 0-.eE+tfnu\x01\xc3\xa9a";
        for _ in 0..60_000 {
            let mut line = LINES[(rnd() % 23) as usize].as_bytes().to_vec();
            for _ in 0..=rnd() % 3 {
                let at = (rnd() % line.len() as u64) as usize;
                match rnd() % 3 {
                    0 => line[at] = NOISE[(rnd() % NOISE.len() as u64) as usize],
                    1 => {
                        line.remove(at);
                    }
                    _ => line.insert(at, NOISE[(rnd() % NOISE.len() as u64) as usize]),
                }
                if line.is_empty() {
                    break;
                }
            }
            agree(&line);
        }
    }

    #[test]
    fn deep_nesting_is_left_to_serde_without_recursing() {
        let deep = format!(
            "{{\"event\":\"x\",\"a\":{}1{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(
            scan(deep.as_bytes(), &mut Record::default()),
            Scan::Fallback
        );
        // serde skips an ignored value without recursion.
        assert_eq!(
            parse_serde(deep.as_bytes()).unwrap().event.as_deref(),
            Some("x")
        );
    }
}
