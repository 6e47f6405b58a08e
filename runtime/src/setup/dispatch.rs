//! The process-wide dispatcher: the configuration records are made with, and the hand-over
//! of finished records to capture or to the delivery pipeline.
//!
//! [`current`] is the one way up from the layers below the set-up: the record reads its limits
//! and `where` and hands its bytes over through the [`Dispatcher`] it returns, whose crate-wide
//! surface is those few methods.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use super::builder::{Builder, InitError};
use crate::delivery::Pipeline;
use crate::delivery::pipeline::{SEQ, insert_seq};
use crate::record::encoder::{escape_into, write_str_limited};
use crate::record::invocation::write_location;
use crate::record::pending::{self, Header};
use crate::record::{Callsite, CallsiteMeta, Facts, Limits};
use crate::testing;

static INSTALLED: OnceLock<Dispatcher> = OnceLock::new();
static DEFAULT: OnceLock<Dispatcher> = OnceLock::new();

thread_local! {
    /// Where a record is assembled before it is handed over: reused, so a call allocates
    /// nothing in the steady state.
    static ASSEMBLY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub(crate) struct Dispatcher {
    limits: Limits,
    /// 0 for the default set-up, 1 for the installed one: indexes per-call-site caches.
    slot: usize,
    /// `where.service` and `where.version` of every record the process writes, whichever
    /// crate made it (see [`Builder::service`]).
    service: Box<str>,
    version: Box<str>,
    host: Box<str>,
    pid: u32,
    pipeline: Pipeline,
    #[cfg(feature = "tracing")]
    bridge: Option<crate::delivery::bridge::Bridge>,
    /// The chain of the bridge's `record` field, when sealing: its own, since tracing
    /// subscribers are an output apart from the sinks.
    #[cfg(feature = "tracing")]
    bridge_chain: Option<std::sync::Mutex<crate::integrity::ChainWriter>>,
}

/// The installed dispatcher, else the default one (stdout unless the environment says else).
#[inline]
pub(crate) fn current() -> &'static Dispatcher {
    match INSTALLED.get() {
        Some(d) => d,
        None => DEFAULT.get_or_init(Dispatcher::from_env_or_default),
    }
}

/// Installs `d` and starts its background writer.
pub(crate) fn install(d: Dispatcher) -> Result<&'static Dispatcher, InitError> {
    INSTALLED.set(d).map_err(|_| InitError::AlreadyInstalled)?;
    let d = INSTALLED.get().expect("just set");
    if let Err(e) = d.pipeline.start() {
        eprintln!(
            "seclog: cannot start the writer thread ({e}); records are written synchronously"
        );
    }
    Ok(d)
}

/// Writes out everything emitted before the call and flushes the sinks.
///
/// With a background writer, waits until it has written every record accepted before the
/// call, and the records writing them led to (a sink's recovery report, an alert, a record
/// a sink logs), at most [`Builder::flush_timeout`] (default 5 s): a failing sink cannot
/// hang the caller. Returns `false` if records were still pending when the wait ended.
///
/// ```
/// #[seclog::security_logged]
/// fn ping() {}
///
/// ping();
/// assert!(seclog::flush());
/// ```
pub fn flush() -> bool {
    let d = current();
    d.pipeline.flush(d.pipeline.flush_timeout())
}

/// [`flush`] with its own bound: for the end of a serverless invocation, say, where the
/// remaining time is known.
///
/// ```
/// seclog::event!("sys_monitor_enabled", reason = "example");
/// assert!(seclog::flush_within(std::time::Duration::from_secs(1)));
/// ```
pub fn flush_within(timeout: std::time::Duration) -> bool {
    current().pipeline.flush(timeout)
}

