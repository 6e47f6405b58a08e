//! The OCSF 1.8 mapping of a record.
//!
//! Runs on the writer thread, like the ECS mapping: one parse and one re-encode per record,
//! off the handler's path. Values are moved, never re-rendered (the one exception, an `error`
//! that is not a string, is also written as its JSON text in `status_detail`): redaction and
//! limits hold as in the JSON record. What OCSF has no attribute for keeps its seclog name
//! under `unmapped`.
//!
//! The class of a record follows from its event (`classify`): Authentication (3002),
//! Account Change (3001), API Activity (6003), Detection Finding (2004) for the watcher's
//! alerts, and Application Lifecycle (6002) / Application Error (6008) for seclog's own
//! records.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The OCSF version the mapping follows (`metadata.version`).
const OCSF_VERSION: &str = "1.8.0";

/// The events the watcher writes its alerts as, besides `seclog.alert`: alerts when they
/// carry `fields.rule`, ordinary events otherwise.
const ALERT_EVENTS: [&str; 3] = [
    "authn_login_fail_max",
    "authn_login_successafterfail",
    "excess_rate_limit_exceeded",
];

/// The OCSF classes records are mapped to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Authentication,
    AccountChange,
    ApiActivity,
    DetectionFinding,
    ApplicationLifecycle,
    ApplicationError,
}

impl Class {
    const fn uid(self) -> u64 {
        match self {
            Class::Authentication => 3002,
            Class::AccountChange => 3001,
            Class::ApiActivity => 6003,
            Class::DetectionFinding => 2004,
            Class::ApplicationLifecycle => 6002,
            Class::ApplicationError => 6008,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Class::Authentication => "Authentication",
            Class::AccountChange => "Account Change",
            Class::ApiActivity => "API Activity",
            Class::DetectionFinding => "Detection Finding",
            Class::ApplicationLifecycle => "Application Lifecycle",
            Class::ApplicationError => "Application Error",
        }
    }

    /// `category_uid` and `category_name`.
    const fn category(self) -> (u64, &'static str) {
        match self {
            Class::Authentication | Class::AccountChange => (3, "Identity & Access Management"),
            Class::DetectionFinding => (2, "Findings"),
            Class::ApiActivity | Class::ApplicationLifecycle | Class::ApplicationError => {
                (6, "Application Activity")
            }
        }
    }
}

/// `activity_id` 99: the activity is named by the event (`activity_name`).
const OTHER: (u64, &str) = (99, "Other");

