//! Recording crashes: a panic hook that writes the OWASP `sys_crash` event.
//!
//! ```no_run
//! seclog::crash::install_panic_hook();
//! ```
//!
//! The record holds the panic's location (`file`, `line`, `column`) and thread under `fields`.
//! Its **message is kept only when it is a string literal** (`panic!("queue full")`): a
//! formatted message (`panic!("bad token {t}")`, or the `Debug` output that `unwrap()` and
//! `expect()` add) can hold any value, including one that is redacted everywhere else, so it is
//! recorded as `"[REDACTED]"`. Put what investigators need into a literal message, or record
//! it with `#[security_logged]` / `event!` where redaction applies.
//!
//! The hook runs the previously installed hook afterwards, so panics are still printed.

use std::panic::{self, PanicHookInfo};

use seclog_macros::event;

use crate::redact::REDACTED;

/// Installs the panic hook that records `sys_crash`, keeping the current hook after it.
pub fn install_panic_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        record_crash(info);
        previous(info);
    }));
}

fn record_crash(info: &PanicHookInfo<'_>) {
    let message = info
        .payload()
        .downcast_ref::<&'static str>()
        .copied()
        .unwrap_or(REDACTED);
    let (file, line, column) = info
        .location()
        .map_or(("unknown", 0, 0), |l| (l.file(), l.line(), l.column()));
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("unnamed");
    event!(
        crate = crate,
        mandatory,
        level = "error",
        outcome = "failure",
        "sys_crash",
        thread = thread,
        file = file,
        line = line,
        column = column,
        message = message
    );
}
