//! UTC timestamps in the record's one format: RFC 3339 with nanoseconds and a `Z` suffix.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The last instant RFC 3339 (four-digit years) can express.
const MAX_SECS: u64 = 253_402_300_799;

/// Formats `t` into `buf` and returns it, e.g. `2026-11-22T12:00:00.000000123Z`.
///
/// Times outside 1970..=9999 (a broken clock) are clamped to the nearest end rather than
/// failing: a record is always written.
pub(crate) fn rfc3339(t: SystemTime, buf: &mut [u8; 40]) -> &str {
    let t = match t.duration_since(UNIX_EPOCH) {
        Ok(d) if d.as_secs() <= MAX_SECS => t,
        Ok(_) => UNIX_EPOCH + Duration::new(MAX_SECS, 999_999_999),
        Err(_) => UNIX_EPOCH,
    };
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    // 30 bytes always fit in 40.
    let _ = write!(cursor, "{}", humantime::format_rfc3339_nanos(t));
    let len = cursor.position() as usize;
    std::str::from_utf8(&buf[..len]).unwrap_or("1970-01-01T00:00:00.000000000Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_nanoseconds_and_z() {
        let mut b = [0; 40];
        let t = UNIX_EPOCH + Duration::new(1_795_003_200, 123);
        assert_eq!(rfc3339(t, &mut b), "2026-11-18T12:00:00.000000123Z");
    }

    #[test]
    fn clamps_out_of_range_clocks() {
        let mut b = [0; 40];
        let before = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(rfc3339(before, &mut b), "1970-01-01T00:00:00.000000000Z");
        let after = UNIX_EPOCH + Duration::from_secs(MAX_SECS * 2);
        assert_eq!(rfc3339(after, &mut b), "9999-12-31T23:59:59.999999999Z");
    }
}
