//! Record formats: the JSON record of seclog (the contract), or a mapping of it to another
//! schema, chosen per sink with [`crate::Builder::sink_with`].

mod ecs;

/// How records are written to one sink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// seclog's own JSON record, one object per line. The default.
    #[default]
    Json,
    /// The [Elastic Common Schema](https://www.elastic.co/guide/en/ecs/current/index.html):
    /// `@timestamp`, `event.action`, `event.outcome`, `event.duration`, `log.level`,
    /// `user.name`, `source.ip`, `service.name`, … with what ECS has no field for under
    /// `seclog.*`. See [`Format::convert`].
    Ecs,
}

impl Format {
    /// Converts `records` (complete seclog JSON lines) to this format, appending to `out`.
    ///
    /// ```
    /// let line = br#"{"ts":"2026-11-22T12:00:00.000000123Z","seq":7,"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":52311,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::login","file":"src/auth.rs","line":17},"who":{"user":"alice","ip":"203.0.113.7"}}
    /// "#;
    /// let mut out = Vec::new();
    /// seclog::Format::Ecs.convert(line, &mut out);
    /// let ecs: serde_json::Value = serde_json::from_slice(&out).unwrap();
    /// assert_eq!(ecs["@timestamp"], "2026-11-22T12:00:00.000000123Z");
    /// assert_eq!(ecs["event"]["action"], "authn_login_fail");
    /// assert_eq!(ecs["event"]["outcome"], "failure");
    /// assert_eq!(ecs["user"]["name"], "alice");
    /// assert_eq!(ecs["source"]["ip"], "203.0.113.7");
    /// assert_eq!(ecs["service"]["name"], "shop");
    /// ```
    pub fn convert(self, records: &[u8], out: &mut Vec<u8>) {
        match self {
            Format::Json => out.extend_from_slice(records),
            Format::Ecs => {
                for line in records.split_inclusive(|&b| b == b'\n') {
                    ecs::convert_line(line, out);
                }
            }
        }
    }

    /// The name used in `SECLOG_FORMAT`: `json` or `ecs`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Ecs => "ecs",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "json" => Ok(Format::Json),
            "ecs" => Ok(Format::Ecs),
            other => Err(format!("unknown format {other:?}; expected json or ecs")),
        }
    }
}
