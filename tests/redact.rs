//! `#[derive(Redact)]` and `Loggable`: every type shape, the std types, and sentinel secrets
//! that must never appear in any output.

// Redacted and skipped fields are, by design, never read here.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use seclog::testing::capture;
use seclog::{Redact, security_logged, to_json};
use serde_json::{Value, json};

fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("invalid JSON {s}: {e}"))
}

/// Secret values: none of them may appear in any record.
const SENTINELS: &[&str] = &[
    "S3NT1NEL-password",
    "S3NT1NEL-token",
    "S3NT1NEL-nested",
    "S3NT1NEL-vec",
    "S3NT1NEL-option",
    "S3NT1NEL-map",
    "S3NT1NEL-err",
    "S3NT1NEL-tuple",
    "S3NT1NEL-variant",
    "S3NT1NEL-param",
];

fn assert_no_secret(text: &str) {
    for s in SENTINELS {
        assert!(!text.contains(s), "secret {s} leaked into {text}");
        // Not in an escaped form either.
        let escaped = serde_json::to_string(s).unwrap();
        assert!(!text.contains(escaped.trim_matches('"')));
    }
    assert!(!text.contains("S3NT1NEL"), "a secret leaked into {text}");
}

#[derive(Redact)]
struct Named {
    user: String,
    #[redact]
    password: String,
    #[seclog(skip)]
    internal: u64,
    #[seclog(public)]
    token_count: u32,
}

