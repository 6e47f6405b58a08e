//! What a source's timestamps are based on: the kernel's view of the system clock, read with
//! `adjtimex(2)` on Linux, for the records that state it (`sys_startup`, `seclog.chain`).
//!
//! `{"source":"adjtimex","synced":true,"max_error_us":16000,"est_error_us":0}` on Linux,
//! `{"source":"unknown"}` elsewhere or when the kernel does not answer.

use super::encoder::Encoder;
use super::limits::Limits;
use super::loggable::Loggable;

/// One reading of the system clock's state, written as `fields.clock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Clock {
    /// What the kernel reported; `None` when it could not be asked.
    kernel: Option<Kernel>,
}

/// The kernel's answer to `adjtimex(2)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct Kernel {
    /// The clock is synchronised: the call did not return `TIME_ERROR` and `STA_UNSYNC` is
    /// not set.
    synced: bool,
    /// `maxerror`: the kernel's bound on the clock's error, in microseconds.
    max_error_us: u64,
    /// `esterror`: its estimate of the error, in microseconds.
    est_error_us: u64,
}

impl Clock {
    /// Reads the clock's state now.
    pub(crate) fn now() -> Self {
        Clock { kernel: read() }
    }
}

/// `{"source":"adjtimex","synced":..,"max_error_us":..,"est_error_us":..}`, or
/// `{"source":"unknown"}`.
impl Loggable for Clock {
    fn log(&self, out: &mut Encoder<'_>) {
        let mut obj = out.object();
        match self.kernel {
            Some(k) => {
                obj.field_with("source", |e| e.raw_str("adjtimex"));
                obj.field("synced", &k.synced);
                obj.field("max_error_us", &k.max_error_us);
                obj.field("est_error_us", &k.est_error_us);
            }
            None => obj.field_with("source", |e| e.raw_str("unknown")),
        }
    }
}

/// Appends the clock's state now to `out`, as the JSON object [`Clock`] is written as.
#[allow(
    dead_code,
    reason = "for records assembled as bytes rather than through `event!`"
)]
pub(crate) fn write_clock_json(out: &mut Vec<u8>) {
    Encoder::new(out, Limits::default()).value(&Clock::now());
}

/// Asks the kernel; `None` when the call fails.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn read() -> Option<Kernel> {
    // SAFETY: `libc::timex` holds only integers, for which all-zero bytes are a valid value.
    // With `modes` 0 the call changes nothing and only fills in the struct, through a pointer
    // to a live local that outlives the call.
    let (state, tx) = unsafe {
        let mut tx: libc::timex = std::mem::zeroed();
        (libc::adjtimex(&mut tx), tx)
    };
    if state == -1 {
        return None;
    }
    Some(Kernel {
        synced: state != libc::TIME_ERROR && tx.status & libc::STA_UNSYNC == 0,
        max_error_us: u64::try_from(tx.maxerror).unwrap_or(0),
        est_error_us: u64::try_from(tx.esterror).unwrap_or(0),
    })
}

/// Other systems: unknown.
#[cfg(not(target_os = "linux"))]
fn read() -> Option<Kernel> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn parsed(clock: &Clock) -> Value {
        serde_json::from_str(&super::super::to_json(clock)).unwrap()
    }

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn the_clock_now_as_json() {
        let mut buf = Vec::new();
        write_clock_json(&mut buf);
        let v: Value = serde_json::from_slice(&buf).unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(v["source"], "adjtimex", "{v}");
            // serde_json's maps are sorted; the order written is checked below.
            assert_eq!(
                keys(&v),
                ["est_error_us", "max_error_us", "source", "synced"]
            );
            assert!(v["synced"].is_boolean());
            assert!(v["max_error_us"].is_u64());
            assert!(v["est_error_us"].is_u64());
        } else {
            assert_eq!(v, serde_json::json!({"source": "unknown"}));
        }
        // The bytes and the value are written alike.
        let now = parsed(&Clock::now());
        assert_eq!(keys(&now), keys(&v));
        assert_eq!(now["source"], v["source"]);
    }

    #[test]
    fn both_shapes_exactly() {
        let unsynced = Clock {
            kernel: Some(Kernel {
                synced: false,
                max_error_us: 16_000_000,
                est_error_us: 42,
            }),
        };
        assert_eq!(
            super::super::to_json(&unsynced),
            r#"{"source":"adjtimex","synced":false,"max_error_us":16000000,"est_error_us":42}"#
        );
        let unknown = Clock { kernel: None };
        assert_eq!(super::super::to_json(&unknown), r#"{"source":"unknown"}"#);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernel_answers_a_reading() {
        assert!(read().is_some(), "adjtimex with modes 0 succeeds");
    }
}
