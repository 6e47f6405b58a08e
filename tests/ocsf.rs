//! OCSF output (`Format::Ocsf`, `SECLOG_FORMAT=ocsf`): the mapping of each class on
//! handcrafted records, a hostile user name through the real pipeline, and every record of the
//! `quickstart`, `attack` and `fleet` examples validated against the OCSF 1.8 schema in
//! `../shared/reference/ocsf.json` (skipped, with a printed line, when the folder is absent).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Memory;
use seclog::{Format, Redact, security_logged};
use serde_json::{Map, Value, json};

/// The OCSF events of seclog record lines, as a sink in `Format::Ocsf` gets them.
fn ocsf(records: &str) -> Vec<Value> {
    let mut input = records.trim().to_owned();
    input.push('\n');
    let mut out = Vec::new();
    Format::Ocsf.convert(input.as_bytes(), &mut out);
    assert_eq!(
        out.iter().filter(|&&b| b == b'\n').count(),
        input.lines().count(),
        "one event per record"
    );
    common::parse(&out)
}

fn one(record: &str) -> Value {
    let mut events = ocsf(record);
    assert_eq!(events.len(), 1);
    events.remove(0)
}

const LOGIN_FAIL: &str = r#"{"ts":"2026-11-22T12:00:00.250000123Z","seq":7,"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":52311,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::auth::login","file":"src/auth.rs","line":17},"who":{"user":"alice","tenant":"acme","ip":"203.0.113.7","user_agent":"curl/8.5.0","session":"h:4f2a","request_id":"r-91","auth_method":"password"},"inputs":{"req":{"username":"alice","password":"[REDACTED]"}},"error":{"BadCredentials":null},"redacted":["inputs.req.password:full"]}"#;

