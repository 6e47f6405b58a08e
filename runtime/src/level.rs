//! Record levels.

use std::fmt;

/// How serious a record is. Ordered: `Trace < Debug < Info < Warn < Error < Critical`.
///
/// A wrapped function's level comes from `level = "..."`, else from the OWASP vocabulary for
/// its event, else `Info`; a failure is recorded at least at `Warn` and a panic at least at
/// `Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Fine-grained diagnostics.
    Trace,
    /// Diagnostics.
    Debug,
    /// Normal, expected security-relevant activity (a successful login).
    Info,
    /// Suspicious or failed activity (a failed login).
    Warn,
    /// An error in the application (a panic).
    Error,
    /// Activity that needs attention now (a forged token, an authorization failure).
    Critical,
}

impl Level {
    /// The name written in records: `"INFO"`, `"WARN"`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
