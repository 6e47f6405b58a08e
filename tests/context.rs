//! The ambient caller: scopes for closures and futures, updates inside them, carrying it to
//! spawned work, isolation between concurrent requests, precedence, and session pseudonyms.

use std::net::IpAddr;
use std::sync::Once;
use std::time::Duration;

use seclog::context::{self, Caller, Identify};
use seclog::testing::{capture, capture_future};
use seclog::{HashKey, security_logged};
use serde_json::{Value, json};

const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let guard = seclog::builder()
            .sink(seclog::sink::Discard)
            .hash_key(HashKey::from_hex(KEY_HEX).unwrap())
            .install()
            .expect("installed once");
        std::mem::forget(guard);
    });
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[security_logged]
fn step(n: u32) -> u32 {
    n
}

#[security_logged]
async fn async_step(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    n
}

#[test]
fn scope_sync_sets_who_for_calls_inside_only() {
    setup();
    let caller = Caller::new()
        .with_user("ann")
        .with_tenant("acme")
        .with_roles(["admin", "ops"])
        .with_ip(ip("203.0.113.7"))
        .with_user_agent("curl/8.5.0")
        .with_request_id("r-91")
        .with_auth_method("password")
        .with_session_tag("web");
    let (_, recs) = capture(|| {
        context::scope_sync(caller, || step(1));
        step(2)
    });
    assert_eq!(
        recs[0]["who"],
        json!({
            "user": "ann", "tenant": "acme", "roles": ["admin", "ops"], "ip": "203.0.113.7",
            "user_agent": "curl/8.5.0", "session": "web", "request_id": "r-91",
            "auth_method": "password"
        })
    );
    assert!(
        recs[1].get("who").is_none(),
        "outside the scope: {}",
        recs[1]
    );
}

#[test]
fn only_known_keys_appear() {
    setup();
    let (_, recs) = capture(|| {
        context::scope_sync(Caller::new().with_ip(ip("::1")), || step(1));
        context::scope_sync(Caller::new(), || step(2));
    });
    assert_eq!(recs[0]["who"], json!({"ip": "::1"}));
    assert!(recs[1].get("who").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_follows_awaits_and_updates_are_seen() {
    setup();
    let caller = Caller::new()
        .with_ip(ip("198.51.100.4"))
        .with_request_id("r-1");
    let (user, recs) = capture_future(context::scope(caller, async {
        async_step(1).await;
        // A login handler learns the user midway.
        assert!(context::set_user("bob"));
        async_step(2).await;
        tokio::task::yield_now().await;
        context::update(|c| c.set_roles(["viewer"]));
        async_step(3).await;
        context::current().and_then(|c| c.user().map(str::to_owned))
    }))
    .await;
    assert_eq!(user.as_deref(), Some("bob"));
    assert_eq!(recs.len(), 3);
    assert!(recs[0]["who"].get("user").is_none());
    assert_eq!(recs[0]["who"]["ip"], "198.51.100.4");
    assert_eq!(recs[1]["who"]["user"], "bob");
    assert_eq!(recs[2]["who"]["roles"], json!(["viewer"]));
    assert!(recs.iter().all(|r| r["who"]["request_id"] == "r-1"));
    assert!(!context::set_user("nobody"), "no scope out here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_never_see_each_other() {
    setup();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            tokio::spawn(async move {
                let user = format!("user-{i}");
                let caller = Caller::new()
                    .with_user(&user)
                    .with_request_id(format!("req-{i}"));
                let (_, recs) = capture_future(context::scope(caller, async move {
                    for n in 0..5 {
                        async_step(n).await;
                        tokio::task::yield_now().await;
                    }
                }))
                .await;
                (user, recs)
            })
        })
        .collect();
    for t in tasks {
        let (user, recs) = t.await.unwrap();
        assert_eq!(recs.len(), 5);
        for r in &recs {
            assert_eq!(r["who"]["user"], user.as_str(), "{r}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_carries_the_context_into_spawned_tasks_and_threads() {
    setup();
    let caller = Caller::new().with_user("carol");
    let (recs_task, recs_thread) = context::scope(caller, async {
        let task = tokio::spawn(context::bind(async {
            capture_future(async_step(1)).await.1
        }));
        let thread = std::thread::spawn(context::bind_fn(|| capture(|| step(2)).1));
        // Updates after binding are shared: the context is the same.
        (task.await.unwrap(), thread.join().unwrap())
    })
    .await;
    assert_eq!(recs_task[0]["who"]["user"], "carol");
    assert_eq!(recs_thread[0]["who"]["user"], "carol");

    // Without binding, a spawned task has no caller.
    let unbound = context::scope(Caller::new().with_user("dave"), async {
        tokio::spawn(async { capture_future(async_step(3)).await.1 })
            .await
            .unwrap()
    })
    .await;
    assert!(unbound[0].get("who").is_none());
}

struct AuthUser {
    id: &'static str,
}

impl Identify for AuthUser {
    fn caller(&self) -> Caller {
        Caller::new().with_user(self.id).with_auth_method("jwt")
    }
}

#[security_logged]
fn with_caller_param(#[caller] by: &AuthUser, doc: u32) -> u32 {
    let _ = by.id;
    doc
}

#[security_logged(who = name)]
fn with_who(name: &str) {
    let _ = name;
}

#[test]
fn precedence_who_then_caller_param_then_ambient() {
    setup();
    let ambient = Caller::new()
        .with_user("ambient")
        .with_ip(ip("192.0.2.1"))
        .with_auth_method("password");
    let (_, recs) = capture(|| {
        context::scope_sync(ambient.clone(), || {
            with_caller_param(&AuthUser { id: "param" }, 5);
            with_who("expr");
        });
        with_caller_param(&AuthUser { id: "alone" }, 6);
    });
    assert_eq!(
        recs[0]["who"],
        json!({"user": "param", "ip": "192.0.2.1", "auth_method": "jwt"})
    );
    assert_eq!(
        recs[0]["inputs"],
        json!({"doc": 5}),
        "the #[caller] param is not an input"
    );
    assert_eq!(
        recs[1]["who"],
        json!({"user": "expr", "ip": "192.0.2.1", "auth_method": "password"})
    );
    assert_eq!(
        recs[2]["who"],
        json!({"user": "alone", "auth_method": "jwt"})
    );
}

#[test]
fn session_ids_are_recorded_only_as_keyed_pseudonyms() {
    setup();
    let raw = "sess_S3CR3T_0123456789";
    let (_, recs) = capture(|| {
        context::scope_sync(Caller::new().with_session_id(raw), || step(1));
        context::scope_sync(Caller::new().with_session_id(raw), || step(2));
        context::scope_sync(Caller::new().with_session_id("other"), || step(3));
    });
    let text: String = recs.iter().map(Value::to_string).collect();
    assert!(!text.contains("S3CR3T"), "{text}");
    let key = HashKey::from_hex(KEY_HEX).unwrap();
    let expected = key.pseudonym(raw.as_bytes());
    assert!(expected.starts_with(&format!("hmac:{}:", key.id())));
    assert_eq!(recs[0]["who"]["session"], expected.as_str());
    assert_eq!(recs[1]["who"]["session"], recs[0]["who"]["session"]);
    assert_ne!(recs[2]["who"]["session"], recs[0]["who"]["session"]);
    assert!(!format!("{:?}", Caller::new().with_session_id(raw)).contains("S3CR3T"));
}
