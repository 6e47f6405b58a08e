//! Record levels.

use std::fmt;

/// How serious a record is. Ordered: `Trace < Debug < Info < Warn < Error < Critical`.
///
/// A wrapped function's level comes from `level = "..."`, else from the OWASP vocabulary for
/// its event, else `Info`; a failure is recorded at least at `Warn` and a panic at least at
/// `Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
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

impl Level {
    pub(crate) const fn from_u8(v: u8) -> Option<Level> {
        Some(match v {
            0 => Level::Trace,
            1 => Level::Debug,
            2 => Level::Info,
            3 => Level::Warn,
            4 => Level::Error,
            5 => Level::Critical,
            _ => return None,
        })
    }
}

/// The error of parsing a [`Level`] from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError(String);

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown level {:?}; expected trace, debug, info, warn, error or critical",
            self.0
        )
    }
}

impl std::error::Error for ParseLevelError {}

impl std::str::FromStr for Level {
    type Err = ParseLevelError;

    /// Case-insensitive: `"warn"`, `"WARN"` and `"warning"` are [`Level::Warn`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warn" | "warning" => Level::Warn,
            "error" => Level::Error,
            "critical" => Level::Critical,
            _ => return Err(ParseLevelError(s.to_owned())),
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
