//! A small login and order service that runs a fixed number of requests, configured through
//! the `SECLOG_*` environment alone (`seclog::init()`), so that one binary can be shipped
//! anywhere: `SECLOG_OUTPUT` picks where its records go, `SECLOG_SEAL_TO` seals them.
//!
//! `SERVICE_REQUESTS` (default 100) requests are made, one every `SERVICE_PACE_MS`
//! milliseconds (default 10); each is a login, and an order once logged in. Every few
//! requests a password is wrong or an item is out of stock. The process ends by dropping the
//! guard, which records `sys_shutdown` and delivers what is still queued.
//!
//! ```sh
//! SECLOG_OUTPUT=syslog+tcp://127.0.0.1:601 SECLOG_SEAL_TO="$(cat verifier.pub)" \
//!     SERVICE_REQUESTS=500 cargo run --features syslog --example service
//! ```

use std::time::Duration;

use seclog::{Redact, security_logged};

#[derive(Redact)]
pub struct LoginRequest {
    pub username: String,
    #[redact]
    pub password: String,
}

#[derive(Redact)]
pub struct Session {
    pub user: String,
    #[redact]
    pub token: String,
}

#[derive(Redact, Debug)]
pub enum AuthError {
    BadCredentials,
}

#[derive(Redact, Debug)]
pub enum OrderError {
    OutOfStock { sku: String },
}

const USERS: [(&str, &str); 4] = [
    ("alice", "correct horse battery staple"),
    ("bob", "tr0ub4dor&3"),
    ("carol", "open sesame 42"),
    ("dave", "hunter2hunter2"),
];

#[security_logged(event = "authn_login", who = req.username)]
pub fn login(req: LoginRequest) -> Result<Session, AuthError> {
    match USERS.iter().find(|(user, _)| *user == req.username) {
        Some((_, password)) if *password == req.password => Ok(Session {
            user: req.username,
            token: format!("tok_{:08x}", req.password.len() * 7919),
        }),
        _ => Err(AuthError::BadCredentials),
    }
}

#[security_logged(event = "order.place", who = session.user)]
pub fn place_order(session: &Session, sku: &str, quantity: u32) -> Result<u64, OrderError> {
    if sku == "pen-7" {
        return Err(OrderError::OutOfStock { sku: sku.into() });
    }
    Ok(u64::from(quantity) * 1999)
}

/// A positive number from the environment variable `name`, or `default` when it is unset.
fn setting(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?}: expected a whole number")),
        Err(_) => default,
    }
}

fn main() {
    let guard = match seclog::init() {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("service: {e}");
            std::process::exit(2);
        }
    };
    let requests = setting("SERVICE_REQUESTS", 100);
    let pace = Duration::from_millis(setting("SERVICE_PACE_MS", 10));
    for i in 0..requests {
        let (user, password) = USERS[i as usize % USERS.len()];
        // Every seventh login has the wrong password; every fifth order is out of stock.
        let password = if i % 7 == 3 { "guess" } else { password };
        let session = login(LoginRequest {
            username: user.into(),
            password: password.into(),
        });
        if let Ok(session) = session {
            let sku = if i % 5 == 4 { "pen-7" } else { "book-42" };
            let _ = place_order(&session, sku, 1 + (i % 3) as u32);
        }
        std::thread::sleep(pace);
    }
    drop(guard);
}
