//! AWS Lambda: the caller and `where.lambda` built from real event payloads (the JSON shapes
//! AWS documents for API Gateway REST and HTTP APIs and ALB), with no network.

use std::sync::Arc;

use lambda_runtime::{Config, Context, LambdaEvent};
use seclog::security_logged;
use seclog::testing::capture_future;
use serde_json::{Value, json};

fn event(payload: &str, aws_request_id: &str) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.request_id = aws_request_id.to_owned();
    context.env_config = Arc::new(Config {
        function_name: "orders-api".into(),
        memory: 256,
        version: "$LATEST".into(),
        log_stream: "2026/11/23/[$LATEST]abc".into(),
        log_group: "/aws/lambda/orders-api".into(),
    });
    LambdaEvent::new(serde_json::from_str(payload).unwrap(), context)
}

#[security_logged(event = "order.read")]
async fn read_order(id: u64) -> u64 {
    tokio::task::yield_now().await;
    id
}

async fn invoke(payload: &str, aws_request_id: &str) -> Value {
    let ev = event(payload, aws_request_id);
    let (_, recs) = capture_future(seclog::lambda::scope(&ev, read_order(42))).await;
    assert_eq!(recs.len(), 1);
    recs.into_iter().next().unwrap()
}

#[tokio::test]
async fn caller_and_where_from_each_event_shape() {
    // The first invocation in the process is the cold start.
    let rest = invoke(include_str!("lambda_events/apigw_rest.json"), "aws-req-1").await;
    assert_eq!(
        rest["who"],
        json!({
            "user": "7d3f9a2e-cognito-sub",
            "ip": "198.51.100.23",
            "user_agent": "Mozilla/5.0 (requestContext)",
            "request_id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "auth_method": "cognito"
        })
    );
    assert_eq!(
        rest["where"]["lambda"],
        json!({
            "function": "orders-api", "version": "$LATEST", "cold_start": true,
            "aws_request_id": "aws-req-1"
        })
    );
    // The usual `where` keys are still there.
    assert_eq!(rest["where"]["fn"], "lambda::read_order");

    let http = invoke(include_str!("lambda_events/apigw_http.json"), "aws-req-2").await;
    assert_eq!(
        http["who"],
        json!({
            "user": "user-sub-123",
            "ip": "203.0.113.7",
            "user_agent": "curl/8.5.0",
            "request_id": "JKJaXmPLvHcESHA=",
            "auth_method": "jwt"
        })
    );
    assert_eq!(http["where"]["lambda"]["cold_start"], false);
    assert_eq!(http["where"]["lambda"]["aws_request_id"], "aws-req-2");

    let alb = invoke(include_str!("lambda_events/alb.json"), "aws-req-3").await;
    assert_eq!(
        alb["who"],
        json!({
            "ip": "192.0.2.44",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
            "request_id": "Root=1-5c536348-3d683b8b04734faae651f476"
        })
    );

    // An event with no HTTP shape: the AWS request id stands in.
    let other = invoke(r#"{"detail-type": "Scheduled Event"}"#, "aws-req-4").await;
    assert_eq!(other["who"], json!({"request_id": "aws-req-4"}));
    assert_eq!(other["where"]["lambda"]["function"], "orders-api");
}

#[tokio::test]
async fn outside_a_scope_nothing_lambda_is_recorded() {
    let (_, recs) = capture_future(read_order(1)).await;
    assert!(recs[0]["where"].get("lambda").is_none());
    assert!(recs[0].get("who").is_none());
}
