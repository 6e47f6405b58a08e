//! UTC timestamps in the record's one format: RFC 3339 with nanoseconds and a `Z` suffix,
//! e.g. `2026-11-22T12:00:00.000000123Z` (always 30 bytes).

use std::cell::Cell;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The last second RFC 3339 with four-digit years can express.
const MAX_SECS: u64 = 253_402_300_799;

thread_local! {
    /// The date and time of day (`YYYY-MM-DDTHH:MM:SS`) of the last second formatted on this
    /// thread: calls within one second only write their nanoseconds.
    static LAST_SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };

    /// A reading of both clocks on this thread: the wall clock at a monotonic instant.
    static CALIBRATION: Cell<Option<(Instant, SystemTime)>> = const { Cell::new(None) };
}

/// How long a thread's reading of the wall clock is carried forward by the monotonic clock.
/// Both clocks are slewed alike by time synchronisation; only a step of the wall clock
/// (`settimeofday`) shows this much later.
const RECALIBRATE: Duration = Duration::from_secs(1);

/// The wall-clock time at `at`, a monotonic instant already read (a handler's start): the
/// wall clock is read once a second per thread and carried forward by the monotonic clock
/// in between, so that a record reads the clock twice (its body's start and end), not three
/// times.
pub(crate) fn wall_clock_at(at: Instant) -> SystemTime {
    CALIBRATION
        .try_with(|c| {
            if let Some((mono, wall)) = c.get()
                && let Some(since) = at.checked_duration_since(mono)
                && since < RECALIBRATE
            {
                return wall + since;
            }
            let (mono, wall) = (Instant::now(), SystemTime::now());
            c.set(Some((mono, wall)));
            wall.checked_sub(mono.saturating_duration_since(at))
                .unwrap_or(wall)
        })
        .unwrap_or_else(|_| SystemTime::now())
}

/// Appends `t` in RFC 3339 UTC with nanoseconds.
///
/// Times outside 1970..=9999 (a broken clock) are clamped to the nearest end rather than
/// failing: a record is always written.
pub(crate) fn write_rfc3339(buf: &mut Vec<u8>, t: SystemTime) {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) if d.as_secs() <= MAX_SECS => (d.as_secs(), d.subsec_nanos()),
        Ok(_) => (MAX_SECS, 999_999_999),
        Err(_) => (0, 0),
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
        for _ in 0..3 {
            let before = SystemTime::now();
            let at = Instant::now();
            let wall = wall_clock_at(at);
            let after = SystemTime::now();
            // Within the clocks' reading cost of each other, and ordered with `at`.
            assert!(
                wall + Duration::from_millis(5) >= before,
                "{wall:?} {before:?}"
            );
            assert!(
                wall <= after + Duration::from_millis(5),
                "{wall:?} {after:?}"
            );
            let later = at + Duration::from_millis(250);
            assert_eq!(
                wall_clock_at(later).duration_since(wall).unwrap(),
                Duration::from_millis(250)
            );
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
