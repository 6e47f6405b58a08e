//! Redaction strategies on fields and parameters, keyed pseudonyms under a configured key,
//! and secrets by type.

use std::net::IpAddr;
use std::sync::Once;

use seclog::testing::capture;
use seclog::{HashKey, Redact, Secret, security_logged};
use serde_json::{Value, json};

const KEY_HEX: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::mem::forget(
            seclog::builder()
                .sink(seclog::sink::Discard)
                .hash_key(HashKey::from_hex(KEY_HEX).unwrap())
                .install()
                .unwrap(),
        );
    });
}

fn mask_phone(p: &str) -> String {
    format!("phone ending {}", &p[p.len() - 2..])
}

#[derive(Redact)]
struct Customer {
    #[redact(hash)]
    customer_id: String,
    #[redact(email)]
    email: String,
    #[redact(last = 4)]
    iban: String,
    #[redact(first = 3)]
    postcode: String,
    #[redact(ip)]
    last_ip: IpAddr,
    #[redact(card)]
    card: String,
    #[redact(len)]
    notes: String,
    #[redact(with = mask_phone)]
    phone: String,
    #[redact(email)]
    backup_email: Option<String>,
    password: Secret<String>,
}

fn customer(seed: &str) -> Customer {
    Customer {
        customer_id: format!("cust-{seed}"),
        email: format!("{seed}.smith@example.com"),
        iban: "DE89370400440532013000".into(),
        postcode: "SW1A1AA-secret".into(),
        last_ip: "203.0.113.77".parse().unwrap(),
        card: "4111 1111 1111 1111".into(),
        notes: "allergic to penicillin".into(),
        phone: "+44 20 7946 0018".into(),
        backup_email: None,
        password: Secret::new("S3CR3T-hunter2".into()),
    }
}

#[test]
fn every_strategy_on_fields() {
    setup();
    let key = HashKey::from_hex(KEY_HEX).unwrap();
    let v: Value = serde_json::from_str(&seclog::to_json(&customer("ann"))).unwrap();
    assert_eq!(
        v,
        json!({
            "customer_id": key.pseudonym(b"cust-ann"),
            "email": "…@example.com",
            "iban": "…3000",
            "postcode": "SW1…",
            "last_ip": "203.0.113.0/24",
            "card": "411111…1111",
            "notes": "[REDACTED:len=22]",
            "phone": "phone ending 18",
            "backup_email": null,
            "password": "[REDACTED]"
        })
    );
    let text = v.to_string();
    for secret in [
        "ann.smith",
        "0532013",
        "penicillin",
        "7946",
        "hunter2",
        "cust-ann",
        "1A1AA",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn keyed_pseudonyms_correlate_without_revealing() {
    setup();
    let a1 = seclog::to_json(&customer("ann"));
    let a2 = seclog::to_json(&customer("ann"));
    let b = seclog::to_json(&customer("bob"));
    let id = |s: &str| serde_json::from_str::<Value>(s).unwrap()["customer_id"].clone();
    assert_eq!(id(&a1), id(&a2), "equal inputs, equal tokens");
    assert_ne!(id(&a1), id(&b));
    let other_key = HashKey::new([9u8; 32]).unwrap();
    assert_ne!(
        id(&a1),
        Value::from(other_key.pseudonym(b"cust-ann")),
        "another key gives an unrelated token"
    );
    let token = id(&a1);
    let token = token.as_str().unwrap();
    let parts: Vec<&str> = token.split(':').collect();
    assert_eq!(parts[0], "hmac");
    assert_eq!(parts[1], HashKey::from_hex(KEY_HEX).unwrap().id());
    assert_eq!(parts[2].len(), 32);
}

#[security_logged]
fn register(
    #[redact(email)] email: &str,
    #[redact(last = 2)] phone: String,
    #[redact(ip)] source: &str,
    #[redact(hash)] account: &str,
    #[redact(len)] bio: &str,
    password: Secret<String>,
) -> bool {
    !email.is_empty()
        && !phone.is_empty()
        && !source.is_empty()
        && !account.is_empty()
        && !bio.is_empty()
        && !password.expose().is_empty()
}

#[test]
fn strategies_on_parameters() {
    setup();
    let (ok, recs) = capture(|| {
        register(
            "carol@example.org",
            "+1 555 0100 42".into(),
            "2001:db8:85a3:8d3:1319:8a2e:370:7348",
            "acct-991",
            "likes cats",
            Secret::new("S3CR3T".into()),
        )
    });
    assert!(ok);
    let inputs = &recs[0]["inputs"];
    assert_eq!(inputs["email"], "…@example.org");
    assert_eq!(inputs["phone"], "…42");
    assert_eq!(inputs["source"], "2001:db8:85a3::/48");
    assert!(inputs["account"].as_str().unwrap().starts_with("hmac:"));
    assert_eq!(inputs["bio"], "[REDACTED:len=10]");
    assert_eq!(inputs["password"], "[REDACTED]");
    assert_eq!(
        recs[0]["redacted"],
        json!([
            "inputs.email:email",
            "inputs.phone:last",
            "inputs.source:ip",
            "inputs.account:hash",
            "inputs.bio:len",
            "inputs.password:full"
        ])
    );
    // The time, duration and process id are digits that change from run to run: a digit
    // sentinel could turn up in them by chance.
    let mut rec = recs[0].clone();
    for volatile in ["ts", "duration_ns", "seq"] {
        rec.as_object_mut().unwrap().remove(volatile);
    }
    rec["where"].as_object_mut().unwrap().remove("pid");
    let text = rec.to_string();
    for secret in ["carol", "0100", "1319", "acct-991", "cats", "S3CR3T"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[derive(Redact)]
enum Contact {
    Email(#[redact(email)] String),
    Phone {
        #[redact(last = 2)]
        number: String,
    },
}

#[derive(Redact)]
struct Masked(#[redact(card)] String, u8);

#[test]
fn strategies_in_enums_and_tuple_structs() {
    setup();
    assert_eq!(
        seclog::to_json(&Contact::Email("dave@example.net".into())),
        r#"{"Email":"…@example.net"}"#
    );
    assert_eq!(
        seclog::to_json(&Contact::Phone {
            number: "0123456789".into()
        }),
        r#"{"Phone":{"number":"…89"}}"#
    );
    assert_eq!(
        seclog::to_json(&Masked("5500-0000-0000-0004".into(), 1)),
        r#"["550000…0004",1]"#
    );
}

#[test]
fn secrets_by_type_never_print() {
    let s = Secret::new("S3CR3T".to_string());
    assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
    assert_eq!(format!("{s}"), "[REDACTED]");
    assert_eq!(seclog::to_json(&s), r#""[REDACTED]""#);
    let parsed: Secret<String> = serde_json::from_str(r#""from-json""#).unwrap();
    assert_eq!(parsed.expose(), "from-json");
    let boxed = secrecy::SecretString::from("S3CR3T");
    assert_eq!(seclog::to_json(&boxed), r#""[REDACTED]""#);
}
