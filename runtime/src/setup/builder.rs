//! Configuration: limits, the service's identity, and where records go.
//!
//! Set once per process with [`builder`] or [`init`]; with no set-up at all, the same defaults
//! apply and records go to stdout as JSON lines.

use std::fmt;
use std::time::Duration;

use seclog_macros::event;
use zeroize::Zeroizing;

use crate::delivery::pipeline::Slot;
use crate::delivery::{Backpressure, Pipeline};
use crate::dispatch::{self, Dispatcher};
use crate::format::Format;
use crate::level::Level;
pub use crate::redact::HashKey;
use crate::sink::{self, Sink};

/// Size limits that keep one record bounded whatever the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A longer string is cut on a character boundary and marked `…[truncated from N bytes]`.
    /// Default 4096.
    pub max_string_bytes: usize,
    /// A longer collection keeps its first items and ends with a `…[truncated from N items]`
    /// mark. Default 256.
    pub max_items: usize,
    /// Values nested deeper are written as `"[depth limit]"`. Default 32.
    pub max_depth: usize,
    /// Once a record holds this many bytes, further values are written as
    /// `"[record size limit]"`: many strings at their limit cannot add up to a huge line.
    /// Default 65536.
    pub max_record_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_string_bytes: 4096,
            max_items: 256,
            max_depth: 32,
            max_record_bytes: 64 * 1024,
        }
    }
}

/// Starts a configuration; finish it with [`Builder::install`].
///
/// ```no_run
/// let _guard = seclog::builder()
///     .service("shop", "0.3.1")
///     .sink(seclog::sink::Stderr)
///     .install()
///     .expect("seclog is installed once");
/// ```
pub fn builder() -> Builder {
    Builder::default()
}

/// Configures seclog from the environment and installs it. See [`Builder::with_env`] for the
/// variables read.
///
/// ```no_run
/// let _guard = seclog::init().expect("valid SECLOG_* variables");
/// ```
pub fn init() -> Result<Guard, InitError> {
    builder().with_env()?.install()
}

