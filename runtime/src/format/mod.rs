//! Record formats: the JSON record of seclog (the contract), or a mapping of it to another
//! schema (ECS, OCSF), chosen per sink with [`crate::Builder::sink_with`] or for the
//! environment's output with `SECLOG_FORMAT`.

mod ecs;
mod ocsf;

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
    /// [OCSF 1.8](https://schema.ocsf.io/1.8.0/) events, one per line: `authn_*` and
    /// `session_*` records as Authentication (3002); account, password and permission changes
    /// (`user_*`, `authn_password_change`, `authn_login_lock`, `authz_change`,
    /// `privilege_permissions_changed`) as Account Change (3001); the watcher's alerts
    /// (`seclog.alert`, and `authn_login_fail_max`, `authn_login_successafterfail`,
    /// `excess_rate_limit_exceeded` with `fields.rule`) as Detection Finding (2004);
    /// seclog's own records (`sys_*`, `seclog.*`) as Application Lifecycle (6002), `sys_crash`
    /// as Application Error (6008); every other record as API Activity (6003), with
    /// `api.operation` the function, `actor.user` the caller and `src_endpoint.ip` its address.
    ///
    /// Every event has `class_uid`, `category_uid`, `activity_id`, `type_uid`
    /// (`class_uid * 100 + activity_id`), their names, `severity_id` from the level
    /// (`INFO` and below 1, `WARN` 3, `ERROR` 4, `CRITICAL` 5), `time` (epoch milliseconds; the
    /// record's `ts` with its nanoseconds in `metadata.original_time`), `status_id` from the
    /// outcome, `message` (the event name) and `metadata` (`product.name: "seclog"`,
    /// `version: "1.8.0"`). What OCSF has no attribute for keeps its seclog name under
    /// `unmapped` (`seq`, `level`, `outcome`, `duration_ns`, `inputs`, `output`, `fields`,
    /// the rest of `where` and `who`, ...).
    ///
    /// ```
    /// let line = br#"{"ts":"2026-11-22T12:00:00.000000123Z","seq":7,"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":52311,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::login","file":"src/auth.rs","line":17},"who":{"user":"alice","ip":"203.0.113.7"},"inputs":{"password":"[REDACTED]"}}
    /// "#;
    /// let mut out = Vec::new();
    /// seclog::Format::Ocsf.convert(line, &mut out);
    /// let ocsf: serde_json::Value = serde_json::from_slice(&out).unwrap();
    /// assert_eq!(ocsf["class_uid"], 3002); // Authentication
    /// assert_eq!(ocsf["activity_id"], 1); // Logon
    /// assert_eq!(ocsf["type_uid"], 300201);
    /// assert_eq!(ocsf["status_id"], 2); // Failure
    /// assert_eq!(ocsf["severity_id"], 3); // Medium
    /// assert_eq!(ocsf["time"], 1_795_348_800_000_u64);
    /// assert_eq!(ocsf["user"]["name"], "alice");
    /// assert_eq!(ocsf["src_endpoint"]["ip"], "203.0.113.7");
    /// assert_eq!(ocsf["metadata"]["product"]["name"], "seclog");
    /// assert_eq!(ocsf["metadata"]["version"], "1.8.0");
    /// assert_eq!(ocsf["unmapped"]["seq"], 7);
    /// assert_eq!(ocsf["unmapped"]["inputs"]["password"], "[REDACTED]");
    /// ```
    Ocsf,
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
            Format::Ocsf => {
                for line in records.split_inclusive(|&b| b == b'\n') {
                    ocsf::convert_line(line, out);
                }
            }
        }
    }

    /// The name used in `SECLOG_FORMAT`: `json`, `ecs` or `ocsf`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Ecs => "ecs",
            Format::Ocsf => "ocsf",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "json" => Ok(Format::Json),
            "ecs" => Ok(Format::Ecs),
            "ocsf" => Ok(Format::Ocsf),
            other => Err(format!(
                "unknown format {other:?}; expected json, ecs or ocsf"
            )),
        }
    }
}