/// The class and activity (`activity_id`, its caption) of an event.
fn classify(event: &str, alert_rule: bool) -> (Class, (u64, &'static str)) {
    use Class::*;
    if event == "seclog.alert" || (alert_rule && ALERT_EVENTS.contains(&event)) {
        return (DetectionFinding, (1, "Create"));
    }
    match event {
        "authn_login_success"
        | "authn_login_fail"
        | "authn_login_successafterfail"
        | "authn_login_fail_max"
        | "authn_impossible_travel"
        | "session_created" => (Authentication, (1, "Logon")),
        "session_logout" | "session_expired" => (Authentication, (2, "Logoff")),
        "authn_token_created" => (Authentication, (3, "Authentication Ticket")),
        "authn_login_lock" => (AccountChange, (9, "Lock")),
        "authn_password_change" | "authn_password_change_fail" => {
            (AccountChange, (3, "Password Change"))
        }
        "user_created" => (AccountChange, (1, "Create")),
        "user_archived" => (AccountChange, (5, "Disable")),
        "user_deleted" => (AccountChange, (6, "Delete")),
        "authz_change" | "privilege_permissions_changed" => (AccountChange, OTHER),
        "sys_startup" => (ApplicationLifecycle, (3, "Start")),
        "sys_shutdown" => (ApplicationLifecycle, (4, "Stop")),
        "sys_restart" => (ApplicationLifecycle, (5, "Restart")),
        "sys_monitor_enabled" => (ApplicationLifecycle, (6, "Enable")),
        "sys_monitor_disabled" => (ApplicationLifecycle, (7, "Disable")),
        "sys_crash" => (ApplicationError, (1, "General Error")),
        e if e.starts_with("authn_") || e.starts_with("session_") => (Authentication, OTHER),
        e if e.starts_with("user_") => (AccountChange, OTHER),
        e if e.starts_with("sys_") || e.starts_with("seclog.") => (ApplicationLifecycle, OTHER),
        e => (ApiActivity, api_activity(e)),
    }
}

/// API Activity's activity: from the event name's last word when it says one of the four
/// (`sensitive_read`, `orders.create`, `upload_delete`), else Other.
fn api_activity(event: &str) -> (u64, &'static str) {
    let last = event.rsplit(['.', '_', ':', '-']).next().unwrap_or(event);
    match last {
        "create" | "created" => (1, "Create"),
        "read" => (2, "Read"),
        "update" | "updated" => (3, "Update"),
        "delete" | "deleted" => (4, "Delete"),
        _ => OTHER,
    }
}

/// `severity_id` and `severity` of a seclog level.
fn severity(level: Option<&str>) -> (u64, &'static str) {
    match level {
        Some("TRACE" | "DEBUG" | "INFO") => (1, "Informational"),
        Some("WARN") => (3, "Medium"),
        Some("ERROR") => (4, "High"),
        Some("CRITICAL") => (5, "Critical"),
        _ => (0, "Unknown"),
    }
}

/// `status_id` and `status` of a record that is not a finding. An event named for a failure
/// (`authz_fail`, `authn_password_change_fail`) fails whatever the call returned: `event!`
/// records such events with outcome `success`.
fn status(event: &str, outcome: Option<&str>) -> (u64, String) {
    if event.ends_with("_fail") {
        return (2, "Failure".into());
    }
    match outcome {
        Some("success") => (1, "Success".into()),
        Some("failure" | "panic") => (2, "Failure".into()),
        // `cancelled`, and any later outcome: OCSF's Other, named by seclog's word.
        Some(other) => (99, other.into()),
        None => (0, "Unknown".into()),
    }
}

/// Milliseconds since the epoch of an RFC 3339 UTC timestamp (OCSF's `timestamp_t`).
fn epoch_ms(ts: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339(ts).ok()?;
    u64::try_from(t.duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()
}

/// Appends the OCSF form of one record line (with its `\n`) to `out`. A line that is not a
/// record (it cannot be produced by seclog) becomes an Application Error event of activity
/// Translation Error with the line under `unmapped.unparsed`: never lost.
pub(super) fn convert_line(line: &[u8], out: &mut Vec<u8>) {
    let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
    let event = serde_json::from_slice::<Map<String, Value>>(trimmed)
        .ok()
        .and_then(map)
        .unwrap_or_else(|| unparsed(trimmed));
    // Serializing a `Value` to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &event);
    out.push(b'\n');
}

/// The classification attributes every event has.
fn base(class: Class, activity: (u64, &str), activity_name: &str) -> Map<String, Value> {
    let (category_uid, category_name) = class.category();
    let mut o = Map::new();
    o.insert("class_uid".into(), class.uid().into());
    o.insert("class_name".into(), class.name().into());
    o.insert("category_uid".into(), category_uid.into());
    o.insert("category_name".into(), category_name.into());
    o.insert("activity_id".into(), activity.0.into());
    o.insert("activity_name".into(), activity_name.into());
    o.insert("type_uid".into(), (class.uid() * 100 + activity.0).into());
    o.insert(
        "type_name".into(),
        format!("{}: {}", class.name(), activity.1).into(),
    );
    // seclog's timestamps are UTC.
    o.insert("timezone_offset".into(), 0.into());
    o
}

fn metadata(original_time: Option<Value>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("version".into(), OCSF_VERSION.into());
    m.insert(
        "product".into(),
        json!({ "name": "seclog", "vendor_name": "seclog" }),
    );
    if let Some(t) = original_time {
        m.insert("original_time".into(), t);
    }
    m
}

/// The event for a line that is not a record.
fn unparsed(line: &[u8]) -> Value {
    let mut o = base(
        Class::ApplicationError,
        (2, "Translation Error"),
        "Translation Error",
    );
    // The line has no time of its own: the event is the failed translation, made now.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    o.insert("time".into(), now.into());
    o.insert("severity_id".into(), 0.into());
    o.insert("severity".into(), "Unknown".into());
    o.insert("metadata".into(), Value::Object(metadata(None)));
    o.insert(
        "unmapped".into(),
        json!({ "unparsed": String::from_utf8_lossy(line) }),
    );
    Value::Object(o)
}

/// Removes `key` from `m` when it holds a string.
fn take_str(m: &mut Map<String, Value>, key: &str) -> Option<Value> {
    if m.get(key).is_some_and(Value::is_string) {
        m.remove(key)
    } else {
        None
    }
}

/// Removes the object `key` from `r` (empty when absent; a value that is not an object stays
/// in `r`, for `unmapped`).
fn take_object(r: &mut Map<String, Value>, key: &str) -> Map<String, Value> {
    match r.remove(key) {
        Some(Value::Object(m)) => m,
        Some(other) => {
            r.insert(key.into(), other);
            Map::new()
        }
        None => Map::new(),
    }
}

/// Stands for a user or endpoint the record does not name, where OCSF requires the object:
/// its type Unknown, nothing invented.
fn unknown() -> Value {
    json!({ "type_id": 0 })
}

/// A finding's `uid`: the first 128 bits of SHA-256, in hex, over the rule, the alert's key
/// (and the tenant and usage of a quota) and `first_seen` — the same alert written twice
/// (a copy, a sink's retry) has the same uid.
fn finding_uid(fields: &Map<String, Value>) -> String {
    let mut parts = Vec::new();
    for k in [
        "rule",
        "user",
        "ip",
        "event",
        "fn",
        "tenant",
        "usage",
        "first_seen",
    ] {
        if let Some(v) = fields.get(k) {
            parts.push(json!([k, v]));
        }
    }
    let digest = Sha256::digest(Value::Array(parts).to_string().as_bytes());
    crate::hex::encode(&digest[..16])
}

fn map(mut r: Map<String, Value>) -> Option<Value> {
    let event = r.get("event")?.as_str()?.to_owned();
    let time = epoch_ms(r.get("ts")?.as_str()?)?;
    r.remove("event");
    let ts = r.remove("ts");
    let mut fields = take_object(&mut r, "fields");
    let mut who = take_object(&mut r, "who");
    let mut place = take_object(&mut r, "where");

    let alert_rule = fields.get("rule").is_some_and(Value::is_string);
    let (class, activity) = classify(&event, alert_rule);
    let activity_name = if activity == OTHER {
        event.as_str()
    } else {
        activity.1
    };
    let mut o = base(class, activity, activity_name);
    o.insert("time".into(), time.into());
    let (severity_id, severity_name) = severity(r.get("level").and_then(Value::as_str));
    o.insert("severity_id".into(), severity_id.into());
    o.insert("severity".into(), severity_name.into());
    o.insert("message".into(), event.clone().into());
    let mut meta = metadata(ts);
    if let Some(tenant) = take_str(&mut who, "tenant") {
        meta.insert("tenant_uid".into(), tenant);
    }
    o.insert("metadata".into(), Value::Object(meta));

    if class == Class::DetectionFinding {
        // A finding's status is the analyst's (New, In Progress, ...): a fresh alert is New.
        o.insert("status_id".into(), 1.into());
        o.insert("status".into(), "New".into());
    } else {
        let (id, name) = status(&event, r.get("outcome").and_then(Value::as_str));
        o.insert("status_id".into(), id.into());
        o.insert("status".into(), name.into());
    }
    if let Some(error) = r.get("error") {
        let detail = match error {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        o.insert("status_detail".into(), detail.into());
    }

    let ip = who.remove("ip");
    match class {
        Class::Authentication => {
            let user = take_str(&mut who, "user")
                .or_else(|| take_str(&mut fields, "attempted_user"))
                .or_else(|| take_str(&mut fields, "user"))
                .map_or_else(unknown, |name| json!({ "name": name }));
            o.insert("user".into(), user);
            if let Some(ip) = ip {
                o.insert("src_endpoint".into(), json!({ "ip": ip }));
            }
            if let Some(session) = who.remove("session") {
                o.insert("session".into(), json!({ "uid": session }));
            }
            if let Some(method) = take_str(&mut who, "auth_method") {
                // seclog's methods (`password`, `jwt`, `cognito`, ...) are none of OCSF's
                // protocols exactly: Other, named by the method.
                o.insert("auth_protocol_id".into(), 99.into());
                o.insert("auth_protocol".into(), method);
            }
            let mut service = Map::new();
            if let Some(name) = place.remove("service") {
                service.insert("name".into(), name);
            }
            if let Some(version) = place.remove("version") {
                service.insert("version".into(), version);
            }
            if !service.is_empty() {
                o.insert("service".into(), Value::Object(service));
            }
            if let Some(host) = place.remove("host") {
                o.insert("dst_endpoint".into(), json!({ "hostname": host }));
            }
        }
        Class::AccountChange => {
            // The account changed is the one the event names (`event!("user_created",
            // user = ..)`), changed by the caller; else the caller's own.
            let target = ["user", "target_user", "account"]
                .into_iter()
                .find_map(|k| take_str(&mut fields, k));
            let caller = take_str(&mut who, "user");
            let user = match (target, caller) {
                (Some(target), caller) => {
                    if let Some(caller) = caller {
                        o.insert("actor".into(), json!({ "user": { "name": caller } }));
                    }
                    json!({ "name": target })
                }
                (None, Some(caller)) => json!({ "name": caller }),
                (None, None) => unknown(),
            };
            o.insert("user".into(), user);
            if let Some(ip) = ip {
                o.insert("src_endpoint".into(), json!({ "ip": ip }));
            }
        }
        Class::ApiActivity => {
            let operation = take_str(&mut place, "fn").unwrap_or_else(|| event.clone().into());
            let mut api = json!({ "operation": operation });
            if let Some(id) = who.remove("request_id") {
                api["request"] = json!({ "uid": id });
            }
            o.insert("api".into(), api);
            let actor = match take_str(&mut who, "user") {
                Some(name) => json!({ "user": { "name": name } }),
                None => json!({ "user": unknown() }),
            };
            o.insert("actor".into(), actor);
            let src = ip.map_or_else(unknown, |ip| json!({ "ip": ip }));
            o.insert("src_endpoint".into(), src);
            let mut dst = Map::new();
            if let Some(host) = place.remove("host") {
                dst.insert("hostname".into(), host);
            }
            if let Some(service) = place.remove("service") {
                dst.insert("svc_name".into(), service);
            }
            if !dst.is_empty() {
                o.insert("dst_endpoint".into(), Value::Object(dst));
            }
            if let Some(ua) = who.remove("user_agent") {
                o.insert("http_request".into(), json!({ "user_agent": ua }));
            }
        }
        Class::DetectionFinding => {
            let uid = finding_uid(&fields);
            let title = fields
                .remove("rule")
                .unwrap_or_else(|| event.clone().into());
            o.insert("finding_info".into(), json!({ "uid": uid, "title": title }));
            o.insert("is_alert".into(), true.into());
            if let Some(ip) = ip {
                who.insert("ip".into(), ip);
            }
        }
        Class::ApplicationLifecycle => {
            // OCSF's `app` is a product: the service and its version.
            let mut app = Map::new();
            app.insert(
                "name".into(),
                place.remove("service").unwrap_or_else(|| "unknown".into()),
            );
            if let Some(version) = place.remove("version") {
                app.insert("version".into(), version);
            }
            o.insert("app".into(), Value::Object(app));
            if let Some(ip) = ip {
                who.insert("ip".into(), ip);
            }
        }
        Class::ApplicationError => {
            if let Some(ip) = ip {
                who.insert("ip".into(), ip);
            }
        }
    }

    // Everything else keeps its seclog name: seq, level, outcome, duration_ns, inputs,
    // output, error, redacted, budgets, usage, chain, mac, later additions.
    let mut unmapped = r;
    for (key, rest) in [("where", place), ("who", who), ("fields", fields)] {
        if !rest.is_empty() {
            unmapped.insert(key.into(), Value::Object(rest));
        }
    }
    if !unmapped.is_empty() {
        o.insert("unmapped".into(), Value::Object(unmapped));
    }
    Some(Value::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ocsf(line: &str) -> Value {
        let mut out = Vec::new();
        convert_line(format!("{line}\n").as_bytes(), &mut out);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn timestamps_are_epoch_milliseconds() {
        assert_eq!(epoch_ms("1970-01-01T00:00:01.999999999Z"), Some(1999));
        assert_eq!(
            epoch_ms("2026-11-22T12:00:00.000000123Z"),
            Some(1_795_348_800_000)
        );
        assert_eq!(epoch_ms("yesterday"), None);
    }

    #[test]
    fn classes_and_activities() {
        let cases = [
            ("authn_login_fail", false, 3002, 1),
            ("session_logout", false, 3002, 2),
            ("authn_token_created", false, 3002, 3),
            ("authn_token_reuse", false, 3002, 99),
            ("authn_password_change_fail", false, 3001, 3),
            ("authn_login_lock", false, 3001, 9),
            ("user_deleted", false, 3001, 6),
            ("authz_change", false, 3001, 99),
            ("authz_fail", false, 6003, 99),
            ("sensitive_read", false, 6003, 2),
            ("orders.create", false, 6003, 1),
            ("authn_login_fail_max", true, 2004, 1),
            ("authn_login_fail_max", false, 3002, 1),
            ("seclog.alert", true, 2004, 1),
            ("sys_startup", false, 6002, 3),
            ("seclog.perf", false, 6002, 99),
            ("sys_crash", false, 6008, 1),
        ];
        for (event, rule, class, activity) in cases {
            let (c, a) = classify(event, rule);
            assert_eq!((c.uid(), a.0), (class, activity), "{event}");
        }
    }

    #[test]
    fn a_failure_event_fails_whatever_the_outcome() {
        assert_eq!(status("authz_fail", Some("success")).0, 2);
        assert_eq!(status("orders.create", Some("panic")).0, 2);
        assert_eq!(
            status("orders.create", Some("cancelled")),
            (99, "cancelled".into())
        );
        assert_eq!(status("orders.create", None).0, 0);
    }

    #[test]
    fn a_line_that_is_not_a_record_is_kept() {
        for line in ["not json \u{1b}[31m", r#"{"event":"x"}"#, "[1,2]"] {
            let v = ocsf(line);
            assert_eq!(v["class_uid"], 6008);
            assert_eq!(v["type_uid"], 600802);
            assert_eq!(v["unmapped"]["unparsed"], line);
        }
    }
}
