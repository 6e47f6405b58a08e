//! A small service under attack: a credential-stuffing run from one address, a brute force on
//! one account, a report export that becomes slow, and a tenant over its export quota. The
//! watcher on the writer thread turns them into alert records next to the handlers' own;
//! `on_alert` prints a line per alert on stderr. Run:
//!
//! ```sh
//! cargo run --example attack 2>/dev/null | grep -E 'seclog\.(alert|perf|usage)|fail_max|successafterfail|excess_'
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use seclog::context::{self, Caller};
use seclog::watch::{Alert, Rules};
use seclog::{Redact, security_logged};

#[derive(Redact)]
pub struct LoginRequest {
    pub username: String,
    #[redact]
    pub password: String,
}

#[derive(Redact, Debug)]
pub enum AuthError {
    BadCredentials,
    UnknownUser,
}

struct Users(HashMap<&'static str, &'static str>);

#[security_logged(event = "authn_login", who = req.username)]
fn login(req: LoginRequest, #[skip] users: &Users) -> Result<u64, AuthError> {
    match users.0.get(req.username.as_str()) {
        Some(pw) if *pw == req.password => Ok(7),
        Some(_) => Err(AuthError::BadCredentials),
        None => Err(AuthError::UnknownUser),
    }
}

/// Exports `rows` rows: the usage counted for the caller, 3 ms budget.
#[security_logged(event = "report.export", budget = "3ms", usage = "reports.export", units = rows)]
fn export(rows: u32, slow: bool) -> u32 {
    std::thread::sleep(Duration::from_micros(if slow { 15_000 } else { 500 }));
    rows
}

fn from(ip: &str, f: impl FnOnce()) {
    let ip: IpAddr = ip.parse().expect("an address");
    context::scope_sync(Caller::new().with_ip(ip), f);
}

fn try_login(users: &Users, ip: &str, user: &str, password: &str) {
    from(ip, || {
        let _ = login(
            LoginRequest {
                username: user.into(),
                password: password.into(),
            },
            users,
        );
    });
}

fn main() {
    let _guard = seclog::builder()
        .service("shop", "1.0.0")
        // SECLOG_OUTPUT, SECLOG_FORMAT, ... still apply: `SECLOG_FORMAT=ocsf` writes OCSF.
        .with_env()
        .expect("a valid SECLOG_* environment")
        .rules(
            Rules::default()
                .quota("reports.export", 5_000, Duration::from_secs(3600))
                .perf_drift_min_count(10),
        )
        .on_alert(|a: &Alert| eprintln!("ALERT {a}"))
        // Each phase below is shorter than an interval or has at least 10 exports in one:
        // the quick exports make the export's baseline, the slow ones drift from it.
        .summary_interval(Duration::from_millis(500))
        .install()
        .expect("installed once");
    let users = Users(HashMap::from([
        ("alice", "correct horse"),
        ("bob", "hunter2"),
    ]));

    eprintln!("-- normal traffic, and a report export that takes 0.5 ms");
    try_login(&users, "198.51.100.20", "alice", "correct horse");
    let acme = || Caller::new().with_user("carol").with_tenant("acme");
    // Two intervals of quick exports: a baseline is established over two intervals before
    // it is compared with.
    for n in [25, 15] {
        for _ in 0..n {
            context::scope_sync(acme(), || export(100, false));
        }
        // The interval ends before anything else happens.
        std::thread::sleep(Duration::from_millis(600));
    }

    eprintln!("-- credential stuffing: one address tries 30 leaked accounts");
    for i in 0..30 {
        try_login(
            &users,
            "203.0.113.66",
            &format!("leaked{i:02}"),
            "Summer2024!",
        );
    }

    eprintln!("-- brute force on bob, then the right password");
    for i in 0..12 {
        try_login(&users, "192.0.2.44", "bob", &format!("guess{i}"));
    }
    try_login(&users, "192.0.2.44", "bob", "hunter2");

    eprintln!("-- the export slows down to 15 ms, and acme goes over its quota");
    for _ in 0..20 {
        context::scope_sync(acme(), || export(200, true));
    }
    std::thread::sleep(Duration::from_millis(600));
}
