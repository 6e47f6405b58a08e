//! Checkpoints: the chain's length and head at a moment, to keep somewhere else.

use super::hex;

/// The chain's state at one moment: how many records it held and the MAC of the last one.
///
/// The file sink writes one into the log at a fixed interval (even when idle) and hands it to
/// a callback, so that it can be kept off the host (another machine, a ticket, an e-mail).
/// Verifying against the latest kept checkpoint detects a log cut short after it, which the
/// chain alone cannot show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Records in the chain (file headers and checkpoints included).
    pub count: u64,
    /// The MAC of the last of them.
    pub head: [u8; 32],
    /// The id of the chain's key.
    pub key_id: String,
    /// When it was taken (RFC 3339 UTC).
    pub ts: String,
}

impl Checkpoint {
    /// `{"count":N,"head":"<hex>","key":"<id>","ts":"..."}`.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "count": self.count,
            "head": hex(&self.head),
            "key": self.key_id,
            "ts": self.ts,
        })
        .to_string()
    }

    /// Reads what [`to_json`](Self::to_json) wrote.
    pub fn from_json(text: &str) -> Option<Checkpoint> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let head = crate::hex::decode32(v.get("head")?.as_str()?.as_bytes())?;
        Some(Checkpoint {
            count: v.get("count")?.as_u64()?,
            head,
            key_id: v.get("key")?.as_str()?.to_owned(),
            ts: v
                .get("ts")
                .and_then(|t| t.as_str())
                .unwrap_or("")
                .to_owned(),
        })
    }
}