#[test]
fn authentication() {
    let e = one(LOGIN_FAIL);
    assert_eq!(e["class_uid"], 3002);
    assert_eq!(e["class_name"], "Authentication");
    assert_eq!(e["category_uid"], 3);
    assert_eq!(e["activity_id"], 1);
    assert_eq!(e["activity_name"], "Logon");
    assert_eq!(e["type_uid"], 300201);
    assert_eq!(e["type_name"], "Authentication: Logon");
    assert_eq!(e["severity_id"], 3);
    assert_eq!(e["severity"], "Medium");
    assert_eq!(e["status_id"], 2);
    assert_eq!(e["status"], "Failure");
    assert_eq!(e["status_detail"], r#"{"BadCredentials":null}"#);
    assert_eq!(e["time"], 1_795_348_800_250_u64);
    assert_eq!(e["timezone_offset"], 0);
    assert_eq!(e["message"], "authn_login_fail");
    assert_eq!(
        e["metadata"],
        json!({
            "version": "1.8.0",
            "product": { "name": "seclog", "vendor_name": "seclog" },
            "original_time": "2026-11-22T12:00:00.250000123Z",
            "tenant_uid": "acme",
        })
    );
    assert_eq!(e["user"], json!({ "name": "alice" }));
    assert_eq!(e["src_endpoint"], json!({ "ip": "203.0.113.7" }));
    assert_eq!(e["session"], json!({ "uid": "h:4f2a" }));
    assert_eq!(e["auth_protocol_id"], 99);
    assert_eq!(e["auth_protocol"], "password");
    assert_eq!(e["service"], json!({ "name": "shop", "version": "0.3.1" }));
    assert_eq!(e["dst_endpoint"], json!({ "hostname": "web-1" }));
    // What OCSF has no attribute for, under seclog's own names.
    let u = &e["unmapped"];
    assert_eq!(u["seq"], 7);
    assert_eq!(u["level"], "WARN");
    assert_eq!(u["outcome"], "failure");
    assert_eq!(u["duration_ns"], 52311);
    assert_eq!(
        u["where"],
        json!({ "pid": 311, "fn": "shop::auth::login", "file": "src/auth.rs", "line": 17 })
    );
    assert_eq!(
        u["who"],
        json!({ "user_agent": "curl/8.5.0", "request_id": "r-91" })
    );
    assert_eq!(u["inputs"]["req"]["password"], "[REDACTED]");
    assert_eq!(u["error"], json!({ "BadCredentials": null }));
    assert_eq!(u["redacted"][0], "inputs.req.password:full");
}

#[test]
fn the_attempted_user_of_event_records_fails_the_logon() {
    // `seclog::events::authn_login_fail("mallory")`: no `who`, outcome success.
    let e = one(
        r#"{"ts":"2026-11-22T12:00:00.000000000Z","seq":1,"event":"authn_login_fail","level":"WARN","outcome":"success","duration_ns":0,"where":{"service":"s","version":"v","host":"h","pid":1,"fn":"s::m","file":"f.rs","line":1},"fields":{"attempted_user":"mallory","unknown_user":true}}"#,
    );
    assert_eq!(e["user"], json!({ "name": "mallory" }));
    assert_eq!(e["status_id"], 2);
    assert_eq!(e["unmapped"]["fields"], json!({ "unknown_user": true }));
    let e = one(
        r#"{"ts":"2026-11-22T12:00:00.000000000Z","seq":2,"event":"session_logout","level":"INFO","outcome":"success","duration_ns":0,"where":{"service":"s","version":"v","host":"h","pid":1,"fn":"s::m","file":"f.rs","line":1}}"#,
    );
    assert_eq!(
        (e["class_uid"].clone(), e["activity_id"].clone()),
        (json!(3002), json!(2))
    );
    assert_eq!(e["status_id"], 1);
    // No user named anywhere: OCSF requires the object, its type says Unknown.
    assert_eq!(e["user"], json!({ "type_id": 0 }));
}

#[test]
fn account_change() {
    let e = one(
        r#"{"ts":"2026-11-22T12:00:01.000000000Z","seq":8,"event":"user_created","level":"WARN","outcome":"success","duration_ns":10,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::admin","file":"src/admin.rs","line":5},"who":{"user":"root-admin","ip":"2001:db8::5"},"fields":{"user":"bob","roles":["editor"]}}"#,
    );
    assert_eq!(e["class_uid"], 3001);
    assert_eq!(e["category_name"], "Identity & Access Management");
    assert_eq!(e["type_uid"], 300101);
    assert_eq!(e["activity_name"], "Create");
    assert_eq!(e["user"], json!({ "name": "bob" }));
    assert_eq!(e["actor"], json!({ "user": { "name": "root-admin" } }));
    assert_eq!(e["src_endpoint"]["ip"], "2001:db8::5");
    assert_eq!(e["unmapped"]["fields"], json!({ "roles": ["editor"] }));

    let e = one(
        r#"{"ts":"2026-11-22T12:00:01.000000000Z","seq":9,"event":"authn_password_change_fail","level":"CRITICAL","outcome":"failure","duration_ns":10,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::pw","file":"src/pw.rs","line":5},"who":{"user":"alice"}}"#,
    );
    assert_eq!(
        (e["class_uid"].clone(), e["activity_id"].clone()),
        (json!(3001), json!(3))
    );
    assert_eq!(e["type_name"], "Account Change: Password Change");
    assert_eq!(e["user"], json!({ "name": "alice" }));
    assert!(e.get("actor").is_none());
    assert_eq!(e["severity_id"], 5);
    assert_eq!(e["status_id"], 2);

    // A change the schema has no activity for: Other, named by the event.
    let e = one(
        r#"{"ts":"2026-11-22T12:00:01.000000000Z","seq":10,"event":"privilege_permissions_changed","level":"WARN","outcome":"success","duration_ns":10,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::perm","file":"src/p.rs","line":5},"who":{"user":"alice"}}"#,
    );
    assert_eq!(
        (e["class_uid"].clone(), e["activity_id"].clone()),
        (json!(3001), json!(99))
    );
    assert_eq!(e["activity_name"], "privilege_permissions_changed");
    assert_eq!(e["type_uid"], 300199);
    assert_eq!(e["type_name"], "Account Change: Other");
}

#[test]
fn api_activity() {
    let e = one(
        r#"{"ts":"2026-11-22T12:00:02.000000000Z","seq":11,"event":"order.place","level":"ERROR","outcome":"panic","duration_ns":31000000,"budget_ns":20000000,"over_budget":true,"usage":"orders","units":1,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::orders::place","file":"src/orders.rs","line":40,"lambda":{"function":"shop-fn","cold_start":true}},"who":{"user":"alice","tenant":"acme","roles":["buyer"],"ip":"198.51.100.4","user_agent":"Mozilla/5.0","session":"h:77","request_id":"r-1"},"inputs":{"lines":[{"sku":"book-42","quantity":2}]},"fields":{"channel":"web"}}"#,
    );
    assert_eq!(e["class_uid"], 6003);
    assert_eq!(e["category_uid"], 6);
    assert_eq!(e["activity_id"], 99);
    assert_eq!(e["activity_name"], "order.place");
    assert_eq!(e["type_uid"], 600399);
    assert_eq!(e["severity_id"], 4);
    assert_eq!(e["status_id"], 2);
    assert!(e.get("status_detail").is_none());
    assert_eq!(
        e["api"],
        json!({ "operation": "shop::orders::place", "request": { "uid": "r-1" } })
    );
    assert_eq!(e["actor"], json!({ "user": { "name": "alice" } }));
    assert_eq!(e["src_endpoint"], json!({ "ip": "198.51.100.4" }));
    assert_eq!(
        e["dst_endpoint"],
        json!({ "hostname": "web-1", "svc_name": "shop" })
    );
    assert_eq!(e["http_request"], json!({ "user_agent": "Mozilla/5.0" }));
    assert_eq!(e["metadata"]["tenant_uid"], "acme");
    let u = &e["unmapped"];
    assert_eq!(u["outcome"], "panic");
    assert_eq!(u["over_budget"], true);
    assert_eq!(u["budget_ns"], 20_000_000);
    assert_eq!(u["usage"], "orders");
    assert_eq!(u["where"]["version"], "0.3.1");
    assert_eq!(u["where"]["lambda"]["cold_start"], true);
    assert_eq!(u["who"], json!({ "roles": ["buyer"], "session": "h:77" }));
    assert_eq!(u["inputs"]["lines"][0]["sku"], "book-42");
    assert_eq!(u["fields"]["channel"], "web");

    // The four activities the schema names, from the event's last word.
    for (event, activity) in [
        ("sensitive_read", 2),
        ("orders.create", 1),
        ("upload_delete", 4),
        ("profile:update", 3),
    ] {
        let e = one(&format!(
            r#"{{"ts":"2026-11-22T12:00:02.000000000Z","seq":1,"event":"{event}","level":"INFO","outcome":"success","duration_ns":1}}"#
        ));
        assert_eq!(e["activity_id"], activity, "{event}");
        // Nothing names the caller: the required objects say Unknown, the operation is the
        // event.
        assert_eq!(e["actor"], json!({ "user": { "type_id": 0 } }));
        assert_eq!(e["src_endpoint"], json!({ "type_id": 0 }));
        assert_eq!(e["api"]["operation"], event);
    }
}

#[test]
fn detection_finding() {
    let stuffing = r#"{"ts":"2026-12-03T15:49:22.809772789Z","seq":74,"event":"seclog.alert","level":"WARN","outcome":"success","duration_ns":636459,"where":{"service":"shop","version":"1.0.0","host":"vm","pid":8935,"fn":"seclog_runtime::watch","file":"seclog-runtime/src/watch/mod.rs","line":722},"fields":{"rule":"credential_stuffing","ip":"203.0.113.66","count":20,"window_s":600,"first_seen":"2026-12-03T15:49:22.809464645Z","failures":20,"unknown_users":0}}"#;
    let e = one(stuffing);
    assert_eq!(e["class_uid"], 2004);
    assert_eq!(e["category_name"], "Findings");
    assert_eq!(e["activity_id"], 1);
    assert_eq!(e["type_uid"], 200401);
    assert_eq!(e["status_id"], 1);
    assert_eq!(e["status"], "New");
    assert_eq!(e["is_alert"], true);
    assert_eq!(e["finding_info"]["title"], "credential_stuffing");
    let uid = e["finding_info"]["uid"].as_str().unwrap().to_owned();
    assert_eq!(uid.len(), 32);
    assert!(uid.bytes().all(|b| b.is_ascii_hexdigit()));
    let f = &e["unmapped"]["fields"];
    assert_eq!(f["ip"], "203.0.113.66");
    assert_eq!(f["count"], 20);
    assert_eq!(f["first_seen"], "2026-12-03T15:49:22.809464645Z");
    assert!(f.get("rule").is_none());

    // The uid names the alert, not the line: the same alert written by another process (or
    // by `seclog detect`) has it; another key or start has another.
    let elsewhere = stuffing
        .replace(r#""seq":74"#, r#""seq":3"#)
        .replace(r#""host":"vm""#, r#""host":"collector""#)
        .replace(
            r#""ts":"2026-12-03T15:49:22.809772789Z""#,
            r#""ts":"2026-12-03T16:00:00.000000000Z""#,
        );
    assert_eq!(one(&elsewhere)["finding_info"]["uid"], uid.as_str());
    for other in [
        stuffing.replace("203.0.113.66", "203.0.113.67"),
        stuffing.replace("22.809464645Z", "22.809464646Z"),
        stuffing.replace("credential_stuffing", "failure_spike"),
    ] {
        assert_ne!(one(&other)["finding_info"]["uid"], uid.as_str());
    }

    // The watcher's alerts written as vocabulary events are findings; the same events
    // written by the application (no `fields.rule`) are not.
    let fail_max = r#"{"ts":"2026-12-03T15:49:22.810442667Z","seq":75,"event":"authn_login_fail_max","level":"WARN","outcome":"success","duration_ns":9128,"where":{"service":"shop","version":"1.0.0","host":"vm","pid":8935,"fn":"seclog_runtime::watch","file":"seclog-runtime/src/watch/mod.rs","line":715},"fields":{"rule":"brute_force","user":"bob","count":10,"window_s":300,"first_seen":"2026-12-03T15:49:22.809464645Z"}}"#;
    let e = one(fail_max);
    assert_eq!(e["class_uid"], 2004);
    assert_eq!(e["message"], "authn_login_fail_max");
    assert_eq!(e["finding_info"]["title"], "brute_force");
    assert_eq!(e["unmapped"]["fields"]["user"], "bob");
    let e = one(&fail_max.replace(r#""rule":"brute_force","#, ""));
    assert_eq!(e["class_uid"], 3002);
    assert_eq!(e["user"], json!({ "name": "bob" }));
}

#[test]
fn seclog_s_own_records() {
    let events = ocsf(
        r#"{"ts":"2026-12-03T15:49:22.152735933Z","seq":1,"event":"sys_startup","level":"WARN","outcome":"success","duration_ns":35378274,"where":{"service":"shop","version":"1.0.0","host":"vm","pid":8935,"fn":"seclog_runtime::setup::builder","file":"seclog-runtime/src/setup/builder.rs","line":378},"fields":{"seclog_version":"0.1.0","clock":{"source":"unknown"}}}
{"ts":"2026-12-03T15:49:22.653019324Z","seq":28,"event":"seclog.perf","level":"INFO","outcome":"success","duration_ns":41321,"where":{"service":"shop","version":"1.0.0","host":"vm","pid":8935,"fn":"seclog_runtime::watch","file":"seclog-runtime/src/watch/mod.rs","line":689},"fields":{"fn":"attack::login","count":1,"p95_ns":1957887}}
{"ts":"2026-12-03T15:49:23.000000000Z","seq":29,"event":"sys_crash","level":"ERROR","outcome":"failure","duration_ns":0,"where":{"service":"shop","version":"1.0.0","host":"vm","pid":8935,"fn":"seclog_runtime::what::crash","file":"seclog-runtime/src/what/crash.rs","line":46},"fields":{"reason":"boom"}}
{"ts":"2026-12-03T15:49:23.711546845Z","seq":102,"event":"sys_shutdown","level":"WARN","outcome":"success","duration_ns":3890,"where":{"service":"shop","version":"1.0.0","host":"vm","pid":8935,"fn":"seclog_runtime::setup::builder","file":"seclog-runtime/src/setup/builder.rs","line":402},"chain":"9f1c2b3a4d5e6f70","mac":"00ff"}"#,
    );
    let kinds: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e["class_uid"].as_u64().unwrap(),
                e["activity_id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, [(6002, 3), (6002, 99), (6008, 1), (6002, 4)]);
    assert_eq!(
        events[0]["app"],
        json!({ "name": "shop", "version": "1.0.0" })
    );
    assert_eq!(events[0]["unmapped"]["fields"]["seclog_version"], "0.1.0");
    assert_eq!(events[1]["activity_name"], "seclog.perf");
    assert_eq!(events[1]["unmapped"]["fields"]["fn"], "attack::login");
    assert_eq!(events[2]["type_name"], "Application Error: General Error");
    assert_eq!(events[2]["status_id"], 2);
    assert_eq!(events[3]["unmapped"]["chain"], "9f1c2b3a4d5e6f70");
    assert_eq!(events[3]["unmapped"]["mac"], "00ff");
}

#[test]
fn a_line_that_is_not_a_record_is_kept_as_a_translation_error() {
    let e = one("not a record \u{1b}[2J");
    assert_eq!(e["class_uid"], 6008);
    assert_eq!(e["activity_name"], "Translation Error");
    assert_eq!(e["unmapped"]["unparsed"], "not a record \u{1b}[2J");
    assert!(e["time"].as_u64().unwrap() > 1_700_000_000_000);
}

#[derive(Redact)]
pub struct LoginRequest {
    pub username: String,
    #[redact]
    pub password: String,
}

#[security_logged(event = "authn_login", who = req.username)]
fn login(req: LoginRequest) -> Result<(), String> {
    Err(format!("no user {}", req.username))
}

/// A hostile name stays a value: quotes, `"}`, newlines and a forged event in the user name
/// are escaped inside their JSON strings, one line per record, and the password never
/// appears. Through the installed pipeline, as `SECLOG_FORMAT=ocsf` writes to stdout.
#[test]
fn a_hostile_user_name_stays_a_value() {
    let sink = Memory::default();
    let guard = seclog::builder()
        .service("shop", "1.0.0")
        .watching(false)
        .sink_with(sink.clone(), Format::Ocsf)
        .install()
        .unwrap();
    let hostile = "eve\"}\n{\"class_uid\":3002,\"user\":{\"name\":\"admin\"}}\r\n\"},\"status_id\":1,\"x\":\"\u{1b}[2J";
    let _ = login(LoginRequest {
        username: hostile.into(),
        password: "pa55-\"}\n-word".into(),
    });
    assert!(seclog::flush());
    drop(guard);

    let bytes = sink.bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(!text.contains("pa55"), "{text}");
    assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text}");
    let events = common::parse(&bytes);
    assert_eq!(text.lines().count(), events.len());
    let logins: Vec<_> = events
        .iter()
        .filter(|e| e["message"] == "authn_login_fail")
        .collect();
    assert_eq!(logins.len(), 1, "{text}");
    let e = logins[0];
    assert_eq!(e["class_uid"], 3002);
    assert_eq!(e["status_id"], 2);
    assert_eq!(e["user"]["name"], hostile);
    assert_eq!(e["user"].as_object().unwrap().len(), 1);
    assert_eq!(e["unmapped"]["inputs"]["req"]["username"], hostile);
    assert_eq!(e["unmapped"]["inputs"]["req"]["password"], "[REDACTED]");
    // Every other event is seclog's own (start and shutdown).
    for other in events.iter().filter(|e| e["message"] != "authn_login_fail") {
        assert_eq!(other["class_uid"], 6002, "{other}");
    }
}

#[test]
fn a_seal_is_refused_with_an_ocsf_output() {
    let key = seclog::integrity::ChainKey::from_bytes([7; 32]);
    let seal = seclog::integrity::Seal::symmetric(key);
    let e = seclog::builder()
        .seal(seal)
        .sink_with(Memory::default(), Format::Ocsf)
        .install()
        .unwrap_err();
    assert!(matches!(e, seclog::InitError::Seal { .. }), "{e}");
    assert!(e.to_string().contains("would not verify"), "{e}");
}

#[test]
fn the_format_is_named_ocsf() {
    assert_eq!("ocsf".parse::<Format>(), Ok(Format::Ocsf));
    assert_eq!(Format::Ocsf.as_str(), "ocsf");
}

// --- Validation against ../shared/reference/ocsf.json -------------------------------------

/// The OCSF 1.8 classes and objects seclog uses, as `ocsf.json` describes them.
struct Schema(Value);

/// Class attributes that `ocsf.json` lists as recommended by name only, with the object
/// type OCSF's dictionary gives them.
const RECOMMENDED_TYPES: [(&str, &str); 7] = [
    ("actor", "actor"),
    ("dst_endpoint", "network_endpoint"),
    ("src_endpoint", "network_endpoint"),
    ("http_request", "http_request"),
    ("http_response", "http_response"),
    ("service", "service"),
    ("session", "session"),
];

fn ids(list: &Value) -> BTreeMap<u64, String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e["id"].as_u64()?, e["caption"].as_str()?.to_owned())))
        .collect()
}

fn names(v: &Value) -> BTreeSet<String> {
    match v {
        Value::Object(m) => m.keys().cloned().collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// Whether a primitive value has its OCSF type (types the schema file does not describe
/// pass).
fn has_type(ty: &str, v: &Value) -> bool {
    match ty {
        "string_t" | "username_t" | "hostname_t" | "url_t" | "email_t" | "file_name_t"
        | "file_path_t" | "resource_uid_t" | "datetime_t" => v.is_string(),
        "ip_t" => v.as_str().is_some_and(|s| s.parse::<IpAddr>().is_ok()),
        "integer_t" | "long_t" | "port_t" | "timestamp_t" => v.is_i64() || v.is_u64(),
        "boolean_t" => v.is_boolean(),
        _ => true,
    }
}

/// The check of `constraints` (`at_least_one`, `just_one`) on an object's attributes.
fn constraints(
    path: &str,
    constraints: &Value,
    obj: &Map<String, Value>,
    errors: &mut Vec<String>,
) {
    let present = |list: &Value| names(list).iter().filter(|k| obj.contains_key(*k)).count();
    if let Some(list) = constraints.get("at_least_one") {
        if present(list) == 0 {
            errors.push(format!("{path}: none of {list} present"));
        }
    }
    if let Some(list) = constraints.get("just_one") {
        if present(list) != 1 {
            errors.push(format!("{path}: not exactly one of {list}"));
        }
    }
}

impl Schema {
    fn load() -> Option<Schema> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/ocsf.json");
        match std::fs::read(&path) {
            Ok(bytes) => Some(Schema(serde_json::from_slice(&bytes).unwrap())),
            Err(e) => {
                println!("skipped: no OCSF schema at {} ({e})", path.display());
                None
            }
        }
    }

    fn class(&self, uid: u64) -> Option<&Value> {
        self.0["classes"]
            .as_object()?
            .values()
            .find(|c| c["class_uid"].as_u64() == Some(uid))
    }

    /// `id -> name` pairs of the sibling convention (`activity_id->activity_name`, ...).
    fn siblings(&self) -> Vec<(String, String)> {
        let text = self.0["base_event"]["sibling_convention"]
            .as_str()
            .unwrap_or("");
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        text.split("->")
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| {
                let left = w[0].rsplit(|c| !word(c)).next().unwrap_or("");
                let right = w[1].split(|c| !word(c)).next().unwrap_or("");
                (left.to_owned(), right.to_owned())
            })
            .filter(|(l, r)| !l.is_empty() && !r.is_empty())
            .collect()
    }

    /// What is wrong with `event` as an event of its class; empty when nothing.
    fn validate(&self, event: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        let Some(obj) = event.as_object() else {
            return vec![format!("not an object: {event}")];
        };
        let Some(uid) = obj.get("class_uid").and_then(Value::as_u64) else {
            return vec!["no class_uid".into()];
        };
        let Some(class) = self.class(uid) else {
            return vec![format!("class_uid {uid} is not in ocsf.json")];
        };
        let base = &self.0["base_event"];
        let name = class["caption"].as_str().unwrap_or("?");

        let mut required = names(&base["required_attributes"]);
        required.extend(names(&class["required_attributes"]));
        for k in &required {
            if obj.get(k).is_none_or(Value::is_null) {
                errors.push(format!("{name}: required {k} missing"));
            }
        }
        let mut allowed = required.clone();
        allowed.extend(names(&base["recommended_attributes"]));
        allowed.extend(names(&class["recommended_attributes"]));
        for (id, sibling) in self.siblings() {
            if allowed.contains(&id) {
                allowed.insert(sibling);
            }
        }
        allowed.insert("unmapped".into());
        for k in obj.keys() {
            if !allowed.contains(k) {
                errors.push(format!("{name}: attribute {k} is not in the class"));
            }
        }
        if obj.get("unmapped").is_some_and(|u| !u.is_object()) {
            errors.push("unmapped is not an object".into());
        }

        // The classification and its names.
        let activity = obj.get("activity_id").and_then(Value::as_u64);
        let activities = ids(&class["activity_id"]);
        match activity.and_then(|a| activities.get(&a).map(|c| (a, c))) {
            None => errors.push(format!(
                "{name}: activity_id {} not in the enum",
                obj.get("activity_id").unwrap_or(&Value::Null)
            )),
            Some((a, caption)) if a != 99 && obj["activity_name"] != caption.as_str() => {
                errors.push(format!("{name}: activity_name is not {caption:?}"));
            }
            Some(_) => {}
        }
        let type_uid = obj.get("type_uid").and_then(Value::as_u64);
        if type_uid != activity.map(|a| uid * 100 + a) {
            errors.push(format!(
                "{name}: type_uid {type_uid:?} is not class_uid*100+activity_id"
            ));
        }
        let listed = class["type_uids"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["type_uid"].as_u64() == type_uid);
        match listed {
            None => errors.push(format!("{name}: type_uid {type_uid:?} not listed")),
            Some(t) if obj.get("type_name") != Some(&t["type_name"]) => {
                errors.push(format!("{name}: type_name is not {}", t["type_name"]));
            }
            Some(_) => {}
        }
        if obj.get("category_uid") != Some(&class["category_uid"]) {
            errors.push(format!(
                "{name}: category_uid is not {}",
                class["category_uid"]
            ));
        }
        if obj
            .get("category_name")
            .is_some_and(|c| *c != class["category_caption"])
        {
            errors.push(format!(
                "{name}: category_name is not {}",
                class["category_caption"]
            ));
        }
        if obj
            .get("class_name")
            .is_some_and(|c| *c != class["caption"])
        {
            errors.push(format!("{name}: class_name is not {}", class["caption"]));
        }
        // Every enum the class has, and the caption of its sibling.
        let mut enums = vec![
            ("severity_id", class["severity_id"].clone(), "severity"),
            ("status_id", class["status_id"].clone(), "status"),
        ];
        if let Some(other) = class["other_enums"].as_object() {
            for (k, list) in other {
                enums.push((k.as_str(), list.clone(), k.strip_suffix("_id").unwrap_or(k)));
            }
        }
        for (k, list, sibling) in enums {
            let Some(v) = obj.get(k) else { continue };
            let list = ids(&list);
            match v.as_u64().and_then(|id| list.get(&id).map(|c| (id, c))) {
                None => errors.push(format!("{name}: {k} {v} not in the enum")),
                Some((id, caption))
                    if id != 99 && obj.get(sibling).is_some_and(|s| s != caption.as_str()) =>
                {
                    errors.push(format!("{name}: {sibling} is not {caption:?}"));
                }
                Some(_) => {}
            }
        }
        constraints(name, &class["constraints"], obj, &mut errors);

        // Types: the required attributes' from the class, the recommended objects'
        // from the dictionary; objects recursively.
        for (k, v) in obj {
            let ty = class["required_attributes"][k]["type"]
                .as_str()
                .or_else(|| base["required_attributes"][k]["type"].as_str())
                .or_else(|| {
                    RECOMMENDED_TYPES
                        .iter()
                        .find(|(a, _)| a == k)
                        .map(|(_, t)| *t)
                });
            if let Some(ty) = ty {
                self.check(&format!("{name}.{k}"), ty, v, &mut errors);
            }
        }
        errors
    }

    /// Checks `v` as a value of type `ty`: an object the schema describes, or a primitive.
    fn check(&self, path: &str, ty: &str, v: &Value, errors: &mut Vec<String>) {
        let Some(object) = self.0["objects"].get(ty) else {
            if !has_type(ty, v) {
                errors.push(format!("{path}: {v} is not a {ty}"));
            }
            return;
        };
        let Some(obj) = v.as_object() else {
            errors.push(format!("{path}: not an object ({ty})"));
            return;
        };
        let required = names(&object["required"]);
        for k in &required {
            if !obj.contains_key(k) {
                errors.push(format!("{path}: required {k} missing"));
            }
        }
        let mut allowed = required;
        allowed.extend(names(&object["recommended"]));
        allowed.extend(names(&object["attr_types"]));
        for (k, value) in obj {
            if !allowed.contains(k) {
                errors.push(format!("{path}: attribute {k} is not in {ty}"));
                continue;
            }
            if let Some(list) = object["enums"].get(k) {
                if value.as_u64().is_none_or(|id| !ids(list).contains_key(&id)) {
                    errors.push(format!("{path}.{k}: {value} not in the enum"));
                }
            }
            if let Some(t) = object["attr_types"][k].as_str() {
                self.check(&format!("{path}.{k}"), t, value, errors);
            }
        }
        // A caller or address the record does not name is `{"type_id":0}` (its type
        // Unknown): required by the class, nothing to name it by.
        let unknown = obj.len() == 1 && obj.get("type_id") == Some(&json!(0));
        if !unknown {
            constraints(path, &object["constraints"], obj, errors);
        }
    }
}

/// A change that makes a valid event invalid, and what the validator must then say.
type Breakage = (fn(&mut Value), &'static str);

#[test]
fn the_validator_finds_what_is_wrong() {
    let Some(schema) = Schema::load() else { return };
    let good = one(LOGIN_FAIL);
    assert_eq!(schema.validate(&good), Vec::<String>::new());
    let broken = |f: fn(&mut Value)| {
        let mut e = good.clone();
        f(&mut e);
        schema.validate(&e)
    };
    let cases: [Breakage; 10] = [
        (|e| e["type_uid"] = json!(300202), "type_uid"),
        (|e| e["activity_id"] = json!(42), "activity_id 42"),
        (|e| e["severity_id"] = json!(7), "severity_id 7"),
        (|e| e["seq"] = json!(7), "attribute seq"),
        (|e| e["user"]["email"] = json!("a@b"), "attribute email"),
        (|e| e["src_endpoint"]["ip"] = json!("not-an-ip"), "ip_t"),
        (|e| e["user"] = json!({ "type_id": 12 }), "type_id: 12"),
        (
            |e| {
                e.as_object_mut().unwrap().remove("time");
            },
            "required time",
        ),
        (
            |e| {
                let o = e.as_object_mut().unwrap();
                o.remove("service");
                o.remove("dst_endpoint");
            },
            "none of",
        ),
        (
            |e| e["metadata"]["product"] = json!({ "vendor_name": "x" }),
            "product: none of",
        ),
    ];
    for (break_it, expected) in cases {
        let errors = broken(break_it);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{expected}: {errors:?}"
        );
    }
}

// --- The examples, run with SECLOG_FORMAT=ocsf --------------------------------------------

/// `target/<profile>/examples/`, next to this test's `deps/`.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().join("../examples")
}

