//! Records as `tracing` events (feature `tracing`), so that existing subscribers (a JSON
//! formatter, OpenTelemetry exporters, Sentry) receive them.
//!
//! Each record becomes one event with target `seclog`, emitted on the thread that made the
//! record, at the tracing level of the record's level (`CRITICAL` and `ERROR` are
//! `tracing::Level::ERROR`). Its fields:
//!
//! | field | value |
//! |---|---|
//! | `message` | the event name |
//! | `event`, `outcome`, `level` | as in the record (`level` keeps `CRITICAL`) |
//! | `seq`, `duration_ns` | as in the record |
//! | `user`, `ip` | `who.user`, `who.ip`, when known |
//! | `fn` | `where.fn` |
//! | `record` | the whole JSON record |
//!
//! The bridge receives the finished record: redaction, the secret scanner and the size limits
//! have been applied, so a subscriber sees nothing the log would not.
//!
//! ```no_run
//! use tracing_subscriber::prelude::*;
//!
//! tracing_subscriber::registry()
//!     .with(tracing_subscriber::fmt::layer().json())
//!     .init();
//! let _guard = seclog::builder()
//!     .tracing(seclog::bridge::Bridge::Only)
//!     .install()
//!     .expect("installed once");
//! ```

use serde_json::Value;

/// Whether records go to `tracing` as well as to the sinks, or instead of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bridge {
    /// To the sinks and to `tracing`.
    Also,
    /// To `tracing` only: the sinks receive nothing.
    Only,
}

/// Emits one `tracing` event with the fields of the record.
macro_rules! emit_at {
    ($level:expr, $v:ident, $record:ident) => {{
        let s = |ptr: &str| $v.pointer(ptr).and_then(Value::as_str);
        let u = |ptr: &str| $v.pointer(ptr).and_then(Value::as_u64);
        let event = s("/event").unwrap_or("");
        tracing::event!(
            target: "seclog",
            $level,
            event,
            outcome = s("/outcome"),
            level = s("/level"),
            seq = u("/seq"),
            duration_ns = u("/duration_ns"),
            user = s("/who/user"),
            ip = s("/who/ip"),
            r#fn = s("/where/fn"),
            record = $record,
            "{event}"
        )
    }};
}

impl Bridge {
    pub(crate) fn only(self) -> bool {
        self == Bridge::Only
    }

    /// Sends one finished record (a complete JSON line) as a `tracing` event.
    pub(crate) fn emit(self, record: &[u8]) {
        use tracing::Level;
        let text = std::str::from_utf8(record).unwrap_or("").trim_end();
        let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        match v.pointer("/level").and_then(Value::as_str) {
            Some("CRITICAL" | "ERROR") => emit_at!(Level::ERROR, v, text),
            Some("WARN") => emit_at!(Level::WARN, v, text),
            Some("DEBUG") => emit_at!(Level::DEBUG, v, text),
            Some("TRACE") => emit_at!(Level::TRACE, v, text),
            _ => emit_at!(Level::INFO, v, text),
        }
    }
}