#[derive(Redact)]
struct Tuple(u32, #[redact] String, #[seclog(skip)] u8);

#[derive(Redact)]
struct Newtype(u64);

#[derive(Redact)]
struct SecretNewtype(#[redact] String);

#[derive(Redact)]
struct Unit;

#[derive(Redact)]
enum Event {
    Ping,
    Code(u32),
    Pair(u8, #[redact] String),
    Login {
        user: String,
        #[redact]
        password: String,
    },
}

#[derive(Redact)]
struct Wrapper<T> {
    inner: T,
    #[redact]
    secret: String,
}

#[derive(Redact)]
struct Holder<K, T: Clone>
where
    K: Ord,
{
    items: Vec<T>,
    #[seclog(skip)]
    key: Option<K>,
}

#[derive(Redact)]
struct Nested {
    name: String,
    inner: Named,
    list: Vec<Named>,
    maybe: Option<Named>,
    by_id: BTreeMap<String, Named>,
}

#[derive(serde::Serialize)]
struct Geo {
    lat: f64,
    lon: f64,
}

#[derive(Redact)]
struct WithSerde {
    #[seclog(serde)]
    geo: Geo,
}

#[derive(Redact)]
#[allow(dead_code)]
enum Never {}

fn named(secret: &str) -> Named {
    Named {
        user: "ann".into(),
        password: secret.into(),
        internal: 7,
        token_count: 3,
    }
}

#[test]
fn named_struct_fields() {
    let v = parse(&to_json(&named("S3NT1NEL-password")));
    assert_eq!(
        v,
        json!({"user": "ann", "password": "[REDACTED]", "token_count": 3})
    );
}

#[test]
fn tuple_newtype_and_unit_structs() {
    let t = to_json(&Tuple(1, "S3NT1NEL-tuple".into(), 9));
    assert_no_secret(&t);
    assert_eq!(parse(&t), json!([1, "[REDACTED]"]));
    assert_eq!(parse(&to_json(&Newtype(5))), json!(5));
    assert_eq!(
        parse(&to_json(&SecretNewtype("S3NT1NEL-token".into()))),
        json!("[REDACTED]")
    );
    assert_eq!(parse(&to_json(&Unit)), Value::Null);
}

#[test]
fn enums_of_every_variant_kind() {
    assert_eq!(parse(&to_json(&Event::Ping)), json!({"Ping": null}));
    assert_eq!(parse(&to_json(&Event::Code(4))), json!({"Code": 4}));
    let pair = to_json(&Event::Pair(1, "S3NT1NEL-variant".into()));
    assert_no_secret(&pair);
    assert_eq!(parse(&pair), json!({"Pair": [1, "[REDACTED]"]}));
    let login = to_json(&Event::Login {
        user: "ann".into(),
        password: "S3NT1NEL-variant".into(),
    });
    assert_no_secret(&login);
    assert_eq!(
        parse(&login),
        json!({"Login": {"user": "ann", "password": "[REDACTED]"}})
    );
}

#[test]
fn generic_types_get_the_bounds_they_need() {
    let w = Wrapper {
        inner: vec![1u8, 2],
        secret: "S3NT1NEL-token".into(),
    };
    assert_eq!(
        parse(&to_json(&w)),
        json!({"inner": [1, 2], "secret": "[REDACTED]"})
    );
    // `K` is only used by a skipped field: it needs no `Loggable` bound.
    struct NotLoggable;
    impl PartialEq for NotLoggable {
        fn eq(&self, _: &Self) -> bool {
            true
        }
    }
    impl Eq for NotLoggable {}
    impl PartialOrd for NotLoggable {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for NotLoggable {
        fn cmp(&self, _: &Self) -> std::cmp::Ordering {
            std::cmp::Ordering::Equal
        }
    }
    let h = Holder {
        items: vec!["a".to_string()],
        key: Some(NotLoggable),
    };
    assert_eq!(parse(&to_json(&h)), json!({"items": ["a"]}));
}

#[test]
fn serde_fields_use_serialize() {
    let v = WithSerde {
        geo: Geo {
            lat: 1.5,
            lon: -2.0,
        },
    };
    assert_eq!(
        parse(&to_json(&v)),
        json!({"geo": {"lat": 1.5, "lon": -2.0}})
    );
}

fn nested() -> Nested {
    let mut by_id = BTreeMap::new();
    by_id.insert("k".to_string(), named("S3NT1NEL-map"));
    Nested {
        name: "n".into(),
        inner: named("S3NT1NEL-nested"),
        list: vec![named("S3NT1NEL-vec"), named("S3NT1NEL-vec")],
        maybe: Some(named("S3NT1NEL-option")),
        by_id,
    }
}

#[test]
fn redaction_holds_when_nested_in_vec_option_and_maps() {
    let text = to_json(&nested());
    assert_no_secret(&text);
    let v = parse(&text);
    assert_eq!(v["inner"]["password"], "[REDACTED]");
    assert_eq!(v["list"][1]["password"], "[REDACTED]");
    assert_eq!(v["maybe"]["password"], "[REDACTED]");
    assert_eq!(v["by_id"]["k"]["password"], "[REDACTED]");
    assert_eq!(v["list"][0]["user"], "ann");
}

#[derive(Redact, Debug)]
enum LoginError {
    Rejected {
        user: String,
        #[redact]
        attempted_password: String,
    },
}

#[security_logged(event = "authn_login")]
fn login(
    req: Nested,
    #[redact] password: String,
    extra: Vec<Option<Named>>,
) -> Result<Nested, LoginError> {
    let _ = extra;
    if password == "open" {
        return Ok(req);
    }
    Err(LoginError::Rejected {
        user: req.name,
        attempted_password: "S3NT1NEL-err".into(),
    })
}

#[test]
fn sentinels_never_reach_a_record_as_input_output_or_error() {
    let extra = || vec![Some(named("S3NT1NEL-option")), None];
    let (_, recs) = capture(|| {
        let _ = login(nested(), "S3NT1NEL-param".into(), extra());
        let _ = login(nested(), "open".into(), extra());
    });
    assert_eq!(recs.len(), 2);
    for r in &recs {
        assert_no_secret(&r.to_string());
    }
    assert_eq!(recs[0]["inputs"]["password"], "[REDACTED]");
    assert_eq!(
        recs[0]["error"],
        json!({"Rejected": {"user": "n", "attempted_password": "[REDACTED]"}})
    );
    assert_eq!(recs[1]["output"]["inner"]["password"], "[REDACTED]");
    assert_eq!(recs[1]["inputs"]["extra"][0]["password"], "[REDACTED]");
}

#[test]
fn std_types() {
    assert_eq!(to_json(&42u8), "42");
    assert_eq!(to_json(&-7i64), "-7");
    assert_eq!(to_json(&u128::MAX), u128::MAX.to_string());
    assert_eq!(to_json(&1.5f64), "1.5");
    assert_eq!(to_json(&0.1f32), "0.1");
    assert_eq!(to_json(&f64::NAN), r#""NaN""#);
    assert_eq!(to_json(&f64::NEG_INFINITY), r#""-inf""#);
    assert_eq!(to_json(&true), "true");
    assert_eq!(to_json(&'x'), r#""x""#);
    assert_eq!(to_json("str"), r#""str""#);
    assert_eq!(to_json(&String::from("s")), r#""s""#);
    assert_eq!(to_json(&()), "null");
    assert_eq!(to_json(&Some(1)), "1");
    assert_eq!(to_json(&None::<u8>), "null");
    assert_eq!(to_json(&Ok::<u8, String>(1)), r#"{"Ok":1}"#);
    assert_eq!(to_json(&Err::<u8, String>("e".into())), r#"{"Err":"e"}"#);
    assert_eq!(to_json(&[1, 2][..]), "[1,2]");
    assert_eq!(to_json(&[1, 2, 3]), "[1,2,3]");
    assert_eq!(to_json(&vec![1]), "[1]");
    assert_eq!(to_json(&VecDeque::from([4, 5])), "[4,5]");
    assert_eq!(to_json(&(1, "a", true)), r#"[1,"a",true]"#);
    assert_eq!(to_json(&Box::new(3)), "3");
    assert_eq!(to_json(&Rc::new("rc")), r#""rc""#);
    assert_eq!(to_json(&Arc::new(vec![1])), "[1]");
    assert_eq!(to_json(&&&5), "5");
    assert_eq!(to_json(&std::num::NonZeroU32::new(9).unwrap()), "9");
    let btree: BTreeMap<&str, u8> = [("b", 2), ("a", 1)].into();
    assert_eq!(to_json(&btree), r#"{"a":1,"b":2}"#);
    let hash: HashMap<String, u8> = [("k".to_string(), 1)].into();
    assert_eq!(to_json(&hash), r#"{"k":1}"#);
    let int_keys: BTreeMap<u32, &str> = [(7, "x")].into();
    assert_eq!(to_json(&int_keys), r#"{"7":"x"}"#);
    let set: BTreeSet<u8> = [3, 1].into();
    assert_eq!(to_json(&set), "[1,3]");
    let hset: HashSet<u8> = [3].into();
    assert_eq!(to_json(&hset), "[3]");
    assert_eq!(
        to_json(&IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7))),
        r#""203.0.113.7""#
    );
    assert_eq!(to_json(&Ipv6Addr::LOCALHOST), r#""::1""#);
    let sa: SocketAddr = "203.0.113.7:443".parse().unwrap();
    assert_eq!(to_json(&sa), r#""203.0.113.7:443""#);
    assert_eq!(to_json(&Duration::new(1, 5)), r#"{"secs":1,"nanos":5}"#);
    assert_eq!(
        to_json(&(UNIX_EPOCH + Duration::new(0, 1))),
        r#""1970-01-01T00:00:00.000000001Z""#
    );
    assert_eq!(to_json(&std::borrow::Cow::Borrowed("cow")), r#""cow""#);
    assert_eq!(to_json(&json!({"a": [1, "x"]})), r#"{"a":[1,"x"]}"#);
}

#[derive(Redact)]
struct Phone {
    #[redact(hash)]
    number: String,
}

#[test]
fn hash_without_a_key_redacts_fully_and_warns_once() {
    let (_, recs) = capture(|| {
        let first = seclog::to_json(&Phone {
            number: "+44 7700 900123".into(),
        });
        let second = seclog::to_json(&Phone {
            number: "+44 7700 900456".into(),
        });
        (first, second)
    });
    let (first, second) = (
        seclog::to_json(&Phone {
            number: "+44 7700 900123".into(),
        }),
        seclog::to_json(&Phone {
            number: "+44 7700 900456".into(),
        }),
    );
    assert_eq!(first, r#"{"number":"[REDACTED]"}"#, "never an unkeyed hash");
    assert_eq!(first, second);
    assert_eq!(recs.len(), 1, "one warning, however many values: {recs:?}");
    assert_eq!(recs[0]["event"], "seclog.hash_key_missing");
    assert_eq!(recs[0]["level"], "WARN");
    assert!(
        recs[0]["fields"]["reason"]
            .as_str()
            .unwrap()
            .contains("no hash key")
    );
}

#[test]
fn the_manifest_lists_redacted_paths_and_how_never_values() {
    let (_, recs) = capture(|| {
        let _ = login(
            nested(),
            "S3NT1NEL-param".into(),
            vec![None, Some(named("x"))],
        );
    });
    let r = &recs[0];
    let manifest: Vec<&str> = r["redacted"]
        .as_array()
        .expect("a manifest")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        manifest,
        [
            "inputs.req.inner.password:full",
            "inputs.req.list[0].password:full",
            "inputs.req.list[1].password:full",
            "inputs.req.maybe.password:full",
            "inputs.req.by_id.k.password:full",
            "inputs.password:full",
            "inputs.extra[1].password:full",
            "error.Rejected.attempted_password:full",
        ]
    );
    assert_no_secret(&r.to_string());
}
