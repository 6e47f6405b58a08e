//! Configuration: limits, the service's identity, and where records go.
//!
//! Set once per process with [`builder`] or [`init`]; with no set-up at all, the same defaults
//! apply and records go to stdout as JSON lines.

use std::fmt;

use seclog_macros::event;
use zeroize::Zeroizing;

use crate::dispatch::{self, Dispatcher};
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
    pub(crate) sink: Box<dyn Sink>,
    pub(crate) hash_key: Option<HashKey>,
    pub(crate) secret_scanner: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            service: None,
            version: None,
            limits: Limits::default(),
            sink: Box::new(sink::Stdout),
            hash_key: None,
            secret_scanner: true,
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

    /// Where records are written. Default: [`sink::Stdout`].
    pub fn sink(mut self, sink: impl Sink) -> Self {
        self.sink = Box::new(sink);
        self
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
    /// | `SECLOG_OUTPUT` | `stdout` (default), `stderr`, `none`, or `file:<dir>` for tamper-evident files ([`sink::File`]) |
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
        if let Some(v) = get("SECLOG_OUTPUT") {
            self.sink = match v.as_str() {
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

/// Records `sys_shutdown` and flushes the sink when dropped: keep it alive for the life of
/// `main`.
#[must_use = "dropping the guard at once flushes and ends nothing useful; bind it: `let _guard = ...`"]
#[derive(Debug)]
pub struct Guard {
    _private: (),
}

impl Drop for Guard {
    fn drop(&mut self) {
        event!(crate = crate, "sys_shutdown");
        dispatch::flush();
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
