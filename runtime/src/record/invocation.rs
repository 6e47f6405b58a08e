//! The record: what one invocation writes, and how its bytes are built.
//!
//! A record is assembled from three kinds of parts:
//! - constant per call site, encoded once ([`Callsite`]): event, level, outcome and `where`;
//! - per invocation, encoded as the call runs ([`Invocation`]): `who`, `inputs`, `fields`,
//!   and at the end `output` or `error`: the record's body, whose strings to scan and
//!   redactions to list are marked for the finisher ([`super::pending`]);
//! - from the facts the invocation hands over with its body (`duration_ns`, `ts`, the body's
//!   start, and `seq`, taken when the record is queued): the head, written by the finisher on
//!   the thread that finishes the record, the writer's as a rule.
//!
//! Layout of one line:
//! `{"ts":..,"seq":..,"event":..,"level":..,"outcome":..,"duration_ns":..[,"budget_ns":..,"over_budget":..][,"usage":..,"units":..],"where":{..},`
//! `"who":{..},"inputs":{..},"fields":{..},"output":..|"error":..}`

use std::cell::RefCell;
use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::atomic::AtomicU16;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use super::encoder::{Encoder, escape_into, write_str_limited};
use super::level::Level;
use super::loggable::Loggable;
use super::pending::{self, Header, Root};
use crate::redact;
// The one way up: the process-wide dispatcher (limits, `where`, the level filter, hand-over).
use crate::setup::{self, Dispatcher};

/// How an invocation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It returned (an `Ok`, or any value of a function not returning `Result`).
    Success,
    /// It returned an `Err`.
    Failure,
    /// It panicked; the panic goes on after the record is written.
    Panic,
    /// An async call was dropped before it finished.
    Cancelled,
}

impl Outcome {
    /// The name written in records.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Panic => "panic",
            Outcome::Cancelled => "cancelled",
        }
    }

    pub(crate) const ALL: [Outcome; 4] = [
        Outcome::Success,
        Outcome::Failure,
        Outcome::Panic,
        Outcome::Cancelled,
    ];
}

/// What the macro knows of a call site at compile time.
#[doc(hidden)]
#[derive(Debug)]
pub struct CallsiteMeta {
    pub fn_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    /// Event name per outcome, in [`Outcome`] order.
    pub events: [&'static str; 4],
    /// Level per outcome, in [`Outcome`] order.
    pub levels: [Level; 4],
    /// Recorded whatever the level filter says.
    pub mandatory: bool,
}

/// One `#[security_logged]` function: its constant parts, encoded once per set-up.
#[doc(hidden)]
pub struct Callsite {
    meta: CallsiteMeta,
    /// `budget = ".."`, in nanoseconds; 0 when the call site has no budget.
    budget_ns: u64,
    /// `usage = ".."`; empty when the call site counts no usage.
    usage: &'static str,
    /// An `event!` call site, not a handler: its duration is only the time to encode it.
    event_site: bool,
    /// Its number for the watcher, given on its first record (0 until then).
    pub(super) id: AtomicU16,
    fragments: [OnceLock<Fragments>; 2],
}

pub(super) struct Fragments {
    /// `,"event":..,"level":..,"outcome":..,"duration_ns":` per outcome.
    pub(super) heads: [Box<[u8]>; 4],
    /// The same for a call over its budget: the level raised to `WARN` at least.
    pub(super) heads_over_budget: [Box<[u8]>; 4],
    /// `,"budget_ns":..,"over_budget":` (empty without a budget).
    pub(super) budget: Box<[u8]>,
    /// `,"usage":..,"units":` (empty without a usage).
    pub(super) usage: Box<[u8]>,
    /// `,"where":{"service":..,"fn":..` — `where` up to its location.
    pub(super) where_head: Box<[u8]>,
    /// `,"file":..,"line":..`.
    pub(super) where_location: Box<[u8]>,
}

impl fmt::Debug for Callsite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callsite")
            .field("meta", &self.meta)
            .field("budget_ns", &self.budget_ns)
            .field("usage", &self.usage)
            .field("event_site", &self.event_site)
            .finish_non_exhaustive()
    }
}

