//! UTC timestamps in the record's one format: RFC 3339 with nanoseconds and a `Z` suffix,
//! e.g. `2026-11-22T12:00:00.000000123Z` (always 30 bytes).

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The last second RFC 3339 with four-digit years can express.
const MAX_SECS: u64 = 253_402_300_799;

thread_local! {
    /// The date and time of day (`YYYY-MM-DDTHH:MM:SS`) of the last second formatted on this
    /// thread: calls within one second only write their nanoseconds.
    static LAST_SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };

    /// A reading of both clocks on this thread: the wall clock (nanoseconds since the epoch)
    /// at a monotonic instant (as [`mono`] gives it).
    static CALIBRATION: Cell<Option<(i64, i128)>> = const { Cell::new(None) };
}

/// How long a thread's reading of the wall clock is carried forward (or back) by the
/// monotonic clock. Both clocks are slewed alike by time synchronisation; only a step of the
/// wall clock (`settimeofday`) shows this much later.
const RECALIBRATE: i64 = 1_000_000_000;

/// The instant [`mono`] counts from.
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// `at` as nanoseconds from a process-wide instant (negative before it): an instant in 8
/// bytes, which a record carries to the thread that finishes it.
pub(crate) fn mono(at: Instant) -> i64 {
    let base = base();
    match at.checked_duration_since(base) {
        Some(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        None => -i64::try_from(base.duration_since(at).as_nanos()).unwrap_or(i64::MAX),
    }
}

/// The wall-clock time at `mono` (a monotonic instant already read: a handler's start), in
/// nanoseconds since the epoch. The wall clock is read once a second per thread and carried
/// by the monotonic clock in between, so that a record reads the clock twice (its body's
/// start and end), not three times, and the thread finishing records reads it once a second.
pub(crate) fn wall_nanos_at(mono_at: i64) -> i128 {
    let read = || {
        let now = mono(Instant::now());
        let wall = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        };
        (now, wall)
    };
    let (at, wall) = CALIBRATION
        .try_with(|c| match c.get() {
            // `mono_at` may be before the reading: a record made on another thread.
            Some((at, wall)) if mono_at.abs_diff(at) < RECALIBRATE as u64 => (at, wall),
            _ => {
                let fresh = read();
                c.set(Some(fresh));
                fresh
            }
        })
        .unwrap_or_else(|_| read());
    wall + i128::from(mono_at) - i128::from(at)
}

/// Appends `t` in RFC 3339 UTC with nanoseconds.
///
/// Times outside 1970..=9999 (a broken clock) are clamped to the nearest end rather than
/// failing: a record is always written.
pub(crate) fn write_rfc3339(buf: &mut Vec<u8>, t: SystemTime) {
    let nanos = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(_) => -1,
    };
    write_rfc3339_nanos(buf, nanos);
}

/// Appends the time `nanos` after the epoch in RFC 3339 UTC, clamped like [`write_rfc3339`].
pub(crate) fn write_rfc3339_nanos(buf: &mut Vec<u8>, nanos: i128) {
    // In `u64`: a 128-bit division is many times slower.
    let (secs, nanos) = match u64::try_from(nanos) {
        Ok(n) => (n / 1_000_000_000, (n % 1_000_000_000) as u32),
        Err(_) if nanos < 0 => (0, 0),
        // Past 2554: rare enough for the slow division.
        Err(_) => (
            u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX),
            (nanos % 1_000_000_000) as u32,
        ),
    };
    let (secs, nanos) = if secs > MAX_SECS {
        (MAX_SECS, 999_999_999)
    } else {
        (secs, nanos)
    };
    let date_time = LAST_SECOND
        .try_with(|last| {
            let (cached_secs, cached) = last.get();
            if cached_secs == secs {
                return cached;
            }
            let fresh = date_time(secs);
            last.set((secs, fresh));
            fresh
        })
        .unwrap_or_else(|_| date_time(secs));
    buf.extend_from_slice(&date_time);
    let mut frac = *b".000000000Z";
    let mut n = nanos;
    for digit in frac[1..10].iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
    buf.extend_from_slice(&frac);
}

/// `YYYY-MM-DDTHH:MM:SS` of a whole second since the epoch.
fn date_time(secs: u64) -> [u8; 19] {
    let text =
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string();
    let mut out = *b"1970-01-01T00:00:00";
    if let Some(prefix) = text.as_bytes().get(..19) {
        out.copy_from_slice(prefix);
    }
    out
}

/// `t` as RFC 3339 text.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let mut b = Vec::with_capacity(30);
    write_rfc3339(&mut b, t);
    String::from_utf8_lossy(&b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(t: SystemTime) -> String {
        let mut b = Vec::new();
        write_rfc3339(&mut b, t);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn formats_with_nanoseconds_and_z() {
        let t = UNIX_EPOCH + Duration::new(1_795_003_200, 123);
        assert_eq!(fmt(t), "2026-11-18T12:00:00.000000123Z");
        // Same second, other nanoseconds: the cached date is reused.
        let t = UNIX_EPOCH + Duration::new(1_795_003_200, 999_999_999);
        assert_eq!(fmt(t), "2026-11-18T12:00:00.999999999Z");
        let t = UNIX_EPOCH + Duration::new(1_795_003_201, 5_000_000);
        assert_eq!(fmt(t), "2026-11-18T12:00:01.005000000Z");
    }

    #[test]
    fn matches_humantime_over_many_instants() {
        let mut secs: u64 = 0;
        while secs < MAX_SECS {
            let t = UNIX_EPOCH + Duration::new(secs, (secs % 1_000_000_000) as u32);
            assert_eq!(fmt(t), humantime::format_rfc3339_nanos(t).to_string());
            secs = secs * 3 + 7_777_777;
        }
    }

    #[test]
    fn the_wall_clock_at_an_instant_follows_the_system_clock() {
        let epoch_nanos = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_nanos() as i128;
        let ms = 1_000_000;
        for _ in 0..3 {
            let before = epoch_nanos(SystemTime::now());
            let at = mono(Instant::now());
            let wall = wall_nanos_at(at);
            let after = epoch_nanos(SystemTime::now());
            // Within the clocks' reading cost of each other, and ordered with `at`.
            assert!(wall + 5 * ms >= before, "{wall} {before}");
            assert!(wall <= after + 5 * ms, "{wall} {after}");
            let later = at + 250 * ms as i64;
            assert_eq!(wall_nanos_at(later) - wall, 250 * ms);
            // An instant before this thread's reading (a record made on another thread) is
            // carried back by the same reading.
            let earlier = later - 400 * ms as i64;
            assert_eq!(wall_nanos_at(later) - wall_nanos_at(earlier), 400 * ms);
        }
    }

    #[test]
    fn mono_carries_an_instant_both_ways() {
        let now = Instant::now();
        let before = base()
            .checked_sub(Duration::from_millis(5))
            .unwrap_or(base());
        for at in [now, before, now + Duration::from_secs(3)] {
            let back = |m: i64| {
                let d = Duration::from_nanos(m.unsigned_abs());
                if m >= 0 { base() + d } else { base() - d }
            };
            assert_eq!(back(mono(at)), at);
        }
    }

    #[test]
    fn clamps_out_of_range_clocks() {
        let before = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(fmt(before), "1970-01-01T00:00:00.000000000Z");
        let after = UNIX_EPOCH + Duration::from_secs(MAX_SECS * 2);
        assert_eq!(fmt(after), "9999-12-31T23:59:59.999999999Z");
    }
}
