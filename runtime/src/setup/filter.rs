//! The level filter: which records are made at all.
//!
//! Two thresholds apply. The static one comes from cargo features (`min_level_debug` …
//! `min_level_off`) and is a constant, so call sites below it compile to the plain function.
//! The dynamic one is set by [`crate::Builder::level`] (or `SECLOG_LEVEL`) and [`set_level`];
//! checking it costs one relaxed atomic load. Records marked `mandatory` pass both.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::record::Level;

/// The lowest level compiled in, from the strictest `min_level_*` feature enabled.
pub const STATIC_MIN_LEVEL: Option<Level> = if cfg!(feature = "min_level_off") {
    None
} else if cfg!(feature = "min_level_critical") {
    Some(Level::Critical)
} else if cfg!(feature = "min_level_error") {
    Some(Level::Error)
} else if cfg!(feature = "min_level_warn") {
    Some(Level::Warn)
} else if cfg!(feature = "min_level_info") {
    Some(Level::Info)
} else if cfg!(feature = "min_level_debug") {
    Some(Level::Debug)
} else {
    Some(Level::Trace)
};

/// One above every level: nothing but mandatory records passes.
const OFF: u8 = Level::Critical as u8 + 1;

/// The static threshold as a number (`OFF` when compiled out entirely).
#[inline(always)]
const fn static_min() -> u8 {
    match STATIC_MIN_LEVEL {
        Some(l) => l as u8,
        None => OFF,
    }
}

/// Never below `static_min()`: `set_level` keeps it there.
static MIN: AtomicU8 = AtomicU8::new(static_min());

/// Sets the lowest level recorded from now on (`None`: only mandatory records). The static
/// threshold still applies: a level below it cannot be turned back on at run time.
///
/// ```
/// seclog::set_level(Some(seclog::Level::Warn));
/// assert_eq!(seclog::level(), Some(seclog::Level::Warn));
/// # seclog::set_level(Some(seclog::Level::Trace));
/// ```
pub fn set_level(min: Option<Level>) {
    let v = std::cmp::max(min.map_or(OFF, |l| l as u8), static_min());
    MIN.store(v, Ordering::Relaxed);
}

/// The lowest level recorded now (`None`: only mandatory records).
pub fn level() -> Option<Level> {
    Level::from_u8(MIN.load(Ordering::Relaxed))
}

/// Whether a record at `level` is made. Inlined into every call site: with a constant
/// `level`, the static half folds away and the rest is one load and one compare.
#[inline(always)]
#[doc(hidden)]
pub fn enabled(level: Level) -> bool {
    static_enabled(level) && (level as u8) >= MIN.load(Ordering::Relaxed)
}

/// The compile-time half: a constant for a constant `level`.
#[inline(always)]
const fn static_enabled(level: Level) -> bool {
    match STATIC_MIN_LEVEL {
        Some(min) => level as u8 >= min as u8,
        None => false,
    }
}