impl Callsite {
    pub const fn new(meta: CallsiteMeta) -> Self {
        Callsite {
            meta,
            budget_ns: 0,
            usage: "",
            event_site: false,
            id: AtomicU16::new(0),
            fragments: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// Gives the call site a time budget (`#[security_logged(budget = "250ms")]`); 0 is none.
    pub const fn with_budget_ns(mut self, budget_ns: u64) -> Self {
        self.budget_ns = budget_ns;
        self
    }

    /// Counts every call under `usage` (`#[security_logged(usage = "..")]`).
    pub const fn with_usage(mut self, usage: &'static str) -> Self {
        self.usage = usage;
        self
    }

    /// Marks an `event!` call site: the watcher keeps no latency for it.
    pub const fn event_site(mut self) -> Self {
        self.event_site = true;
        self
    }

    /// What the macro knew of the call site.
    pub(crate) fn meta(&self) -> &CallsiteMeta {
        &self.meta
    }

    /// The time budget in nanoseconds; 0 when there is none.
    pub(crate) fn budget_ns(&self) -> u64 {
        self.budget_ns
    }

    /// The usage its calls count under; empty when none.
    pub(crate) fn usage(&self) -> &'static str {
        self.usage
    }

    /// Whether this is an `event!` call site rather than a handler.
    pub(crate) fn is_event_site(&self) -> bool {
        self.event_site
    }

    /// The level of a record with `outcome`, over its budget or not.
    fn level(&self, outcome: Outcome, over_budget: bool) -> Level {
        let level = self.meta.levels[outcome as usize];
        if over_budget {
            level.max(Level::Warn)
        } else {
            level
        }
    }

    fn head(&self, outcome: Outcome, over_budget: bool) -> Box<[u8]> {
        let mut b = Vec::with_capacity(96);
        b.extend_from_slice(b",\"event\":");
        write_str_limited(&mut b, self.meta.events[outcome as usize], usize::MAX);
        b.extend_from_slice(b",\"level\":\"");
        b.extend_from_slice(self.level(outcome, over_budget).as_str().as_bytes());
        b.extend_from_slice(b"\",\"outcome\":\"");
        b.extend_from_slice(outcome.as_str().as_bytes());
        b.extend_from_slice(b"\",\"duration_ns\":");
        b.into_boxed_slice()
    }

    pub(super) fn fragments(&self, d: &Dispatcher) -> &Fragments {
        self.fragments[d.slot()].get_or_init(|| {
            let (where_head, where_location) = d.where_fragments(&self.meta);
            let budget = if self.budget_ns == 0 {
                Box::default()
            } else {
                let mut b = b",\"budget_ns\":".to_vec();
                b.extend_from_slice(itoa::Buffer::new().format(self.budget_ns).as_bytes());
                b.extend_from_slice(b",\"over_budget\":");
                b.into_boxed_slice()
            };
            let usage = if self.usage.is_empty() {
                Box::default()
            } else {
                let mut b = b",\"usage\":".to_vec();
                write_str_limited(&mut b, self.usage, usize::MAX);
                b.extend_from_slice(b",\"units\":");
                b.into_boxed_slice()
            };
            Fragments {
                usage,
                heads: Outcome::ALL.map(|o| self.head(o, false)),
                heads_over_budget: Outcome::ALL.map(|o| self.head(o, true)),
                budget,
                where_head,
                where_location,
            }
        })
    }
}

thread_local! {
    /// Spare buffers for records' bodies, so that a call allocates nothing in the steady
    /// state.
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

const POOL_MAX: usize = 16;
const BUF_KEEP_MAX: usize = 64 * 1024;

fn take_scratch() -> Vec<u8> {
    POOL.try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop()))
        .ok()
        .flatten()
        .unwrap_or_else(|| Vec::with_capacity(512))
}

