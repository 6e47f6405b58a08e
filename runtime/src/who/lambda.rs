//! AWS Lambda (feature `lambda`): the caller of an invocation and `where.lambda`.
//!
//! Wrap the handler's work in [`scope`]: every `#[security_logged]` call inside records the
//! caller taken from the event — source IP, user agent, request id, and the authorizer
//! claims' subject as the user — and, under `where`, the function's name and version, whether
//! this invocation was a cold start, and the AWS request id.
//!
//! ```no_run
//! use lambda_runtime::{Error, LambdaEvent, service_fn};
//! use serde_json::Value;
//!
//! #[seclog::security_logged(event = "order.list")]
//! async fn list_orders(customer: String) -> Vec<u64> {
//!     let _ = customer;
//!     vec![1, 2]
//! }
//!
//! async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
//!     seclog::lambda::scope(&event, async {
//!         let orders = list_orders("c-1".into()).await;
//!         Ok(serde_json::json!({ "statusCode": 200, "body": format!("{orders:?}") }))
//!     })
//!     .await
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     lambda_runtime::run(service_fn(handler)).await
//! }
//! ```
//!
//! Recognised payloads: API Gateway REST API (`requestContext.identity.sourceIp`,
//! `requestContext.authorizer.claims.sub`), API Gateway HTTP API
//! (`requestContext.http.sourceIp`, `requestContext.authorizer.jwt.claims.sub`) and ALB target
//! groups (`X-Forwarded-For`, whose right-most address is the client the load balancer saw).
//! Other events get the AWS request id and `where.lambda` only.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

use super::context::{Caller, Context, Scoped};
use crate::record::{Encoder, Limits};

static COLD: AtomicBool = AtomicBool::new(true);

/// Runs `fut` in a caller scope built from `event`. See the [module docs](self).
pub fn scope<T: Serialize, F: Future>(event: &LambdaEvent<T>, fut: F) -> Scoped<F> {
    let cold_start = COLD.swap(false, Ordering::Relaxed);
    let payload = serde_json::to_value(&event.payload).unwrap_or(Value::Null);
    let mut caller = caller_from_payload(&payload);
    if caller.request_id().is_none() && !event.context.request_id.is_empty() {
        caller.set_request_id(&event.context.request_id);
    }
    let mut context = Context::new(caller);
    context.where_members = Some(where_members(event, cold_start).into());
    context.wrap(fut)
}

/// The caller described by an API Gateway or ALB event payload.
pub fn caller_from_payload(payload: &Value) -> Caller {
    let mut caller = Caller::new();
    let rc = &payload["requestContext"];
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);

    // HTTP API (payload v2), then REST API (v1), then ALB.
    let ip = text(&rc["http"]["sourceIp"])
        .or_else(|| text(&rc["identity"]["sourceIp"]))
        .or_else(|| {
            header(payload, "x-forwarded-for")
                .and_then(|xff| xff.rsplit(',').next().map(|s| s.trim().to_owned()))
        });
    if let Some(ip) = ip.and_then(|s| s.parse().ok()) {
        caller.set_ip(ip);
    }
    let user_agent = text(&rc["http"]["userAgent"])
        .or_else(|| text(&rc["identity"]["userAgent"]))
        .or_else(|| header(payload, "user-agent"));
    if let Some(ua) = user_agent {
        caller.set_user_agent(ua);
    }
    let request_id = text(&rc["requestId"]).or_else(|| header(payload, "x-amzn-trace-id"));
    if let Some(id) = request_id {
        caller.set_request_id(id);
    }
    let authorizer = &rc["authorizer"];
    let sub = text(&authorizer["jwt"]["claims"]["sub"])
        .or_else(|| text(&authorizer["claims"]["sub"]))
        .or_else(|| text(&authorizer["principalId"]));
    if let Some(sub) = sub {
        caller.set_user(sub);
        let method = if authorizer.get("jwt").is_some() {
            "jwt"
        } else if authorizer.get("claims").is_some() {
            "cognito"
        } else {
            "lambda_authorizer"
        };
        caller.set_auth_method(method);
    }
    caller
}

/// A header of an event, from `headers` or `multiValueHeaders` (last value), any case.
fn header(payload: &Value, name: &str) -> Option<String> {
    let find = |map: &Value| {
        map.as_object().and_then(|m| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        })
    };
    let value = match find(&payload["headers"]) {
        Some(Value::String(s)) => Some(s),
        _ => match find(&payload["multiValueHeaders"]) {
            Some(Value::Array(values)) => values.last().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        },
    };
    // An empty header says nothing, as an empty field of the request context.
    value.filter(|s| !s.is_empty())
}

/// `"lambda":{"function":..,"version":..,"cold_start":..,"aws_request_id":..}`.
fn where_members<T>(event: &LambdaEvent<T>, cold_start: bool) -> Vec<u8> {
    let config = &event.context.env_config;
    let mut buf = Vec::with_capacity(160);
    buf.extend_from_slice(b"\"lambda\":");
    let mut enc = Encoder::new(&mut buf, Limits::default());
    let mut obj = enc.object();
    obj.field("function", config.function_name.as_str());
    obj.field("version", config.version.as_str());
    obj.field("cold_start", &cold_start);
    obj.field("aws_request_id", event.context.request_id.as_str());
    drop(obj);
    buf
}
