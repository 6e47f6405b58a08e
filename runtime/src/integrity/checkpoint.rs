//! Checkpoints: the chain's length and head at a moment, to keep somewhere else.

use super::hex;

/// The chain's state at one moment: its last record and that record's MAC.
///
/// The file sink takes one at a fixed interval and hands it to a callback, so that it can be
/// kept off the host (another machine, a ticket, an e-mail). Verifying against the latest
/// kept checkpoint detects a log cut short after it, which the chain alone cannot show.
///
/// For a chain (`chain` set), `count` is the `seq` of the last record; for a log written by
/// earlier versions of the file sink (`chain` is `None`), the number of lines in its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The `seq` of the chain's last record (for earlier logs: lines in the chain, file
    /// headers and checkpoints included).
    pub count: u64,
    /// The MAC of the last of them.
    pub head: [u8; 32],
    /// The id of the chain's key.
    pub key_id: String,
    /// When it was taken (RFC 3339 UTC).
    pub ts: String,
    /// The chain's id (`None` for logs written by earlier versions of the file sink).
    pub chain: Option<String>,
}

impl Checkpoint {
    /// `{"count":N,"head":"<hex>","key":"<id>","ts":"...","chain":"<id>"}` (`chain` only
    /// when set).
    pub fn to_json(&self) -> String {
        let mut v = serde_json::json!({
            "count": self.count,
            "head": hex(&self.head),
            "key": self.key_id,
            "ts": self.ts,
        });
        if let Some(chain) = &self.chain {
            v["chain"] = chain.as_str().into();
        }
        v.to_string()
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
            chain: v.get("chain").and_then(|c| c.as_str()).map(str::to_owned),
        })
    }
}