fn return_scratch(mut scratch: Vec<u8>) {
    if scratch.capacity() > BUF_KEEP_MAX {
        return;
    }
    scratch.clear();
    let _ = POOL.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut()
            && p.len() < POOL_MAX
        {
            p.push(scratch);
        }
    });
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Inputs,
    Fields,
}

/// One call in progress. Built by the code `#[security_logged]` generates; emits exactly one
/// record: on `finish_*`, or on drop (a panic, or an async call dropped before it finished).
#[doc(hidden)]
pub struct Invocation {
    callsite: &'static Callsite,
    dispatcher: &'static Dispatcher,
    /// `who`, `inputs`, `fields`, and at the end `output` / `error`: the body the record is
    /// finished from (see [`pending`]), its strings still to scan.
    buf: Vec<u8>,
    section: Section,
    /// When the handler's body began ([`Invocation::begin_body`]); none for an event.
    start: Option<Instant>,
    /// The body's time, read as it returned: before the output is recorded, so that
    /// recording it (the first time, paging in seclog's own code) is not the handler's time.
    duration_ns: Option<u64>,
    finished: bool,
    /// Members the ambient context adds to `where` (e.g. `"lambda":{...}`).
    where_extra: Option<Arc<[u8]>>,
    /// Where the record was made, when not the call site's own location (helpers called
    /// with `#[track_caller]`).
    location: Option<&'static Location<'static>>,
    /// Units of the call site's usage this call counts (`units = ..`, default 1).
    units: u64,
    /// Short strings are scanned on this thread rather than by the writer.
    settle_short: bool,
}

impl Invocation {
    #[inline]
    pub fn start(callsite: &'static Callsite) -> Self {
        let dispatcher = setup::current();
        let buf = take_scratch();
        Invocation {
            callsite,
            dispatcher,
            buf,
            section: Section::None,
            start: None,
            duration_ns: None,
            finished: false,
            where_extra: None,
            location: None,
            units: 1,
            settle_short: dispatcher.pipeline().settles_short_strings(),
        }
    }

    /// Starts the clock of `duration_ns`: called once the caller and the inputs are recorded,
    /// just before the handler's body runs, so that the duration is the body's alone —
    /// recording the inputs (and, the first time, seclog's own start-up) is not the
    /// handler's time.
    #[inline]
    pub fn begin_body(&mut self) {
        self.start = Some(Instant::now());
    }

    /// Sets the units of the call site's usage this call counts (`units = ..`).
    pub fn set_units(&mut self, units: u64) {
        self.units = units;
    }

    /// Like [`start`](Self::start), recording `location` as `where.file` / `where.line`.
    pub fn start_at(callsite: &'static Callsite, location: &'static Location<'static>) -> Self {
        let mut inv = Self::start(callsite);
        // The call site's own location is encoded once, with the call site.
        let meta = &callsite.meta;
        if location.line() != meta.line || location.file() != meta.file {
            inv.location = Some(location);
        }
        inv
    }

