//! The axum example service on a loopback port, driven with real HTTP requests; the records it
//! writes are checked for the caller's IP, the request id, the user after login, and that a
//! spoofed `X-Forwarded-For` is ignored.

use std::io;
use std::net::SocketAddr;
use std::sync::{Mutex, Once};

use seclog::axum::CallerLayer;
use serde_json::{Value, json};

#[allow(dead_code)]
#[path = "../examples/axum_login.rs"]
mod app;

static LINES: Mutex<Vec<Value>> = Mutex::new(Vec::new());

struct Memory;

impl seclog::Sink for Memory {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        let v = serde_json::from_slice(record).map_err(io::Error::other)?;
        LINES.lock().unwrap().push(v);
        Ok(())
    }
}

fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::mem::forget(seclog::builder().sink(Memory).install().unwrap());
    });
}

/// Records whose request id is `id`.
fn records_of(id: &str) -> Vec<Value> {
    assert!(seclog::flush());
    LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r["who"]["request_id"] == id)
        .cloned()
        .collect()
}

async fn serve(layer: CallerLayer) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app::router(layer).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    id: &str,
    user: &str,
    pw: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}/login"))
        .header("x-request-id", id)
        .header("user-agent", "seclog-test/1.0")
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_service_records_who_for_every_request() {
    install();
    let addr = serve(CallerLayer::new()).await;
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();

    // A failed login: the attacker's IP and the attempted username, never the password.
    let resp = login(&client, &base, "req-fail-1", "alice", "S3CR3T-guess").await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["x-request-id"], "req-fail-1", "echoed");
    let recs = records_of("req-fail-1");
    assert_eq!(recs.len(), 1, "{recs:?}");
    let r = &recs[0];
    assert_eq!(r["event"], "authn_login_fail");
    assert_eq!(r["who"]["ip"], "127.0.0.1");
    assert_eq!(r["who"]["user"], "alice");
    assert_eq!(r["who"]["user_agent"], "seclog-test/1.0");
    assert_eq!(r["inputs"]["req"]["password"], "[REDACTED]");
    assert!(!r.to_string().contains("S3CR3T"));

    // A spoofed X-Forwarded-For from an untrusted peer is ignored.
    let resp = client
        .post(format!("{base}/login"))
        .header("x-request-id", "req-spoof")
        .header("x-forwarded-for", "6.6.6.6")
        .header("forwarded", "for=6.6.6.6")
        .json(&json!({"username": "mallory", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(records_of("req-spoof")[0]["who"]["ip"], "127.0.0.1");

    // A successful login; then the token's user is the caller of later requests.
    let resp = login(&client, &base, "req-login", "bob", "builder").await;
    assert_eq!(resp.status(), 200);
    let token = resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = &records_of("req-login")[0];
    assert_eq!(r["event"], "authn_login_success");
    assert_eq!(r["output"], json!({"token": "[REDACTED]"}));

    let resp = client
        .get(format!("{base}/me"))
        .header("authorization", format!("Bearer {token}"))
        .header("x-request-id", "req-me")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r = &records_of("req-me")[0];
    assert_eq!(r["event"], "sensitive_read");
    assert_eq!(r["who"]["user"], "bob");
    assert_eq!(r["who"]["auth_method"], "bearer");
    assert_eq!(r["output"], json!({"user": "bob", "admin": false}));

    // A non-admin on the admin endpoint: authz_fail, CRITICAL, with who.
    let resp = client
        .get(format!("{base}/admin"))
        .header("authorization", format!("Bearer {token}"))
        .header("x-request-id", "req-admin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let recs = records_of("req-admin");
    let deny = recs.iter().find(|r| r["event"] == "authz_fail").unwrap();
    assert_eq!(deny["level"], "CRITICAL");
    assert_eq!(deny["who"]["user"], "bob");
    assert_eq!(deny["inputs"]["resource"], "/admin");
    let admin = recs.iter().find(|r| r["event"] == "authz_admin").unwrap();
    assert_eq!(admin["outcome"], "failure");

    // A malformed request id is replaced by a generated one, echoed and recorded.
    let resp = client
        .post(format!("{base}/login"))
        .header("x-request-id", "bad id with spaces")
        .json(&json!({"username": "alice", "password": "nope"}))
        .send()
        .await
        .unwrap();
    let generated = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(generated, "bad id with spaces");
    assert_eq!(generated.len(), 32);
    assert_eq!(records_of(&generated).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_count_behind_a_trusted_proxy() {
    install();
    let addr = serve(CallerLayer::new().trust_proxy("127.0.0.1".parse().unwrap())).await;
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("http://{addr}/login"))
        .header("x-request-id", "req-proxied")
        .header("x-forwarded-for", "203.0.113.50")
        .json(&json!({"username": "alice", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(records_of("req-proxied")[0]["who"]["ip"], "203.0.113.50");
}