/// Builds the example `name` with this test's features (a no-op when it is up to date):
/// `cargo test --test ocsf` alone does not build examples.
fn build_example(name: &str) {
    let features: Vec<&str> = [
        ("full", cfg!(feature = "full")),
        ("axum", cfg!(feature = "axum")),
        ("lambda", cfg!(feature = "lambda")),
        ("secrecy", cfg!(feature = "secrecy")),
        ("syslog", cfg!(feature = "syslog")),
        ("tracing", cfg!(feature = "tracing")),
    ]
    .into_iter()
    .filter_map(|(f, on)| on.then_some(f))
    .collect();
    let profile_dir = examples_dir().parent().unwrap().canonicalize().unwrap();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev".to_owned(),
        other => other.to_owned(),
    };
    let target_dir = profile_dir.parent().unwrap();
    let status = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--example", name, "--profile", &profile])
        .arg("--target-dir")
        .arg(target_dir)
        .args(if features.is_empty() {
            vec![]
        } else {
            vec!["--features".to_owned(), features.join(",")]
        })
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --example {name}: {status}");
}

/// Runs an example with `SECLOG_FORMAT=format` and no other `SECLOG_*` variable; returns its
/// stdout. A run that hangs fails.
fn run_example(name: &str, format: &str, args: &[&str]) -> Vec<u8> {
    build_example(name);
    let mut cmd = Command::new(examples_dir().join(name));
    for (k, _) in std::env::vars() {
        if k.starts_with("SECLOG_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .args(args)
        .env("SECLOG_FORMAT", format)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap());
    std::thread::spawn(move || tx.send(child.wait()));
    let status = match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(status) => status.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("the example {name} hung");
        }
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(status.success(), "{name}: {status}\n{err}");
    out.into_bytes()
}

