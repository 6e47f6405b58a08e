//! Redaction: what a withheld value is written as.

/// What a `#[redact]`ed value is recorded as. It says nothing of the value: not its length, not
/// its shape.
pub const REDACTED: &str = "[REDACTED]";

pub(crate) fn write_redacted(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"\"[REDACTED]\"");
}