    /// Writes the `who` member with `write` (see `who::context`, which calls it from
    /// `identify`) and takes `where_members` for `where`. A panicking `Display` leaves a marker.
    pub(crate) fn write_who(
        &mut self,
        where_members: Option<Arc<[u8]>>,
        write: impl FnOnce(&mut Encoder<'_>),
    ) {
        let limits = self.dispatcher.limits();
        let mark = self.buf.len();
        self.where_extra = where_members;
        pending::mark_root(&mut self.buf, Root::Who, "");
        let (buf, settle) = (&mut self.buf, self.settle_short);
        let wrote = catch_unwind(AssertUnwindSafe(|| {
            write(&mut Encoder::marked(buf, limits, settle))
        }));
        if wrote.is_err() {
            self.buf.truncate(mark);
            self.buf.extend_from_slice(
                b",\"who\":{\"user\":\"[unloggable: its Display impl panicked]\"}",
            );
        }
    }

    /// Opens `section` if needed and writes `key_json`: a name encoded as JSON at compile time,
    /// colon included.
    fn open(&mut self, section: Section, key_json: &'static str) {
        if self.section == section {
            self.buf.push(b',');
        } else {
            self.close_section();
            self.section = section;
            self.buf.extend_from_slice(match section {
                Section::Inputs => b",\"inputs\":{",
                _ => b",\"fields\":{",
            });
        }
        self.buf.extend_from_slice(key_json.as_bytes());
        let root = if section == Section::Inputs {
            Root::Inputs
        } else {
            Root::Fields
        };
        pending::mark_root(&mut self.buf, root, key_json);
    }

    /// Starts `output` or `error`.
    fn open_end(&mut self, key: &[u8], root: Root) {
        self.close_section();
        self.buf.extend_from_slice(key);
        pending::mark_root(&mut self.buf, root, "");
    }

    fn close_section(&mut self) {
        if self.section != Section::None {
            self.buf.push(b'}');
            self.section = Section::None;
        }
    }

    fn value<T: Loggable + ?Sized>(&mut self, value: &T) {
        self.encode(|enc| enc.value(value));
    }

    /// Runs an encoding step on this record's body.
    fn encode(&mut self, f: impl FnOnce(&mut Encoder<'_>)) {
        let limits = self.dispatcher.limits();
        let settle = self.settle_short;
        guarded(&mut self.buf, |buf| {
            f(&mut Encoder::marked(buf, limits, settle))
        });
    }

    /// Records a parameter; `key_json` is its name encoded as JSON, colon included.
    #[inline]
    pub fn input<T: Loggable + ?Sized>(&mut self, key_json: &'static str, value: &T) {
        self.open(Section::Inputs, key_json);
        self.value(value);
    }

    /// Records a parameter marked `#[public]`: its strings are not scanned for secrets.
    pub fn input_public<T: Loggable + ?Sized>(&mut self, key_json: &'static str, value: &T) {
        self.open(Section::Inputs, key_json);
        self.encode(|enc| enc.public_value(value));
    }

    /// Records a parameter as `text`, already redacted, listed in the manifest as `how`.
    pub(crate) fn input_redacted_as(&mut self, key_json: &'static str, how: &str, text: &str) {
        self.open(Section::Inputs, key_json);
        pending::mark_note(&mut self.buf, how);
        self.encode(|enc| enc.raw_str(text));
    }

    /// Records a parameter written by `f` (a `#[redact(strategy)]`).
    pub fn input_with(&mut self, key_json: &'static str, f: impl FnOnce(&mut Encoder<'_>)) {
        self.open(Section::Inputs, key_json);
        self.encode(f);
    }

    /// Records a parameter as `"[REDACTED]"`.
    pub fn input_redacted(&mut self, key_json: &'static str) {
        self.open(Section::Inputs, key_json);
        pending::mark_note(&mut self.buf, "full");
        redact::write_redacted(&mut self.buf);
    }

    /// Records a `fields(key = value)` entry.
    pub fn field<T: Loggable + ?Sized>(&mut self, key_json: &'static str, value: &T) {
        self.open(Section::Fields, key_json);
        self.value(value);
    }

    /// Success, with the returned value recorded as `output`.
    #[inline]
    pub fn finish_output<T: Loggable + ?Sized>(&mut self, output: &T) {
        self.stop_clock();
        self.open_end(b",\"output\":", Root::Output);
        self.value(output);
        self.emit(Outcome::Success);
    }

    /// Success, with no `output` (a unit return, or `ret = skip`).
    pub fn finish_success(&mut self) {
        self.stop_clock();
        self.close_section();
        self.emit(Outcome::Success);
    }

    /// Failure, with the `Err` value recorded as `error`.
    pub fn finish_error<E: Loggable + ?Sized>(&mut self, error: &E) {
        self.stop_clock();
        self.open_end(b",\"error\":", Root::Error);
        self.value(error);
        self.emit(Outcome::Failure);
    }

    /// Failure, with the error's `Display` form recorded as `error` (`err = display`).
    pub fn finish_error_display<E: fmt::Display + ?Sized>(&mut self, error: &E) {
        self.stop_clock();
        self.open_end(b",\"error\":", Root::Error);
        self.encode(|enc| enc.display(&error));
        self.emit(Outcome::Failure);
    }

    /// Failure, with the error's `Debug` form recorded as `error` (`err = debug`).
    pub fn finish_error_debug<E: fmt::Debug + ?Sized>(&mut self, error: &E) {
        self.stop_clock();
        self.open_end(b",\"error\":", Root::Error);
        self.encode(|enc| enc.debug(&error));
        self.emit(Outcome::Failure);
    }

    /// Failure, with no `error` (`err = skip`).
    pub fn finish_failure(&mut self) {
        self.stop_clock();
        self.close_section();
        self.emit(Outcome::Failure);
    }

    /// Reads the body's time, once: as the body returns (or unwinds), before anything else.
    #[inline]
    fn stop_clock(&mut self) {
        if self.duration_ns.is_none() {
            // An event has no body: its duration is 0.
            self.duration_ns = Some(self.start.map_or(0, |s| {
                u64::try_from(s.elapsed().as_nanos()).unwrap_or(u64::MAX)
            }));
        }
    }

    fn emit(&mut self, outcome: Outcome) {
        self.finished = true;
        self.stop_clock();
        let duration_ns = self.duration_ns.unwrap_or(0);
        let callsite = self.callsite;
        let over_budget = callsite.budget_ns != 0 && duration_ns > callsite.budget_ns;
        if !callsite.meta.mandatory
            && !self
                .dispatcher
                .enabled(callsite.level(outcome, over_budget))
        {
            return;
        }
        // `where`'s own members go last in the body; the finisher puts them in `where`.
        let where_start = self.buf.len();
        if let Some(l) = self.location {
            write_location(&mut self.buf, l.file(), l.line());
        }
        if let Some(extra) = &self.where_extra {
            self.buf.push(b',');
            self.buf.extend_from_slice(extra);
        }
        // A handler's `ts` is its body's start, on the clock reading `duration_ns` began with.
        let ts = self.start.unwrap_or_else(Instant::now);
        let header = Header {
            seq: 0,
            ts: super::time::mono(ts),
            duration_ns,
            units: self.units,
            where_len: u32::try_from(self.buf.len() - where_start).unwrap_or(0),
            site: callsite.id(),
            outcome,
            over_budget,
            own_location: self.location.is_some(),
        };
        self.dispatcher.emit_pending(&header, &self.buf, callsite);
    }
}

impl Drop for Invocation {
    fn drop(&mut self) {
        if !self.finished {
            self.stop_clock();
            self.close_section();
            let outcome = if std::thread::panicking() {
                Outcome::Panic
            } else {
                Outcome::Cancelled
            };
            self.emit(outcome);
        }
        return_scratch(std::mem::take(&mut self.buf));
    }
}

/// Runs an encoding step; if a `Loggable` or `Display` impl panics, what it wrote is replaced
/// by a marker so that the record stays valid and later records are unaffected.
#[inline]
fn guarded(buf: &mut Vec<u8>, encode: impl FnOnce(&mut Vec<u8>)) {
    let mark = buf.len();
    if catch_unwind(AssertUnwindSafe(|| encode(&mut *buf))).is_err() {
        buf.truncate(mark);
        buf.extend_from_slice(b"\"[unloggable: its Loggable impl panicked]\"");
    }
}

/// `,"file":"..","line":N`. A file of seclog's runtime is written as
/// `seclog-runtime/src/<path in src>`, whatever path it was built from (`runtime/src/..` in
/// seclog's workspace, the registry's absolute path when built from crates.io): the records
/// seclog writes itself carry no path of the machine that built it.
pub(crate) fn write_location(buf: &mut Vec<u8>, file: &str, line: u32) {
    buf.extend_from_slice(b",\"file\":\"");
    write_file(buf, runtime_src(), file);
    buf.extend_from_slice(b"\",\"line\":");
    buf.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
}

/// `file`, escaped, a file under `src` (the runtime's `src/`) as `seclog-runtime/src/..`.
fn write_file(buf: &mut Vec<u8>, src: &str, file: &str) {
    let Some(path) = in_runtime_src(src, file) else {
        escape_into(buf, file);
        return;
    };
    buf.extend_from_slice(b"seclog-runtime/src/");
    for (i, part) in path.split('\\').enumerate() {
        if i > 0 {
            buf.push(b'/');
        }
        escape_into(buf, part);
    }
}

/// The runtime's `src/` directory as `file!()` spells it in this build; empty if it cannot
/// be told.
fn runtime_src() -> &'static str {
    const HERE: &str = file!();
    const IN_SRC: &str = "record/invocation.rs";
    match HERE
        .len()
        .checked_sub(IN_SRC.len())
        .and_then(|n| HERE.get(..n))
    {
        Some(src) if src.ends_with("src/") || src.ends_with("src\\") => src,
        _ => "",
    }
}

