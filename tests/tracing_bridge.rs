//! The `tracing` bridge: every record reaches a real `tracing-subscriber` layer as an event
//! with target `seclog` and the record's fields, and nothing redacted reaches it.
//!
//! The subscriber and the configuration are process-wide, so this file is its own test
//! binary: one test installs them here, the others in a child process each (the test re-runs
//! this binary with one `*_child` test selected).

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::{Memory, is_child, ran_one, run_child};
use seclog::bridge::Bridge;
use seclog::integrity::{
    ArchiveOptions, EndState, Keys, Seal, Source, TamperKind, VerifierSecret, verify_archive,
};
use seclog::{Secret, security_logged};
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

const SENTINEL: &str = "SENTINEL-hunter2-7f3a";

/// One event as the layer saw it: its target, level and fields as text.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    level: tracing::Level,
    fields: BTreeMap<String, String>,
}

struct Collect(Arc<Mutex<Vec<Seen>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Collect {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Seen {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            fields,
        });
    }
}

#[security_logged(event = "authn_login", who = user)]
fn login(user: &str, #[redact] password: &str, api_key: Secret<String>) -> Result<u32, String> {
    let _ = api_key;
    if password.is_empty() {
        Err("empty password".into())
    } else {
        Ok(7)
    }
}

#[test]
fn records_reach_a_tracing_layer_without_secrets() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(Collect(seen.clone())),
    )
    .unwrap();
    let _guard = seclog::builder()
        .service("shop", "0.3.1")
        .tracing(Bridge::Only)
        .install()
        .unwrap();

    assert_eq!(
        login("alice", SENTINEL, Secret::new(SENTINEL.into())),
        Ok(7)
    );
    assert!(login("bob", "", Secret::new(SENTINEL.into())).is_err());
    seclog::event!(
        "authz_fail",
        resource = "/admin",
        note = format!("retried with Bearer {SENTINEL}")
    );

    let seen = seen.lock().unwrap().clone();
    let ours: Vec<&Seen> = seen.iter().filter(|e| e.target == "seclog").collect();
    let events: Vec<&str> = ours.iter().map(|e| e.fields["event"].as_str()).collect();
    assert_eq!(
        events,
        [
            "sys_startup",
            "authn_login_success",
            "authn_login_fail",
            "authz_fail"
        ]
    );

    // The fields of the record, and the record itself.
    let ok = ours[1];
    assert_eq!(ok.level, tracing::Level::INFO);
    assert_eq!(ok.fields["message"], "authn_login_success");
    assert_eq!(ok.fields["outcome"], "success");
    assert_eq!(ok.fields["level"], "INFO");
    assert_eq!(ok.fields["user"], "alice");
    assert_eq!(ok.fields["fn"], "tracing_bridge::login");
    let record: Value = serde_json::from_str(&ok.fields["record"]).unwrap();
    assert_eq!(record["event"], "authn_login_success");
    assert_eq!(record["where"]["service"], "shop");
    assert_eq!(record["inputs"]["password"], "[REDACTED]");
    assert_eq!(record["output"], 7);
    assert_eq!(ok.fields["seq"], record["seq"].to_string());
    assert_eq!(ok.fields["duration_ns"], record["duration_ns"].to_string());

    let fail = ours[2];
    assert_eq!(fail.level, tracing::Level::WARN);
    assert_eq!(fail.fields["outcome"], "failure");
    assert_eq!(fail.fields["user"], "bob");

    // CRITICAL is tracing's ERROR; the record keeps CRITICAL.
    let authz = ours[3];
    assert_eq!(authz.level, tracing::Level::ERROR);
    assert_eq!(authz.fields["level"], "CRITICAL");
    let record: Value = serde_json::from_str(&authz.fields["record"]).unwrap();
    assert_eq!(
        record["fields"]["note"],
        "retried with Bearer [REDACTED:bearer]"
    );

    // Sequence numbers are those of the records, in order.
    let seqs: Vec<u64> = ours
        .iter()
        .map(|e| e.fields["seq"].parse().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // No secret reached the subscriber, in any field.
    for e in &seen {
        for (name, value) in &e.fields {
            assert!(!value.contains(SENTINEL), "{name} = {value}");
        }
    }
}