/// The configuration being built. See [`builder`].
#[must_use = "a builder does nothing until `install` is called"]
pub struct Builder {
    pub(crate) service: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) limits: Limits,
    pub(crate) sinks: Vec<(Box<dyn Sink>, Format)>,
    /// The format of the default stdout sink, when no sink is given.
    pub(crate) default_format: Format,
    pub(crate) hash_key: Option<HashKey>,
    pub(crate) secret_scanner: bool,
    /// `Some` when configured: the threshold to set at install (`Some(None)`: off).
    pub(crate) level: Option<Option<Level>>,
    pub(crate) backpressure: Backpressure,
    pub(crate) queue_bytes: usize,
    pub(crate) flush_timeout: Duration,
    #[cfg(feature = "tracing")]
    pub(crate) tracing: Option<crate::bridge::Bridge>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            service: None,
            version: None,
            limits: Limits::default(),
            sinks: Vec::new(),
            default_format: Format::Json,
            hash_key: None,
            secret_scanner: true,
            level: None,
            backpressure: Backpressure::default(),
            queue_bytes: 8 << 20,
            flush_timeout: Duration::from_secs(5),
            #[cfg(feature = "tracing")]
            tracing: None,
        }
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("service", &self.service)
            .field("version", &self.version)
            .field("limits", &self.limits)
            .field("hash_key", &self.hash_key)
            .field(
                "sinks",
                &self
                    .sinks
                    .iter()
                    .map(|(s, f)| format!("{} ({})", s.name(), f.as_str()))
                    .collect::<Vec<_>>(),
            )
            .field("level", &self.level)
            .field("backpressure", &self.backpressure)
            .field("queue_bytes", &self.queue_bytes)
            .field("flush_timeout", &self.flush_timeout)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// The service name and version recorded under `where`. Without it, each record names the
    /// crate and version of the function that produced it.
    pub fn service(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self.version = Some(version.into());
        self
    }

    /// Adds a destination for records, in the JSON record format. Call it again (or
    /// [`sink_with`](Self::sink_with)) to write every record to several sinks. Default, when
    /// no sink is added: [`sink::Stdout`].
    pub fn sink(self, sink: impl Sink) -> Self {
        self.sink_with(sink, Format::Json)
    }

    /// Adds a destination for records in the given format: the JSON record, or its
    /// Elastic Common Schema mapping ([`Format::Ecs`]).
    ///
    /// ```no_run
    /// let _guard = seclog::builder()
    ///     .sink(seclog::sink::Stdout)
    ///     .sink_with(seclog::sink::Stderr, seclog::Format::Ecs)
    ///     .install()
    ///     .unwrap();
    /// ```
    pub fn sink_with(mut self, sink: impl Sink, format: Format) -> Self {
        self.sinks.push((Box::new(sink), format));
        self
    }

    /// The lowest level recorded (default: every level). Records below it are not made at
    /// all, at the cost of one atomic load per call; events marked `mandatory` are recorded
    /// whatever the level. Change it later with [`crate::set_level`].
    pub fn level(mut self, min: Level) -> Self {
        self.level = Some(Some(min));
        self
    }

    /// What a handler does when the writer cannot keep up. Default: [`Backpressure::Block`]
    /// for at most 100 ms, then stderr. See [`crate::delivery`].
    pub fn backpressure(mut self, policy: Backpressure) -> Self {
        self.backpressure = policy;
        self
    }

    /// How many bytes of records may wait for the writer before the back-pressure policy
    /// applies. Default 8 MiB (some 20,000 records).
    pub fn queue_bytes(mut self, bytes: usize) -> Self {
        self.queue_bytes = bytes.max(1);
        self
    }

    /// The longest [`crate::flush`] and the guard's drop wait for the writer. Default 5 s.
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// Also (or only) sends every record as a `tracing` event with target `seclog`: see
    /// [`crate::bridge`].
    #[cfg(feature = "tracing")]
    pub fn tracing(mut self, bridge: crate::bridge::Bridge) -> Self {
        self.tracing = Some(bridge);
        self
    }

    /// The pipeline of this configuration, taking its sinks.
    pub(crate) fn pipeline(&mut self) -> Pipeline {
        let mut sinks = std::mem::take(&mut self.sinks);
        if sinks.is_empty() {
            sinks.push((Box::new(sink::Stdout), self.default_format));
        }
        let slots = sinks
            .into_iter()
            .map(|(sink, format)| Slot::new(sink, format))
            .collect();
        Pipeline::new(
            slots,
            self.queue_bytes,
            self.backpressure,
            self.flush_timeout,
        )
    }

    /// The key of keyed pseudonyms (session ids in [`crate::Caller`]). Without one, values
    /// that would be pseudonymised are fully redacted instead.
    pub fn hash_key(mut self, key: HashKey) -> Self {
        self.hash_key = Some(key);
        self
    }

    /// Whether strings are scanned for secrets that slipped through (see
    /// [`crate::redact::scanner`]). Default: on.
    pub fn secret_scanner(mut self, on: bool) -> Self {
        self.secret_scanner = on;
        self
    }

    /// The size limits of a record. Default: [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Reads the environment into this configuration:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `SECLOG_SERVICE` | service name under `where` |
    /// | `SECLOG_SERVICE_VERSION` | service version under `where` |
    /// | `SECLOG_OUTPUT` | `stdout` (default), `stderr`, `none`, or `file:<dir>` for tamper-evident files ([`sink::File`]); replaces the sinks added so far |
    /// | `SECLOG_FORMAT` | `json` (default) or `ecs`: the format of the `SECLOG_OUTPUT` sink, or of the default stdout sink (sinks added in code keep theirs) |
    /// | `SECLOG_LEVEL` | the lowest level recorded: `trace` (default), `debug`, `info`, `warn`, `error`, `critical`, or `off` (mandatory events only) |
    /// | `SECLOG_KEY_FILE` | with `file:<dir>`: a file holding the chain key, 64 hex digits |
    /// | `SECLOG_MAX_STRING_BYTES` | string limit (default 4096) |
    /// | `SECLOG_MAX_ITEMS` | collection limit (default 256) |
    /// | `SECLOG_HASH_KEY_FILE` | a file holding the pseudonym key in hex (see [`HashKey`]) |
    /// | `SECLOG_SECRET_SCANNER` | `on` (default) or `off` |
    ///
    /// An unset variable keeps the current value; an invalid one is an error that names it.
    pub fn with_env(self) -> Result<Self, InitError> {
        self.with_lookup(|k| std::env::var(k).ok())
    }

    pub(crate) fn with_lookup(
        mut self,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, InitError> {
        if let Some(v) = get("SECLOG_SERVICE") {
            self.service = Some(v);
        }
        if let Some(v) = get("SECLOG_SERVICE_VERSION") {
            self.version = Some(v);
        }
        if let Some(v) = get("SECLOG_FORMAT") {
            self.default_format = v.parse().map_err(|_: String| {
                InitError::invalid("SECLOG_FORMAT", v.clone(), "expected json or ecs")
            })?;
        }
        if let Some(v) = get("SECLOG_LEVEL") {
            self.level = Some(if v.trim().eq_ignore_ascii_case("off") {
                None
            } else {
                Some(v.parse().map_err(|e: crate::level::ParseLevelError| {
                    InitError::invalid("SECLOG_LEVEL", v.clone(), format!("{e}, or off"))
                })?)
            });
        }
        if let Some(v) = get("SECLOG_OUTPUT") {
            let sink: Box<dyn Sink> = match v.as_str() {
                "stdout" => Box::new(sink::Stdout),
                "stderr" => Box::new(sink::Stderr),
                "none" => Box::new(sink::Discard),
                file if file.starts_with("file:") => {
                    let dir = &file["file:".len()..];
                    let key = chain_key(get("SECLOG_KEY_FILE"))?;
                    let sink = sink::File::builder(dir, key).open().map_err(|e| {
                        InitError::invalid(
                            "SECLOG_OUTPUT",
                            v.clone(),
                            format!("cannot open a log file there: {e}"),
                        )
                    })?;
                    Box::new(sink)
                }
                _ => {
                    return Err(InitError::invalid(
                        "SECLOG_OUTPUT",
                        v,
                        "expected stdout, stderr, none or file:<dir>",
                    ));
                }
            };
            self.sinks = vec![(sink, self.default_format)];
        }
        if let Some(v) = get("SECLOG_MAX_STRING_BYTES") {
            self.limits.max_string_bytes = parse_limit("SECLOG_MAX_STRING_BYTES", v)?;
        }
        if let Some(v) = get("SECLOG_MAX_ITEMS") {
            self.limits.max_items = parse_limit("SECLOG_MAX_ITEMS", v)?;
        }
        if let Some(v) = get("SECLOG_SECRET_SCANNER") {
            self.secret_scanner = match v.as_str() {
                "on" => true,
                "off" => false,
                _ => {
                    return Err(InitError::invalid(
                        "SECLOG_SECRET_SCANNER",
                        v,
                        "expected on or off",
                    ));
                }
            };
        }
        if let Some(path) = get("SECLOG_HASH_KEY_FILE") {
            let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| {
                InitError::invalid(
                    "SECLOG_HASH_KEY_FILE",
                    path.clone(),
                    format!("cannot read it: {e}"),
                )
            })?);
            let key = HashKey::from_hex(&text).map_err(|e| {
                InitError::invalid("SECLOG_HASH_KEY_FILE", path.clone(), e.to_string())
            })?;
            self.hash_key = Some(key);
        }
        Ok(self)
    }

    /// Installs this configuration for the whole process. Records emitted before it used the
    /// defaults. Fails if a configuration was already installed.
    ///
    /// Records the OWASP `sys_startup` event; the guard records `sys_shutdown` when dropped.
    pub fn install(self) -> Result<Guard, InitError> {
        let scanner = self.secret_scanner;
        dispatch::install(Dispatcher::new(self, true))?;
        crate::redact::scanner::set_enabled(scanner);
        event!(
            crate = crate,
            mandatory,
            "sys_startup",
            seclog_version = env!("CARGO_PKG_VERSION")
        );
        Ok(Guard { _private: () })
    }
}