/// Validates every line of an example's output; returns the class of each event.
fn validate_all(schema: &Schema, source: &str, lines: &[u8]) -> Vec<u64> {
    let text = std::str::from_utf8(lines).unwrap();
    let mut classes = Vec::new();
    let mut failures = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{source}:{}: not JSON ({e}): {line}", n + 1));
        assert!(
            event.get("ts").is_none(),
            "{source}:{}: a seclog record, not OCSF: {line}",
            n + 1
        );
        let errors = schema.validate(&event);
        if !errors.is_empty() {
            failures.push(format!("{source}:{}: {errors:?}\n  {line}", n + 1));
        }
        classes.push(event["class_uid"].as_u64().unwrap_or(0));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    classes
}

fn class_counts(classes: &[u64]) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for c in classes {
        *counts.entry(*c).or_insert(0) += 1;
    }
    counts
}

#[test]
fn the_quickstart_s_events_are_valid_ocsf() {
    let Some(schema) = Schema::load() else { return };
    let out = run_example("quickstart", "ocsf", &[]);
    let classes = validate_all(&schema, "quickstart", &out);
    println!(
        "quickstart: {} events, by class {:?}",
        classes.len(),
        class_counts(&classes)
    );
    // One event per record of the same run in JSON, in the same order: its event, seq and
    // class.
    let records = common::parse(&run_example("quickstart", "json", &[]));
    let events = common::parse(&out);
    assert_eq!(events.len(), records.len());
    for (e, r) in events.iter().zip(&records) {
        assert_eq!(e["message"], r["event"]);
        assert_eq!(e["unmapped"]["seq"], r["seq"]);
        let event = r["event"].as_str().unwrap();
        let class = if r["fields"]["rule"].is_string() {
            2004
        } else if event.starts_with("authn_") {
            3002
        } else {
            6003
        };
        assert_eq!(e["class_uid"], class, "{e}");
    }
    for class in [3002, 6003, 2004] {
        assert!(classes.contains(&class), "no event of class {class}");
    }
    // Redaction as in JSON: the passwords and the session token never appear.
    let passwords: Vec<_> = events
        .iter()
        .filter_map(|e| e["unmapped"]["inputs"]["req"].get("password"))
        .collect();
    assert!(!passwords.is_empty());
    assert!(
        passwords.iter().all(|p| *p == "[REDACTED]"),
        "{passwords:?}"
    );
    let text = String::from_utf8(out).unwrap();
    for secret in ["hunter2", "correct horse", "tok_7f3a9c"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[test]
fn the_attack_s_events_are_valid_ocsf() {
    let Some(schema) = Schema::load() else { return };
    let out = run_example("attack", "ocsf", &[]);
    let text = String::from_utf8(out).unwrap();
    // The example writes OCSF itself: SECLOG_FORMAT applies to its builder (`with_env`).
    assert!(!text.starts_with("{\"ts\":"), "attack wrote seclog JSON");
    let converted = text.into_bytes();
    let classes = validate_all(&schema, "attack", &converted);
    let counts = class_counts(&classes);
    println!("attack: {} events, by class {counts:?}", classes.len());
    for class in [3002, 6003, 2004, 6002] {
        assert!(
            counts.contains_key(&class),
            "no event of class {class}: {counts:?}"
        );
    }
    // At least the attacks' findings: credential stuffing, brute force, the quota.
    let findings: BTreeSet<String> = common::parse(&converted)
        .iter()
        .filter(|e| e["class_uid"] == 2004)
        .map(|e| e["finding_info"]["title"].as_str().unwrap().to_owned())
        .collect();
    println!("attack: findings {findings:?}");
    for rule in ["credential_stuffing", "brute_force", "quota"] {
        assert!(findings.contains(rule), "no {rule} finding: {findings:?}");
    }
}

#[test]
fn the_fleet_s_events_are_valid_ocsf() {
    let Some(schema) = Schema::load() else { return };
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet.rs");
    if !source.exists() {
        println!("skipped: there is no examples/fleet.rs yet");
        return;
    }
    let dir = std::env::temp_dir().join(format!("seclog-ocsf-fleet-{}", std::process::id()));
    let started = Instant::now();
    run_example("fleet", "ocsf", &["--out", dir.to_str().unwrap()]);
    let mut logs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    logs.sort();
    assert!(logs.len() > 1, "{logs:?}");
    let mut all = Vec::new();
    for log in &logs {
        let bytes = std::fs::read(log).unwrap();
        let classes = validate_all(&schema, &log.display().to_string(), &bytes);
        // Every process starts and shuts down, and serves logins and orders.
        let counts = class_counts(&classes);
        for class in [3002, 6003, 6002] {
            assert!(counts.contains_key(&class), "{}: {counts:?}", log.display());
        }
        all.extend(classes);
    }
    println!(
        "fleet: {} processes, {} events, by class {:?} ({:?})",
        logs.len(),
        all.len(),
        class_counts(&all),
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