/// `file`'s path inside `src` (the runtime's `src/`), when it is one of the runtime's files.
fn in_runtime_src<'a>(src: &str, file: &'a str) -> Option<&'a str> {
    if src.is_empty() {
        return None;
    }
    file.strip_prefix(src)
}

/// The units of `#[security_logged(usage = "..", units = <expr>)]`: any unsigned integer.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`units` takes an unsigned integer, not `{Self}`",
    label = "not an unsigned integer (u8, u16, u32, u64, u128, usize)",
    note = "convert it, e.g. `units = u64::try_from(n).unwrap_or(0)`"
)]
pub trait Units {
    /// The value as `u64` (saturating).
    fn units(self) -> u64;
}

macro_rules! units {
    ($($t:ty),*) => {$(
        impl Units for $t {
            #[inline]
            fn units(self) -> u64 {
                u64::try_from(self).unwrap_or(u64::MAX)
            }
        }
    )*};
}
units!(u8, u16, u32, u64, u128, usize);

#[cfg(test)]
mod tests {
    use super::*;

    fn location(file: &str) -> String {
        let mut b = Vec::new();
        write_location(&mut b, file, 7);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn the_runtime_s_own_files_are_named_from_the_crate_on() {
        assert!(runtime_src().ends_with("src/") || runtime_src().ends_with("src\\"));
        assert_eq!(
            location(file!()),
            r#","file":"seclog-runtime/src/record/invocation.rs","line":7"#
        );
        let file = |src: &str, file: &str| {
            let mut b = Vec::new();
            write_file(&mut b, src, file);
            String::from_utf8(b).unwrap()
        };
        let registry = "/home/u/.cargo/registry/src/index.crates.io-0/seclog-runtime-0.1.0/src/";
        for (f, written) in [
            ("watch/mod.rs", "seclog-runtime/src/watch/mod.rs"),
            ("lib.rs", "seclog-runtime/src/lib.rs"),
        ] {
            assert_eq!(file(registry, &format!("{registry}{f}")), written);
        }
        let windows = r"C:\Users\u\.cargo\registry\src\i\seclog-runtime-0.1.0\src\";
        assert_eq!(
            file(windows, &format!(r"{windows}watch\mod.rs")),
            "seclog-runtime/src/watch/mod.rs"
        );
        // Other crates' files are left as the compiler gives them, absolute or not.
        for other in ["/home/u/shop/src/main.rs", "src/auth.rs", "tests/a.rs"] {
            assert_eq!(file(registry, other), other);
        }
        // Nothing is taken for the runtime's when its `src/` cannot be told.
        assert_eq!(file("", "src/main.rs"), "src/main.rs");
    }

    #[test]
    fn other_files_are_written_as_the_compiler_gives_them() {
        assert_eq!(
            location("shop/src/auth.rs"),
            r#","file":"shop/src/auth.rs","line":7"#
        );
        assert_eq!(
            location("/abs/src/a\"b.rs"),
            r#","file":"/abs/src/a\"b.rs","line":7"#
        );
    }
}