/// The chain key for `SECLOG_OUTPUT=file:<dir>`, from the file `SECLOG_KEY_FILE` names.
fn chain_key(path: Option<String>) -> Result<crate::integrity::ChainKey, InitError> {
    let path = path.ok_or_else(|| {
        InitError::invalid(
            "SECLOG_KEY_FILE",
            String::new(),
            "SECLOG_OUTPUT=file:<dir> needs the chain key: set SECLOG_KEY_FILE to a file holding 64 hex digits",
        )
    })?;
    let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| {
        InitError::invalid(
            "SECLOG_KEY_FILE",
            path.clone(),
            format!("cannot read it: {e}"),
        )
    })?);
    crate::integrity::ChainKey::from_hex(&text)
        .ok_or_else(|| InitError::invalid("SECLOG_KEY_FILE", path, "expected 64 hex digits"))
}

fn parse_limit(var: &'static str, v: String) -> Result<usize, InitError> {
    match v.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(InitError::invalid(
            var,
            v,
            "expected a positive whole number",
        )),
    }
}

/// Records `sys_shutdown`, writes out every record accepted (waiting at most the flush
/// timeout) and stops the writer thread when dropped: keep it alive for the life of `main`.
#[must_use = "dropping the guard at once flushes and ends nothing useful; bind it: `let _guard = ...`"]
#[derive(Debug)]
pub struct Guard {
    _private: (),
}