impl Dispatcher {
    pub(crate) fn new(mut b: Builder, installed: bool) -> Result<Self, InitError> {
        // A process's first reading of the monotonic clock faults in the page it is read
        // from (microseconds): taken here, it is not in the first handler's `duration_ns`.
        std::hint::black_box(std::time::Instant::now());
        let chain = b.chain()?.filter(|_| !b.sinks_seal_themselves());
        if let Some(level) = b.level {
            super::filter::set_level(level);
        }
        if installed {
            crate::redact::install_hash_key(b.hash_key.take());
        }
        #[cfg(feature = "tracing")]
        let bridge_chain = match b.tracing {
            Some(_) => b.chain()?.map(std::sync::Mutex::new),
            None => None,
        };
        let pipeline = b.pipeline(chain);
        Ok(Dispatcher {
            limits: b.limits,
            slot: installed as usize,
            // One source per process: unless configured, the executable's name and "unknown".
            service: b
                .service
                .or_else(|| {
                    let exe = std::env::current_exe().ok()?;
                    Some(exe.file_stem()?.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| "unknown".to_owned())
                .into(),
            version: b.version.as_deref().unwrap_or("unknown").into(),
            host: gethostname::gethostname().to_string_lossy().into(),
            pid: std::process::id(),
            pipeline,
            #[cfg(feature = "tracing")]
            bridge: b.tracing,
            #[cfg(feature = "tracing")]
            bridge_chain,
        })
    }

    fn from_env_or_default() -> Self {
        // The scanner's switches as the program left them before its first record
        // (`scanner::set_enabled`, `scanner::set_pii`): the environment may change them, the
        // defaults do not switch them back on.
        let current = || {
            let mut b = super::builder::builder();
            b.secret_scanner = crate::redact::scanner::enabled();
            b.pii = crate::redact::scanner::pii();
            b
        };
        let b = current().with_env().unwrap_or_else(|e| {
            eprintln!("seclog: {e}; using the defaults");
            current()
        });
        crate::redact::scanner::set_enabled(b.secret_scanner);
        crate::redact::scanner::set_pii(b.pii);
        Dispatcher::new(b, false).unwrap_or_else(|e| {
            eprintln!("seclog: {e}; records are written unsealed");
            let mut b = current();
            b.seal = None;
            Dispatcher::new(b, false).expect("no seal, no chain to fail")
        })
    }

    /// The size limits records are made with.
    #[inline]
    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// 0 for the default set-up, 1 for the installed one: indexes per-call-site caches.
    #[inline]
    pub(crate) fn slot(&self) -> usize {
        self.slot
    }

    /// Whether a record at `level` passes the level filter.
    #[inline]
    pub(crate) fn enabled(&self, level: crate::record::Level) -> bool {
        super::filter::enabled(level)
    }

    /// The pipeline records are handed to.
    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The constant parts of a call site's `where`: `,"where":{"service":..,"fn":..` and
    /// `,"file":..,"line":..` (without the closing brace, so that members can follow).
    pub(crate) fn where_fragments(&self, meta: &CallsiteMeta) -> (Box<[u8]>, Box<[u8]>) {
        let mut b = Vec::with_capacity(192);
        let max = self.limits.max_string_bytes;
        b.extend_from_slice(b",\"where\":{\"service\":");
        write_str_limited(&mut b, &self.service, max);
        b.extend_from_slice(b",\"version\":");
        write_str_limited(&mut b, &self.version, max);
        b.extend_from_slice(b",\"host\":");
        write_str_limited(&mut b, &self.host, max);
        b.extend_from_slice(b",\"pid\":");
        b.extend_from_slice(itoa::Buffer::new().format(self.pid).as_bytes());
        b.extend_from_slice(b",\"fn\":\"");
        escape_into(&mut b, meta.fn_path);
        b.push(b'"');
        let mut loc = Vec::with_capacity(64);
        write_location(&mut loc, meta.file, meta.line);
        (b.into_boxed_slice(), loc.into_boxed_slice())
    }

    /// Emits the record of an invocation: `header` and `body` as [`pending`] describes them.
    /// Queued as they are, for the writer to finish (on the writer thread, or on this one
    /// with none running); finished here when the record goes elsewhere first: to a capture,
    /// or to the `tracing` bridge.
    pub(crate) fn emit_pending(&self, header: &Header, body: &[u8], callsite: &Callsite) {
        #[cfg(feature = "tracing")]
        let bridged = self.bridge.is_some();
        #[cfg(not(feature = "tracing"))]
        let bridged = false;
        if header.site != 0 && !bridged && !testing::capturing() {
            self.pipeline.push_pending(header, body);
            crate::redact::scanner::after_record();
            return;
        }
        let facts = header.facts(0);
        self.emit(facts, |out| {
            pending::finish(out, header, body, callsite, self, None)
        });
    }

    /// Emits one record. `assemble` writes its bytes without the `seq` value and returns the
    /// offset where the value goes: the sequence number is taken when the record enters the
    /// queue, so that `seq` order is output order. `facts` go beside the bytes, for the
    /// watcher. Never panics and never fails the caller.
    pub(crate) fn emit(&self, facts: Facts, assemble: impl FnOnce(&mut Vec<u8>) -> usize) {
        if testing::capturing() {
            let mut buf = Vec::with_capacity(512);
            let at = assemble(&mut buf);
            testing::record(|out| {
                insert_seq(out, &buf, at, SEQ.fetch_add(1, Ordering::Relaxed));
            });
            return;
        }
        let mut assemble = Some(assemble);
        let _ = ASSEMBLY.try_with(|a| {
            let Ok(mut buf) = a.try_borrow_mut() else {
                return;
            };
            let Some(f) = assemble.take() else { return };
            buf.clear();
            let at = f(&mut buf);
            self.hand_over(&buf, at, facts);
            if buf.capacity() > 1 << 20 {
                *buf = Vec::new();
            }
        });
        if let Some(f) = assemble {
            // Re-entered while handing over (a sink that logs), or the thread is ending.
            let mut buf = Vec::with_capacity(512);
            let at = f(&mut buf);
            self.hand_over(&buf, at, facts);
        }
        crate::redact::scanner::after_record();
    }

    fn hand_over(&self, record: &[u8], at: usize, facts: Facts) {
        #[cfg(feature = "tracing")]
        if let Some(bridge) = self.bridge {
            // One lock over taking the `seq` and sealing, so that the bridge's chain is
            // sealed in `seq` order.
            let mut guard = self
                .bridge_chain
                .as_ref()
                .map(|c| c.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
            // The same `seq` in both places; a record the queue dropped still goes to tracing.
            let seq = if bridge.only() {
                None
            } else {
                self.pipeline.push(record, at, facts)
            };
            let seq = seq.unwrap_or_else(|| SEQ.fetch_add(1, Ordering::Relaxed));
            let mut full = Vec::with_capacity(record.len() + 20);
            insert_seq(&mut full, record, at, seq);
            let Some(chain) = guard.as_deref_mut() else {
                bridge.emit(&full);
                return;
            };
            let mut sealed = Vec::with_capacity(full.len() + 128);
            chain.seal(full.strip_suffix(b"\n").unwrap_or(&full), &mut sealed);
            drop(guard);
            // The chain's first record comes before the first record sealed.
            for line in sealed.split_inclusive(|&b| b == b'\n') {
                bridge.emit(line);
            }
            return;
        }
        self.pipeline.push(record, at, facts);
    }
}
