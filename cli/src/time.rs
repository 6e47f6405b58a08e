//! Timestamps: the record's RFC 3339 `ts`, read fast, and the `--since` / `--until` arguments.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant as nanoseconds since the Unix epoch (years 1970 to 2262).
pub type Nanos = i64;

/// Reads an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`t`, `z` and a
/// space accepted). `None` for anything else or a year outside 1970..=2261.
pub fn parse_rfc3339(s: &str) -> Option<Nanos> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let d = |i: usize| -> Option<i64> {
        let c = *b.get(i)?;
        c.is_ascii_digit().then(|| i64::from(c - b'0'))
    };
    let n2 = |i: usize| Some(d(i)? * 10 + d(i + 1)?);
    let year = n2(0)? * 100 + n2(2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (month, day) = (n2(5)?, n2(8)?);
    let (hour, min, sec) = (n2(11)?, n2(14)?, n2(17)?);
    if !(1970..=2261).contains(&year)
        || !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut frac: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start < 9 {
                frac = frac * 10 + i64::from(c - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            frac *= 10;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (h, m) = (n2(i + 1)?, n2(i + 4)?);
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec - offset;
    secs.checked_mul(1_000_000_000)?.checked_add(frac)
}

/// [`parse_rfc3339`] with the last `YYYY-MM-DDTHH:MM:SS` remembered: records come in time
/// order, many within one second, and then only the fraction and the offset are read.
#[derive(Debug, Default)]
pub struct Cache {
    prefix: [u8; 19],
    secs_ns: Option<Nanos>,
}

impl Cache {
    /// Same result as [`parse_rfc3339`].
    #[inline]
    pub fn parse(&mut self, s: &str) -> Option<Nanos> {
        let b = s.as_bytes();
        if let (Some(head), Some(base)) = (b.get(..19), self.secs_ns) {
            // `YYYY-MM-DDTHH:MM:SS.fffZ` within the remembered second; anything else is read
            // whole below.
            if head == self.prefix && b.get(19) == Some(&b'.') {
                let rest = &b[20..];
                let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
                if digits > 0 && digits <= 9 && rest.get(digits..) == Some(b"Z") {
                    let mut frac: i64 = 0;
                    for &c in &rest[..digits] {
                        frac = frac * 10 + i64::from(c - b'0');
                    }
                    for _ in digits..9 {
                        frac *= 10;
                    }
                    return Some(base + frac);
                }
            }
        }
        let t = parse_rfc3339(s)?;
        if b.len() >= 21 && b[19] == b'.' && b[b.len() - 1] == b'Z' {
            self.prefix.copy_from_slice(&b[..19]);
            self.secs_ns = Some(t - t.rem_euclid(1_000_000_000));
        }
        Some(t)
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats an instant as RFC 3339 in UTC, to the second (`2026-11-22T12:00:00Z`).
pub fn format(t: Nanos) -> String {
    let st = if t >= 0 {
        UNIX_EPOCH + Duration::from_nanos(t.unsigned_abs())
    } else {
        UNIX_EPOCH
    };
    humantime::format_rfc3339_seconds(st).to_string()
}

/// Reads a `--since` / `--until` argument: an RFC 3339 time, a date (`2026-11-22`, midnight
/// UTC), or a duration back from now (`90m`, `2h`, `7d`).
pub fn parse_arg(s: &str) -> Result<Nanos, String> {
    let s = s.trim();
    if let Some(t) = parse_rfc3339(s) {
        return Ok(t);
    }
    if s.len() == 10 {
        if let Some(t) = parse_rfc3339(&format!("{s}T00:00:00Z")) {
            return Ok(t);
        }
    }
    if let Ok(st) = humantime::parse_rfc3339_weak(s) {
        return since_epoch(st).ok_or_else(|| format!("{s:?} is before 1970"));
    }
    if let Ok(d) = humantime::parse_duration(s) {
        let now = since_epoch(SystemTime::now()).unwrap_or(0);
        return Ok(now.saturating_sub(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)));
    }
    Err(format!(
        "{s:?} is not a time: use RFC 3339 (2026-11-22T12:00:00Z), a date (2026-11-22) or a \
         duration back from now (90m, 2h, 7d)"
    ))
}

fn since_epoch(t: SystemTime) -> Option<Nanos> {
    i64::try_from(t.duration_since(UNIX_EPOCH).ok()?.as_nanos()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc3339() {
        let base = parse_rfc3339("2026-11-22T12:00:00Z").unwrap();
        assert_eq!(base, 1_795_348_800 * 1_000_000_000);
        assert_eq!(
            parse_rfc3339("2026-11-22T12:00:00.000000123Z"),
            Some(base + 123)
        );
        assert_eq!(
            parse_rfc3339("2026-11-22T12:00:00.5Z"),
            Some(base + 500_000_000)
        );
        assert_eq!(parse_rfc3339("2026-11-22T13:30:00+01:30"), Some(base));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z").map(|t| t / 1_000_000_000),
            Some(1_709_164_800)
        );
        for bad in [
            "",
            "2026-11-22",
            "2026-11-22T12:00:00",
            "2026-13-22T12:00:00Z",
            "2026-02-30T12:00:00Z",
            "2026-11-22T12:00:00.Z",
            "2026-11-22T12:00:00Zjunk",
            "1969-12-31T23:59:59Z",
            "２０２６-11-22T12:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_cache_gives_the_same_answers() {
        let mut c = Cache::default();
        for s in [
            "2026-11-22T12:00:00.000000123Z",
            "2026-11-22T12:00:00.5Z",
            "2026-11-22T12:00:00.999999999Z",
            "2026-11-22T12:00:00Z",
            "2026-11-22T12:00:00.1234567891Z",
            "2026-11-22T12:00:00.Z",
            "2026-11-22T12:00:00.1+01:00",
            "2026-11-22T12:00:01.000000001Z",
            "2026-11-22T12:00:01.000000001Zx",
            "2026-11-22T12:00:01.7Z",
        ] {
            assert_eq!(c.parse(s), parse_rfc3339(s), "{s}");
        }
    }

    #[test]
    fn reads_arguments() {
        let base = parse_rfc3339("2026-11-22T00:00:00Z").unwrap();
        assert_eq!(parse_arg("2026-11-22"), Ok(base));
        assert_eq!(parse_arg("2026-11-22T00:00:00Z"), Ok(base));
        let hour_ago = parse_arg("1h").unwrap();
        let now = since_epoch(SystemTime::now()).unwrap();
        assert!((now - hour_ago - 3_600_000_000_000).abs() < 60_000_000_000);
        assert!(parse_arg("yesterday").unwrap_err().contains("RFC 3339"));
        assert_eq!(format(base), "2026-11-22T00:00:00Z");
    }
}
