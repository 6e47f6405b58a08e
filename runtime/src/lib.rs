//! The runtime of [seclog](https://docs.rs/seclog): records, [`Loggable`], redaction, sinks
//! and capture for tests.
//!
//! Depend on the `seclog` facade rather than on this crate: it re-exports everything here
//! together with the `#[security_logged]` and `#[derive(Redact)]` macros.
#![forbid(unsafe_code)]
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
mod what;
mod who;

#[cfg(feature = "tracing")]
pub use delivery::bridge;
pub use what::{crash, events, sql, upload, validation};
#[cfg(feature = "axum")]
pub use who::axum;
pub use who::context;
#[cfg(feature = "lambda")]
pub use who::lambda;

use record::{encoder, level, loggable, serde_value, time};
use setup::builder as config;
use setup::{dispatch, filter};

pub use config::{Builder, Guard, HashKey, InitError, Limits, builder, init};
pub use context::{Caller, Identify};
pub use dispatch::{flush, flush_within};
pub use encoder::{Array, Encoder, LogKey, Object};
pub use filter::{STATIC_MIN_LEVEL, level, set_level};
pub use format::Format;
pub use level::{Level, ParseLevelError};
pub use loggable::{Loggable, to_json};
pub use record::Outcome;
pub use redact::{REDACTED, Secret};
pub use sink::Sink;

/// What generated code refers to. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::context::{Caller, Identify};
    pub use crate::encoder::Encoder;
    pub use crate::filter::enabled;
    pub use crate::level::Level;
    pub use crate::loggable::Loggable;
    pub use crate::record::{Callsite, CallsiteMeta, Invocation};
    pub use crate::redact::strategy_writers as redact;
    pub use crate::serde_value::SerdeValue;
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
