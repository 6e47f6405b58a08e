//! A small login + order service. Every call of a `#[security_logged]` function writes one
//! JSON record to stdout; the narration goes to stderr, so
//! `cargo run --example quickstart 2>/dev/null` prints the records alone.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

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

#[derive(Redact)]
pub struct OrderLine {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Redact)]
pub struct Receipt {
    pub order_id: u64,
    pub total_cents: u64,
}

#[derive(Redact, Debug)]
pub enum OrderError {
    OutOfStock { sku: String },
}

/// The service's state; not recorded (`#[skip]`).
pub struct Shop {
    users: HashMap<&'static str, &'static str>,
    stock: HashMap<&'static str, (u32, u64)>,
    next_order: u64,
}

#[security_logged(event = "authn_login", who = req.username)]
pub fn login(#[skip] shop: &Shop, req: LoginRequest) -> Result<Session, AuthError> {
    match shop.users.get(req.username.as_str()) {
        Some(expected) if *expected == req.password => Ok(Session {
            user: req.username,
            token: "tok_7f3a9c".to_owned(),
        }),
        _ => Err(AuthError::BadCredentials),
    }
}

#[security_logged(event = "order.place", who = session.user, fields(channel = "web"))]
pub fn place_order(
    #[skip] shop: &mut Shop,
    session: &Session,
    lines: Vec<OrderLine>,
) -> Result<Receipt, OrderError> {
    let mut total = 0;
    for line in &lines {
        let (available, price) = shop.stock.get(line.sku.as_str()).copied().unwrap_or((0, 0));
        if available < line.quantity {
            return Err(OrderError::OutOfStock {
                sku: line.sku.clone(),
            });
        }
        total += price * u64::from(line.quantity);
    }
    shop.next_order += 1;
    Ok(Receipt {
        order_id: shop.next_order,
        total_cents: total,
    })
}

#[security_logged(event = "report.export", who = session.user)]
pub fn export_report(session: &Session, rows: u32) -> u32 {
    if rows > 10_000 {
        panic!("report too large: {rows} rows");
    }
    rows
}

pub fn main() {
    let mut shop = Shop {
        users: HashMap::from([("alice", "correct horse battery staple")]),
        stock: HashMap::from([("book-42", (3, 1999)), ("pen-7", (0, 150))]),
        next_order: 1000,
    };

    eprintln!("1. three failed logins: the passwords are redacted, the event is authn_login_fail");
    for password in ["hunter2", "hunter3", "correct horse"] {
        let _ = login(
            &shop,
            LoginRequest {
                username: "alice".into(),
                password: password.into(),
            },
        );
    }

    eprintln!("2. a successful login: the session token in the output is redacted too; after");
    eprintln!("   three failures, the watcher also records authn_login_successafterfail for alice");
    let session = login(
        &shop,
        LoginRequest {
            username: "alice".into(),
            password: "correct horse battery staple".into(),
        },
    )
    .expect("alice's password is right");

    eprintln!("3. an order that succeeds");
    let _ = place_order(
        &mut shop,
        &session,
        vec![OrderLine {
            sku: "book-42".into(),
            quantity: 2,
        }],
    );

    eprintln!("4. an order that fails: outcome failure, the error recorded");
    let _ = place_order(
        &mut shop,
        &session,
        vec![OrderLine {
            sku: "pen-7".into(),
            quantity: 1,
        }],
    );

    eprintln!("5. a handler that panics: recorded with outcome panic, then the panic goes on");
    let caught = catch_unwind(AssertUnwindSafe(|| export_report(&session, 50_000)));
    eprintln!("   the caller still sees the panic: {}", caught.is_err());
}