/// With a seal, the `record` field of each event is sealed into a chain of the bridge's own,
/// apart from the sinks' chain; both verify, with the same `seq` for the same record.
#[test]
fn sealed_bridge_child() {
    if !is_child("sealed_bridge_child") {
        return;
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(Collect(seen.clone())),
    )
    .unwrap();
    let secret = VerifierSecret::generate();
    let key_id = secret.public().id().to_owned();
    let sink = Memory::default();
    let guard = seclog::builder()
        .service("shop", "0.3.1")
        .tracing(Bridge::Also)
        .seal(Seal::to(secret.public().clone()))
        .sink(sink.clone())
        .install()
        .unwrap();
    assert_eq!(
        login("alice", SENTINEL, Secret::new(SENTINEL.into())),
        Ok(7)
    );
    assert!(login("bob", "", Secret::new(SENTINEL.into())).is_err());
    seclog::event!("authz_fail", resource = "/admin");
    drop(guard);
    let keys = Keys::new().with_secret(secret);

    let seen = seen.lock().unwrap().clone();
    let ours: Vec<&Seen> = seen.iter().filter(|e| e.target == "seclog").collect();
    let lines: Vec<&str> = ours.iter().map(|e| e.fields["record"].as_str()).collect();
    let records: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    // The chain's first record first, then the records, each with the chain and a MAC last.
    let start = &records[0];
    assert_eq!(start["event"], "seclog.chain");
    assert_eq!(start["seq"], 0);
    assert_eq!(start["fields"]["seal"], "public");
    assert_eq!(start["fields"]["key_id"], key_id.as_str());
    assert_eq!(start["where"]["service"], "shop");
    let chain = start["chain"].as_str().unwrap().to_owned();
    for (line, r) in lines.iter().zip(&records) {
        let mac = r["mac"].as_str().unwrap();
        assert_eq!(mac.len(), 64);
        assert!(
            line.ends_with(&format!(",\"chain\":\"{chain}\",\"mac\":\"{mac}\"}}")),
            "{line}"
        );
    }
    let events: Vec<&str> = records[1..]
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events[..4],
        [
            "sys_startup",
            "authn_login_success",
            "authn_login_fail",
            "authz_fail"
        ]
    );
    assert_eq!(events.last(), Some(&"sys_shutdown"));
    // The event's own fields are the sealed record's.
    for (e, r) in ours.iter().zip(&records) {
        assert_eq!(e.fields["event"], r["event"].as_str().unwrap());
        assert_eq!(e.fields["seq"], r["seq"].to_string());
    }
    assert_eq!(records[2]["output"], 7);
    assert_eq!(records[2]["inputs"]["password"], "[REDACTED]");

    // The `record` fields verify as one chain, closed by `sys_shutdown`.
    let text = lines.join("\n") + "\n";
    let report = verify_archive(
        &keys,
        &[Source::new("tracing", text.clone().into_bytes())],
        ArchiveOptions::default(),
    );
    assert!(report.verified(), "{report:#?}");
    assert_eq!(report.chains.len(), 1);
    let bridged = &report.chains[0];
    assert_eq!(bridged.chain, chain);
    assert_eq!(bridged.records, lines.len() as u64);
    assert_eq!(bridged.end, EndState::Closed);
    assert_eq!(bridged.service.as_deref(), Some("shop"));
    assert_eq!(
        (bridged.first_seq, bridged.last_seq),
        (
            records[1]["seq"].as_u64(),
            records.last().unwrap()["seq"].as_u64()
        )
    );

    // The sink's records: a chain of their own, with the same records.
    let sinks = verify_archive(
        &keys,
        &[Source::new("sink", sink.bytes())],
        ArchiveOptions::default(),
    );
    assert!(sinks.verified(), "{sinks:#?}");
    assert_eq!(sinks.chains.len(), 1);
    let sunk = &sinks.chains[0];
    assert_ne!(sunk.chain, chain);
    assert_eq!(
        (sunk.records, sunk.first_seq, sunk.last_seq, sunk.end),
        (
            bridged.records,
            bridged.first_seq,
            bridged.last_seq,
            EndState::Closed
        )
    );

    // A subscriber's copy changed afterwards reads `modified`.
    let changed = text.replacen("\"output\":7", "\"output\":8", 1);
    assert_ne!(changed, text);
    let report = verify_archive(
        &keys,
        &[Source::new("tracing", changed.into_bytes())],
        ArchiveOptions::default(),
    );
    let problems: Vec<(Option<u64>, TamperKind)> = report.chains[0]
        .problems
        .iter()
        .map(|p| (p.seq, p.kind))
        .collect();
    assert_eq!(
        problems,
        [(records[2]["seq"].as_u64(), TamperKind::Modified)]
    );
}

#[test]
fn with_a_seal_the_record_field_verifies_as_one_chain() {
    assert!(ran_one(&run_child("sealed_bridge_child", &[], &[])));
}