impl Drop for Guard {
    fn drop(&mut self) {
        event!(crate = crate, mandatory, "sys_shutdown");
        dispatch::current().pipeline.shutdown();
    }
}

/// Why seclog could not be configured.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitError {
    /// A configuration was already installed in this process.
    AlreadyInstalled,
    /// An environment variable holds a value seclog cannot use.
    InvalidEnv {
        /// The variable's name.
        var: &'static str,
        /// What it holds.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl InitError {
    fn invalid(var: &'static str, value: String, reason: impl Into<String>) -> Self {
        InitError::InvalidEnv {
            var,
            value,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::AlreadyInstalled => f.write_str(
                "seclog is already installed in this process; install it once, at start-up",
            ),
            InitError::InvalidEnv { var, value, reason } => {
                write!(f, "{var}={value:?} is not valid: {reason}")
            }
        }
    }
}

impl std::error::Error for InitError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn reads_the_environment() {
        let b = builder()
            .with_lookup(env(&[
                ("SECLOG_SERVICE", "shop"),
                ("SECLOG_SERVICE_VERSION", "1.2.3"),
                ("SECLOG_OUTPUT", "none"),
                ("SECLOG_MAX_STRING_BYTES", "100"),
                ("SECLOG_MAX_ITEMS", "7"),
            ]))
            .unwrap();
        assert_eq!(b.service.as_deref(), Some("shop"));
        assert_eq!(b.version.as_deref(), Some("1.2.3"));
        assert_eq!(b.limits.max_string_bytes, 100);
        assert_eq!(b.limits.max_items, 7);
    }

    #[test]
    fn reads_level_and_format() {
        let b = builder()
            .with_lookup(env(&[
                ("SECLOG_LEVEL", "Warning"),
                ("SECLOG_FORMAT", "ecs"),
                ("SECLOG_OUTPUT", "stderr"),
            ]))
            .unwrap();
        assert_eq!(b.level, Some(Some(Level::Warn)));
        assert_eq!(b.sinks.len(), 1);
        assert_eq!(b.sinks[0].1, Format::Ecs);
        // A sink added in code keeps the format it was given.
        let b = builder()
            .sink(sink::Discard)
            .with_lookup(env(&[("SECLOG_FORMAT", "ecs")]))
            .unwrap();
        assert_eq!(b.sinks[0].1, Format::Json);
        assert_eq!(b.default_format, Format::Ecs);
        let b = builder()
            .with_lookup(env(&[("SECLOG_LEVEL", "off")]))
            .unwrap();
        assert_eq!(b.level, Some(None));
        let e = builder()
            .with_lookup(env(&[("SECLOG_LEVEL", "loud")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SECLOG_LEVEL=\"loud\" is not valid: unknown level \"loud\"; expected trace, debug, info, warn, error or critical, or off"
        );
        let e = builder()
            .with_lookup(env(&[("SECLOG_FORMAT", "xml")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SECLOG_FORMAT=\"xml\" is not valid: expected json or ecs"
        );
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let e = builder()
            .with_lookup(env(&[("SECLOG_OUTPUT", "ftp")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SECLOG_OUTPUT=\"ftp\" is not valid: expected stdout, stderr, none or file:<dir>"
        );
        let e = builder()
            .with_lookup(env(&[("SECLOG_OUTPUT", "file:/tmp/x")]))
            .unwrap_err();
        assert!(e.to_string().contains("needs the chain key"), "{e}");
        let e = builder()
            .with_lookup(env(&[("SECLOG_MAX_ITEMS", "0")]))
            .unwrap_err();
        assert!(e.to_string().starts_with("SECLOG_MAX_ITEMS=\"0\""));
    }
}
