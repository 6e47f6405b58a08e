//! The Lambda payload reader on any JSON (or any text as its headers): never panics, every
//! key of the caller it finds comes from the payload, and the record written in its scope is
//! one line of valid JSON carrying that caller.
#![no_main]

use std::future::Future;
use std::net::IpAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use seclog::security_logged;
use serde_json::{Value, json};

#[security_logged(event = "fuzz_lambda")]
async fn handle(id: u64) -> u64 {
    id
}

/// Every string in `v`, keys included.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(m) => {
            for (k, i) in m {
                out.push(k.clone());
                strings(i, out);
            }
        }
        _ => {}
    }
}

fn poll_once<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the handler never waits"),
    }
}

fuzz_target!(|data: &[u8]| {
    // Caller keys are compared with the payload as they are: no masking of secrets or
    // personal data in between.
    seclog::redact::scanner::set_enabled(false);
    seclog::redact::scanner::set_pii(seclog::redact::scanner::PiiSet::NONE);
    let payload: Value = serde_json::from_slice(data).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(data);
        json!({ "headers": { "X-Forwarded-For": text, "User-Agent": text } })
    });
    let caller = seclog::lambda::caller_from_payload(&payload);
    let mut texts = Vec::new();
    strings(&payload, &mut texts);
    for found in [caller.user(), caller.user_agent(), caller.request_id()]
        .into_iter()
        .flatten()
    {
        assert!(!found.is_empty());
        assert!(
            texts.iter().any(|t| t == found),
            "{found:?} is not in the payload"
        );
    }
    if let Some(ip) = caller.ip() {
        let parsed = |t: &String| t.split(',').any(|p| p.trim().parse::<IpAddr>() == Ok(ip));
        assert!(texts.iter().any(parsed), "{ip} is not in the payload");
    }

    let event = lambda_runtime::LambdaEvent::new(payload, lambda_runtime::Context::default());
    let (_, records) = poll_once(seclog::testing::capture_future(seclog::lambda::scope(
        &event,
        handle(7),
    )));
    assert_eq!(records.len(), 1, "one call, one record");
    let record = &records[0];
    assert!(
        record["where"]["lambda"].is_object(),
        "where.lambda is missing"
    );
    let who = &record["who"];
    let max = seclog::Limits::default().max_string_bytes;
    for (name, value) in [
        ("user", caller.user()),
        ("user_agent", caller.user_agent()),
        ("request_id", caller.request_id()),
    ] {
        match value {
            Some(v) if v.len() <= max => assert_eq!(who[name].as_str(), Some(v), "who.{name}"),
            Some(_) => assert!(who[name].is_string(), "who.{name}"),
            None => assert!(who.get(name).is_none(), "who.{name} from nowhere"),
        }
    }
});
