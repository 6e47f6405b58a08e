//! Configuration: limits, the service's identity, and where records go.
//!
//! Set once per process with [`builder`] or [`init`]; with no set-up at all, the same defaults
//! apply and records go to stdout as JSON lines.

use std::fmt;
use std::time::Duration;

use seclog_macros::event;

use super::dispatch::{self, Dispatcher};
use crate::delivery::pipeline::Slot;
use crate::delivery::{Backpressure, Pipeline};
use crate::format::Format;
use crate::integrity::{ChainWriter, Seal};
use crate::record::{Level, Limits};
use crate::redact::HashKey;
use crate::sink::{self, Sink};
use crate::watch::{Alert, AlertHook, Rules, Watcher};

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
    pub(crate) pii: crate::redact::scanner::PiiSet,
    /// `Some` when configured: the threshold to set at install (`Some(None)`: off).
    pub(crate) level: Option<Option<Level>>,
    pub(crate) backpressure: Backpressure,
    pub(crate) queue_bytes: usize,
    pub(crate) flush_timeout: Duration,
    #[cfg(feature = "tracing")]
    pub(crate) tracing: Option<crate::delivery::bridge::Bridge>,
    pub(crate) watching: bool,
    pub(crate) rules: Rules,
    pub(crate) on_alert: Vec<AlertHook>,
    pub(crate) summary_interval: Duration,
    pub(crate) seal: Option<Seal>,
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
            pii: crate::redact::scanner::PiiSet::ALL,
            level: None,
            backpressure: Backpressure::default(),
            queue_bytes: 8 << 20,
            flush_timeout: Duration::from_secs(5),
            #[cfg(feature = "tracing")]
            tracing: None,
            watching: true,
            rules: Rules::default(),
            on_alert: Vec::new(),
            summary_interval: Duration::from_secs(60),
            seal: None,
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
            .field("watching", &self.watching)
            .field("rules", &self.rules)
            .field("summary_interval", &self.summary_interval)
            .field("seal", &self.seal)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// The service name and version recorded under `where`, in every record the process
    /// writes: its handlers', those of the libraries it uses, the watcher's, `sys_*` and
    /// `seclog.*`. The environment sets each on its own: `SECLOG_SERVICE`,
    /// `SECLOG_SERVICE_VERSION` (read by [`init`], by [`with_env`](Self::with_env), which
    /// overrides what was set before it, and with no set-up at all).
    ///
    /// Without it, the service is the executable's file name without its extension
    /// (`std::env::current_exe`: `shop` for `target/release/shop`, `quickstart` for
    /// `cargo run --example quickstart`; on AWS Lambda it is `bootstrap`), and the version is
    /// `"unknown"`: seclog cannot tell at run time which package the binary was built from.
    /// Naming the binary's package and its version takes one line in `main`:
    ///
    /// ```no_run
    /// let _guard = seclog::builder()
    ///     .service(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
    ///     .install()
    ///     .expect("seclog is installed once");
    /// ```
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
    pub fn tracing(mut self, bridge: crate::delivery::bridge::Bridge) -> Self {
        self.tracing = Some(bridge);
        self
    }

    /// Seals every record the sinks receive into this process's chain (see
    /// [`crate::integrity`]): stdout, stderr, syslog, any writer, the `record` field of the
    /// `tracing` bridge, and the records written with no set-up at all when the environment
    /// says so (`SECLOG_SEAL_TO`, `SECLOG_KEY_FILE`). [`sink::File`] seals into a chain of
    /// its own and gets records unsealed.
    ///
    /// Sealing runs on the writer thread, off the handlers' path. Sealed outputs are written
    /// as seclog's JSON: [`install`](Self::install) fails with [`InitError::Seal`] when a sink
    /// would convert them to another format, since a converted line would not verify.
    ///
    /// ```no_run
    /// use seclog::integrity::{Seal, VerifierKey};
    ///
    /// let to: VerifierKey = std::env::var("VERIFIER_PUBLIC_KEY").unwrap().parse().unwrap();
    /// let _guard = seclog::builder().seal(Seal::to(to)).install().unwrap();
    /// ```
    pub fn seal(mut self, seal: Seal) -> Self {
        self.seal = Some(seal);
        self
    }

    /// A new chain for this configuration's seal, if it has one.
    pub(crate) fn chain(&self) -> Result<Option<ChainWriter>, InitError> {
        // A seal covers seclog's JSON lines: a converted line would not verify.
        let converted = if self.sinks.is_empty() {
            self.default_format != Format::Json
        } else {
            self.sinks
                .iter()
                .any(|(sink, format)| *format != Format::Json && !sink.seals())
        };
        if self.seal.is_some() && converted {
            return Err(InitError::Seal {
                reason: "sealed outputs are written as JSON (SECLOG_FORMAT=json): a record converted to another format would not verify; convert after `seclog verify`".into(),
            });
        }
        self.seal
            .as_ref()
            .map(|seal| ChainWriter::new(seal).map_err(|e| InitError::Seal { reason: e }))
            .transpose()
    }

    /// Whether every sink seals records itself (the file sink): the pipeline then needs no
    /// chain of its own.
    pub(crate) fn sinks_seal_themselves(&self) -> bool {
        !self.sinks.is_empty() && self.sinks.iter().all(|(sink, _)| sink.seals())
    }

    /// The pipeline of this configuration, taking its sinks.
    pub(crate) fn pipeline(&mut self, chain: Option<ChainWriter>) -> Pipeline {
        let mut sinks = std::mem::take(&mut self.sinks);
        if sinks.is_empty() {
            sinks.push((Box::new(sink::Stdout), self.default_format));
        }
        let slots = sinks
            .into_iter()
            .map(|(sink, format)| Slot::new(sink, format))
            .collect();
        let watcher = self.watching.then(|| {
            Watcher::with_hooks(
                std::mem::replace(&mut self.rules, Rules::none()),
                self.summary_interval,
                std::mem::take(&mut self.on_alert),
            )
        });
        Pipeline::new(
            slots,
            self.queue_bytes,
            self.backpressure,
            self.flush_timeout,
            watcher,
            chain,
        )
    }

    /// Whether records are watched at all (see [`crate::watch`]). Default: on. Off, there are
    /// no `seclog.perf` or `seclog.usage` summaries and no alerts, [`rules`](Self::rules) and
    /// [`on_alert`](Self::on_alert) are ignored, and a record is handed over without the
    /// 16 bytes of facts the watcher reads.
    ///
    /// ```no_run
    /// let _guard = seclog::builder().watching(false).install().unwrap();
    /// ```
    pub fn watching(mut self, on: bool) -> Self {
        self.watching = on;
        self
    }

    /// The detection rules the watcher applies to the records (see [`crate::watch`]).
    /// Default: [`Rules::default`], every rule on with conservative thresholds;
    /// [`Rules::none`] turns them off.
    pub fn rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }

    /// Calls `f` with every alert the rules raise, on the writer thread, after its record is
    /// queued. Keep it short (hand the alert to a channel for slow work); a panic in it is
    /// caught and reported on stderr. May be called several times.
    ///
    /// ```no_run
    /// let _guard = seclog::builder()
    ///     .on_alert(|a: &seclog::watch::Alert| eprintln!("{a}"))
    ///     .install()
    ///     .unwrap();
    /// ```
    pub fn on_alert(mut self, f: impl Fn(&Alert) + Send + Sync + 'static) -> Self {
        self.on_alert.push(Box::new(f));
        self
    }

    /// How often the watcher writes `seclog.perf` and `seclog.usage` summaries and checks
    /// latency drift. Default: 60 s. The guard writes the last ones when dropped.
    pub fn summary_interval(mut self, interval: Duration) -> Self {
        self.summary_interval = interval.max(Duration::from_millis(1));
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

    /// Whether personal data of `kind` found in unmarked strings is masked (see
    /// [`crate::redact::scanner`]). Default: every kind on.
    ///
    /// ```
    /// use seclog::redact::scanner::PiiKind;
    /// let b = seclog::builder().pii(PiiKind::Phone, false).pii(PiiKind::Iban, false);
    /// # drop(b);
    /// ```
    pub fn pii(mut self, kind: crate::redact::scanner::PiiKind, on: bool) -> Self {
        self.pii = if on {
            self.pii.with(kind)
        } else {
            self.pii.without(kind)
        };
        self
    }

    /// The kinds of personal data masked, all at once: `PiiSet::NONE` switches the masking of
    /// personal data off.
    pub fn pii_kinds(mut self, kinds: crate::redact::scanner::PiiSet) -> Self {
        self.pii = kinds;
        self
    }

    /// The size limits of a record. Default: [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Installs this configuration for the whole process. Records emitted before it used the
    /// defaults. Fails if a configuration was already installed.
    ///
    /// Records the OWASP `sys_startup` event, with the state of the system clock under
    /// `fields.clock`; the guard records `sys_shutdown` when dropped.
    pub fn install(self) -> Result<Guard, InitError> {
        let (scanner, pii) = (self.secret_scanner, self.pii);
        dispatch::install(Dispatcher::new(self, true)?)?;
        crate::redact::scanner::set_enabled(scanner);
        crate::redact::scanner::set_pii(pii);
        event!(
            crate = crate,
            mandatory,
            "sys_startup",
            seclog_version = env!("CARGO_PKG_VERSION"),
            clock = crate::record::clock::Clock::now()
        );
        Ok(Guard { _private: () })
    }
}

/// Writes the watcher's last summaries, records `sys_shutdown`, writes out every record
/// accepted (waiting at most the flush timeout) and stops the writer thread when dropped: keep
/// it alive for the life of `main`.
#[must_use = "dropping the guard at once flushes and ends nothing useful; bind it: `let _guard = ...`"]
#[derive(Debug)]
pub struct Guard {
    _private: (),
}

impl Drop for Guard {
    fn drop(&mut self) {
        let pipeline = dispatch::current().pipeline();
        pipeline.finish_watch();
        event!(crate = crate, mandatory, "sys_shutdown");
        pipeline.shutdown();
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
    /// A chain could not be started for the seal (no randomness from the system), or a sealed
    /// output is not JSON.
    Seal {
        /// Why.
        reason: String,
    },
}

impl InitError {
    pub(crate) fn invalid(var: &'static str, value: String, reason: impl Into<String>) -> Self {
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
            InitError::Seal { reason } => write!(f, "cannot seal records: {reason}"),
        }
    }
}

impl std::error::Error for InitError {}
