//! The process-wide dispatcher: sequence numbers, ordering, and handing records to the sink.

use std::cell::{Cell, RefCell};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::config::{Builder, InitError, Limits};
use crate::encoder::{escape_into, write_str_limited};
use crate::record::CallsiteMeta;
use crate::sink::Sink;
use crate::testing;

static INSTALLED: OnceLock<Dispatcher> = OnceLock::new();
static DEFAULT: OnceLock<Dispatcher> = OnceLock::new();

/// The next `seq`: one counter per process, taken under the sink lock so that the order of
/// lines in the output is the order of their sequence numbers.
static SEQ: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static IN_EMIT: Cell<bool> = const { Cell::new(false) };
    /// Whether `DEFERRED` holds records: checked instead of `DEFERRED` itself on the hot path.
    static HAS_DEFERRED: Cell<bool> = const { Cell::new(false) };
    /// Records emitted by the sink itself while it writes (a sink that logs); written right
    /// after the record in progress instead of deadlocking on the sink lock.
    static DEFERRED: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

pub(crate) struct Dispatcher {
    pub(crate) limits: Limits,
    /// 0 for the default set-up, 1 for the installed one: indexes per-call-site caches.
    pub(crate) slot: usize,
    pub(crate) hash_key: Option<crate::redact::HashKey>,
    service: Option<Box<str>>,
    version: Option<Box<str>>,
    host: Box<str>,
    /// The program's name: the service of records made by seclog itself when none is set.
    program: Box<str>,
    pid: u32,
    sink: Box<dyn Sink>,
    out: Mutex<Vec<u8>>,
    failing: AtomicBool,
}

/// The installed dispatcher, else the default one (stdout unless the environment says else).
#[inline]
pub(crate) fn current() -> &'static Dispatcher {
    match INSTALLED.get() {
        Some(d) => d,
        None => DEFAULT.get_or_init(Dispatcher::from_env_or_default),
    }
}

pub(crate) fn install(d: Dispatcher) -> Result<(), InitError> {
    INSTALLED.set(d).map_err(|_| InitError::AlreadyInstalled)
}

/// Flushes the current sink: everything emitted before the call is written out.
pub fn flush() {
    let d = current();
    let _lock = d.out.lock().unwrap_or_else(PoisonError::into_inner);
    match catch_unwind(AssertUnwindSafe(|| d.sink.flush())) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => d.report(&e),
        Err(_) => d.report(&io::Error::other("the sink panicked while flushing")),
    }
}

impl Dispatcher {
    pub(crate) fn new(b: Builder, installed: bool) -> Self {
        Dispatcher {
            limits: b.limits,
            slot: installed as usize,
            hash_key: b.hash_key,
            service: b.service.map(Into::into),
            version: b.version.map(Into::into),
            host: gethostname::gethostname().to_string_lossy().into(),
            program: std::env::current_exe()
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "unknown".to_owned())
                .into(),
            pid: std::process::id(),
            sink: b.sink,
            out: Mutex::new(Vec::with_capacity(1024)),
            failing: AtomicBool::new(false),
        }
    }

    fn from_env_or_default() -> Self {
        let b = crate::config::builder().with_env().unwrap_or_else(|e| {
            eprintln!("seclog: {e}; using the defaults");
            crate::config::builder()
        });
        crate::redact::scanner::set_enabled(b.secret_scanner);
        Dispatcher::new(b, false)
    }

    /// The constant parts of a call site's `where`: `,"where":{"service":..,"fn":..` and
    /// `,"file":..,"line":..` (without the closing brace, so that members can follow).
    pub(crate) fn where_fragments(&self, meta: &CallsiteMeta) -> (Box<[u8]>, Box<[u8]>) {
        let mut b = Vec::with_capacity(192);
        let max = self.limits.max_string_bytes;
        let (service, version) = match (&self.service, meta.crate_name) {
            (Some(s), name) => {
                let fallback = if name.is_empty() {
                    "unknown"
                } else {
                    meta.crate_version
                };
                (&**s, self.version.as_deref().unwrap_or(fallback))
            }
            (None, "") => (&*self.program, "unknown"),
            (None, name) => (name, meta.crate_version),
        };
        b.extend_from_slice(b",\"where\":{\"service\":");
        write_str_limited(&mut b, service, max);
        b.extend_from_slice(b",\"version\":");
        write_str_limited(&mut b, version, max);
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

    /// Emits one record: `assemble` writes its bytes given the sequence number. Never panics
    /// and never fails the caller: sink errors are reported, not returned.
    pub(crate) fn emit(&self, assemble: impl FnOnce(&mut Vec<u8>, u64)) {
        if testing::capturing() {
            testing::record(|buf| assemble(buf, SEQ.fetch_add(1, Ordering::Relaxed)));
            return;
        }
        if IN_EMIT.try_with(Cell::get).unwrap_or(false) {
            let mut buf = Vec::new();
            assemble(&mut buf, SEQ.fetch_add(1, Ordering::Relaxed));
            let _ = DEFERRED.try_with(|d| d.borrow_mut().push(buf));
            let _ = HAS_DEFERRED.try_with(|f| f.set(true));
            return;
        }
        let _reentry = EmitGuard::enter();
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        out.clear();
        assemble(&mut out, SEQ.fetch_add(1, Ordering::Relaxed));
        self.write(&out);
        if out.capacity() > 1 << 20 {
            *out = Vec::with_capacity(1024);
        }
        while HAS_DEFERRED.try_with(|f| f.replace(false)).unwrap_or(false) {
            let deferred = DEFERRED
                .try_with(|d| std::mem::take(&mut *d.borrow_mut()))
                .unwrap_or_default();
            for record in deferred {
                self.write(&record);
            }
        }
    }

    fn write(&self, record: &[u8]) {
        match catch_unwind(AssertUnwindSafe(|| self.sink.write(record))) {
            Ok(Ok(())) => {
                if self.failing.load(Ordering::Relaxed) {
                    self.failing.store(false, Ordering::Relaxed);
                    eprintln!("seclog: the sink accepts records again");
                }
            }
            Ok(Err(e)) => self.report(&e),
            Err(_) => self.report(&io::Error::other("the sink panicked")),
        }
    }

    /// Reports a sink failure on stderr, once per run of consecutive failures.
    fn report(&self, e: &io::Error) {
        if !self.failing.swap(true, Ordering::Relaxed) {
            eprintln!("seclog: the sink failed to write a record: {e}");
        }
    }
}

/// `,"file":"..","line":N`.
pub(crate) fn write_location(buf: &mut Vec<u8>, file: &str, line: u32) {
    buf.extend_from_slice(b",\"file\":\"");
    escape_into(buf, file);
    buf.extend_from_slice(b"\",\"line\":");
    buf.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
}

struct EmitGuard;

impl EmitGuard {
    fn enter() -> Self {
        let _ = IN_EMIT.try_with(|f| f.set(true));
        EmitGuard
    }
}

impl Drop for EmitGuard {
    fn drop(&mut self) {
        let _ = IN_EMIT.try_with(|f| f.set(false));
    }
}
