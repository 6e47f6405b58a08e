//! The runtime of [seclog](https://docs.rs/seclog): records, [`Loggable`], redaction, sinks
//! and capture for tests.
//!
//! Depend on the `seclog` facade rather than on this crate: it re-exports everything here
//! together with the `#[security_logged]` and `#[derive(Redact)]` macros.
//!
//! # Module map
//!
//! Folders name the layers, lowest first; a layer uses only its own modules and those below.
//!
//! | layer | holds | public as |
//! |---|---|---|
//! | `redact/` | what a withheld value becomes, decided on plain text: strategies, the pseudonym key, [`Secret`], the scanner for secrets and personal data (and its switches) | [`redact`] |
//! | `record/` | the hot path: the [`Encoder`] (escaping, [`Limits`], the scanner on every unmarked string), [`Loggable`], [`Level`], time, the clock's state (`adjtimex`), the `Invocation` that writes one record's body, the finisher that completes it (`pending`), and the writers of redacted values | [`Encoder`], [`Loggable`], [`Level`], [`Limits`], [`Outcome`], [`to_json`] |
//! | `who/` | the caller: the ambient [`context`] across async code, [`Caller`], [`Identify`]; the axum and Lambda adapters | [`context`], `axum`, `lambda` |
//! | `what/` | what happened: typed [`events`], rejected input ([`validation`]), [`upload`]s, [`sql`] by shape, the [`crash`] hook | same names |
//! | `format/`, `integrity/` | a record as ECS; the forward-secure chain and its verifier | [`format`], [`integrity`] |
//! | `watch/` | what the records say over time: latency summaries and drift, usage and quotas, attack rules, in bounded memory; fed by the writer, it writes its findings as records through the record layer | [`watch`] |
//! | `sink/` | where bytes go: stdout, files (sealed into the chain), syslog, any writer | [`sink`] |
//! | `delivery/` | the bounded queue and the background writer between handlers and sinks; the `tracing` bridge | [`delivery`], `bridge` |
//! | `setup/` | the [`Builder`], the environment, the process-wide dispatcher, the level filter | [`builder`], [`init`], [`flush`], [`set_level`] |
//! | `testing.rs` | capture of records in tests: a leaf the dispatcher hands records to | [`testing`] |
//! | `hex.rs` | hex digits for keys, MACs and pseudonyms: a leaf under every layer | |
//!
//! Redaction sits below the record because what must never be logged is decided on text,
//! before there is a record to write it into; the record applies it as it encodes.
//!
//! Two needs cross the layers upwards, each by one narrow path:
//! - The record needs the process-wide configuration (its limits, `where`, the level filter,
//!   the hand-over of finished bytes), and so does [`delivery::stats`]: both go through
//!   `setup::current()`, which returns the dispatcher, and use only its few crate-wide methods.
//!   A record's last steps (its head, the scan of its strings, its list of redactions) are
//!   taken by `record/pending.rs` on the thread that finishes it, the writer's as a rule:
//!   that module reads the same configuration by the same path.
//! - The record's `who` and `#[sql]` inputs are written by the layers that own them: `who/`
//!   and `what/sql.rs` add `Invocation::identify` and `Invocation::input_sql` to the type the
//!   record defines, and write through its crate-wide methods.
//!
//! The hash key and the scanner's switches (secret rules, personal-data kinds) live in
//! `redact/`; the set-up writes them at install.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod delivery;
pub mod format;
mod hex;
pub mod integrity;
mod record;
pub mod redact;
mod setup;
pub mod sink;
pub mod testing;
pub mod watch;
mod what;
mod who;

#[cfg(feature = "tracing")]
pub use delivery::bridge;
pub use format::Format;
pub use record::{Array, Encoder, Level, Limits, LogKey, Loggable, Object, Outcome};
pub use record::{ParseLevelError, to_json};
pub use redact::{HashKey, REDACTED, Secret};
pub use setup::builder::{Builder, Guard, InitError, builder, init};
pub use setup::dispatch::{flush, flush_within};
pub use setup::filter::{STATIC_MIN_LEVEL, level, set_level};
pub use sink::Sink;
pub use what::{crash, events, sql, upload, validation};
#[cfg(feature = "axum")]
pub use who::axum;
pub use who::context;
pub use who::context::{Caller, Identify};
#[cfg(feature = "lambda")]
pub use who::lambda;

/// What generated code refers to. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::record::redacted as redact;
    pub use crate::record::serde_value::SerdeValue;
    pub use crate::record::{
        Callsite, CallsiteMeta, Encoder, Facts, Invocation, Level, Loggable, Outcome, Units,
    };
    pub use crate::setup::filter::enabled;
    pub use crate::who::context::{Caller, Identify};
    pub use serde;

    /// Runs a function body moved into a closure. Taking `FnOnce` makes the closure `FnOnce`,
    /// so a body may return borrows of its by-value parameters' referents (`&mut` params).
    #[inline(always)]
    pub fn call<R>(body: impl FnOnce() -> R) -> R {
        body()
    }

    /// Hands a function body's closure back unchanged: passing it where its signature is
    /// expected gives it the inference it would have as an argument.
    #[inline(always)]
    pub fn body<R, F: FnOnce(Option<&mut Invocation>) -> R>(body: F) -> F {
        body
    }

    /// The recorded path of a sync `#[security_logged]` function: starts the invocation, runs
    /// the body (which records the inputs first), and finishes the record with the output.
    /// Out of line, so that a call the level filter turns off does not pay for its frame. A
    /// panic in the body drops the invocation, which records it.
    #[inline(never)]
    pub fn instrumented<R>(
        callsite: &'static Callsite,
        body: impl FnOnce(Option<&mut Invocation>) -> R,
        finish: impl FnOnce(&mut Invocation, &R),
    ) -> R {
        let mut inv = Invocation::start(callsite);
        let ret = body(Some(&mut inv));
        finish(&mut inv, &ret);
        ret
    }
}
