//! The ECS mapping of a record.
//!
//! Runs on the writer thread, so its cost (a parse and a re-encode) is not the handler's.
//! Values are moved, never re-rendered: redaction and limits hold as in the JSON record.

use serde_json::{Map, Value, json};

/// The ECS version the mapping follows.
const ECS_VERSION: &str = "8.11.0";

/// Appends the ECS form of one record line (with its `\n`) to `out`. A line that is not a
/// record (it cannot be produced by seclog) is kept as `seclog.unparsed`, never lost.
pub(super) fn convert_line(line: &[u8], out: &mut Vec<u8>) {
    let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
    let ecs = match serde_json::from_slice::<Map<String, Value>>(trimmed) {
        Ok(record) => map(record),
        Err(_) => json!({
            "ecs": { "version": ECS_VERSION },
            "seclog": { "unparsed": String::from_utf8_lossy(trimmed) },
        }),
    };
    // Serializing a `Value` to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &ecs);
    out.push(b'\n');
}

fn map(mut r: Map<String, Value>) -> Value {
    let mut take = |k: &str| r.remove(k);
    let event_name = take("event");
    let outcome = take("outcome");
    let level = take("level");
    let ecs_outcome = match outcome.as_ref().and_then(Value::as_str) {
        Some("success") => "success",
        Some("failure" | "panic") => "failure",
        _ => "unknown",
    };
    let category = event_name
        .as_ref()
        .and_then(Value::as_str)
        .and_then(category);
    let mut event = json!({
        "kind": "event",
        "action": event_name,
        "outcome": ecs_outcome,
        "sequence": take("seq"),
        "duration": take("duration_ns"),
    });
    if let Some(c) = category {
        event["category"] = json!([c]);
    }
    let mut ecs = json!({
        "@timestamp": take("ts"),
        "ecs": { "version": ECS_VERSION },
        "event": event,
        "log": { "level": level.as_ref().and_then(Value::as_str).map(str::to_lowercase) },
    });
    let mut seclog = Map::new();
    seclog.insert("outcome".into(), outcome.unwrap_or(Value::Null));
    if let Some(Value::Object(mut w)) = take("where") {
        ecs["service"] = json!({ "name": w.remove("service"), "version": w.remove("version") });
        ecs["host"] = json!({ "hostname": w.remove("host") });
        ecs["process"] = json!({ "pid": w.remove("pid") });
        ecs["log"]["origin"] = json!({
            "function": w.remove("fn"),
            "file": { "name": w.remove("file"), "line": w.remove("line") },
        });
        if !w.is_empty() {
            seclog.insert("where".into(), Value::Object(w));
        }
    }
    if let Some(Value::Object(mut who)) = take("who") {
        if let Some(user) = who.remove("user") {
            ecs["user"] = json!({ "name": user });
        }
        if let Some(ip) = who.remove("ip") {
            ecs["source"] = json!({ "ip": ip });
        }
        if let Some(ua) = who.remove("user_agent") {
            ecs["user_agent"] = json!({ "original": ua });
        }
        if let Some(id) = who.remove("request_id") {
            ecs["http"] = json!({ "request": { "id": id } });
        }
        if let Some(session) = who.remove("session") {
            ecs["session"] = json!({ "id": session });
        }
        if !who.is_empty() {
            seclog.insert("who".into(), Value::Object(who));
        }
    }
    if let Some(error) = take("error") {
        let message = match &error {
            Value::String(s) => Value::String(s.clone()),
            other => Value::String(other.to_string()),
        };
        ecs["error"] = json!({ "message": message });
        seclog.insert("error".into(), error);
    }
    // Everything else (inputs, output, fields, redacted, later additions) keeps its name.
    for (k, v) in r {
        seclog.insert(k, v);
    }
    ecs["seclog"] = Value::Object(seclog);
    ecs
}

/// The ECS `event.category` of an OWASP vocabulary prefix.
fn category(event: &str) -> Option<&'static str> {
    let prefix = event.split('_').next()?;
    Some(match prefix {
        "authn" => "authentication",
        "authz" | "privilege" | "user" => "iam",
        "session" => "session",
        "upload" => "file",
        "malicious" | "excess" | "input" | "sequence" => "intrusion_detection",
        "sys" => "process",
        "sensitive" => "database",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecs(line: &str) -> Value {
        let mut out = Vec::new();
        convert_line(format!("{line}\n").as_bytes(), &mut out);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn maps_the_record() {
        let v = ecs(
            r#"{"ts":"2026-11-22T12:00:00.000000123Z","seq":7,"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":52311,"where":{"service":"shop","version":"0.3.1","host":"web-1","pid":311,"fn":"shop::auth::login","file":"src/auth.rs","line":17},"who":{"user":"alice","ip":"203.0.113.7","user_agent":"curl/8.5.0","request_id":"r-91","tenant":"t1"},"inputs":{"req":{"username":"alice","password":"[REDACTED]"}},"error":{"BadCredentials":null}}"#,
        );
        assert_eq!(v["@timestamp"], "2026-11-22T12:00:00.000000123Z");
        assert_eq!(v["event"]["action"], "authn_login_fail");
        assert_eq!(v["event"]["outcome"], "failure");
        assert_eq!(v["event"]["duration"], 52311);
        assert_eq!(v["event"]["sequence"], 7);
        assert_eq!(v["event"]["category"][0], "authentication");
        assert_eq!(v["log"]["level"], "warn");
        assert_eq!(v["log"]["origin"]["function"], "shop::auth::login");
        assert_eq!(v["log"]["origin"]["file"]["line"], 17);
        assert_eq!(v["service"]["name"], "shop");
        assert_eq!(v["service"]["version"], "0.3.1");
        assert_eq!(v["host"]["hostname"], "web-1");
        assert_eq!(v["process"]["pid"], 311);
        assert_eq!(v["user"]["name"], "alice");
        assert_eq!(v["source"]["ip"], "203.0.113.7");
        assert_eq!(v["user_agent"]["original"], "curl/8.5.0");
        assert_eq!(v["http"]["request"]["id"], "r-91");
        assert_eq!(v["seclog"]["who"]["tenant"], "t1");
        assert_eq!(v["seclog"]["inputs"]["req"]["password"], "[REDACTED]");
        assert_eq!(v["seclog"]["outcome"], "failure");
        assert_eq!(v["error"]["message"], r#"{"BadCredentials":null}"#);
    }

    #[test]
    fn panics_fail_and_cancellations_are_unknown() {
        let v = ecs(r#"{"ts":"t","seq":1,"event":"x","level":"ERROR","outcome":"panic"}"#);
        assert_eq!(v["event"]["outcome"], "failure");
        assert_eq!(v["seclog"]["outcome"], "panic");
        let v = ecs(r#"{"ts":"t","seq":1,"event":"x","level":"INFO","outcome":"cancelled"}"#);
        assert_eq!(v["event"]["outcome"], "unknown");
    }

    #[test]
    fn budgets_keep_their_names_under_seclog() {
        let v = ecs(
            r#"{"ts":"t","seq":1,"event":"report.export","level":"WARN","outcome":"success","duration_ns":31000000,"budget_ns":20000000,"over_budget":true}"#,
        );
        assert_eq!(v["event"]["duration"], 31_000_000);
        assert_eq!(v["seclog"]["budget_ns"], 20_000_000);
        assert_eq!(v["seclog"]["over_budget"], true);
    }

    #[test]
    fn a_line_that_is_not_a_record_is_kept() {
        let v = ecs("not json \u{1b}[31m");
        assert_eq!(v["seclog"]["unparsed"], "not json \u{1b}[31m");
    }
}
