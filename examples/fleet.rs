//! A fleet: a load balancer in front of N processes of a small shop service, each configured
//! only through the `SECLOG_*` environment (`seclog::init()`), writing its records to stdout.
//!
//! ```sh
//! cargo run --example fleet -- --out target/fleet --processes 8
//! cargo run -p seclog-cli -- detect target/fleet
//! ```
//!
//! The parent starts N copies of its own binary (`--serve`) with `SECLOG_SERVICE=shop` and
//! `SECLOG_OUTPUT=stdout`, the rest of its environment passed on (`SECLOG_FORMAT=ocsf` or
//! `SECLOG_SEAL_TO=...` reach every process), each child's stdout written to
//! `DIR/shop-<i>.log`. It sends requests one a line on the children's stdin, round robin, then
//! closes their stdin; each child ends by dropping its guard (`sys_shutdown`) and exits.
//!
//! The traffic takes well under a second:
//! - ordinary customers logging in and ordering from their own addresses, a few of them
//!   mistyping their password twice before getting it right, some orders out of stock;
//! - a credential-stuffing run: 203.0.113.66 tries 24 leaked account names, each once;
//! - a brute force on `bob`: 12 wrong passwords from 12 addresses of 198.51.100.0/24, and never
//!   the right one.
//!
//! The load balancer spreads each attack thin: with 8 processes each sees at most 3 of the
//! stuffing attempts and 2 of the guesses, below every in-process threshold (20 distinct users
//! per address, 10 failures per user, 50 failures of an event), so no process alerts on its
//! own. `seclog detect` on the directory sees the attacks whole: one `credential_stuffing`
//! alert naming the address and one `authn_login_fail_max` naming `bob`, and nothing else.
//! With `--processes 1` the one process sees everything and raises both alerts itself.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use seclog::context::{self, Caller};
use seclog::{Redact, security_logged};

/// The shop's customers (their passwords are derived from their names: [`password_of`]).
const CUSTOMERS: [&str; 32] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "karl",
    "laura", "mike", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent", "ursula",
    "victor", "wendy", "xavier", "yvonne", "zoe", "amir", "bea", "chen", "dmitri", "elif", "femi",
];

/// Customers who mistype their password twice and then log in: ordinary, below the three
/// failures before a success that the watcher alerts on.
const MISTYPERS: [&str; 6] = ["karl", "nina", "quinn", "ursula", "chen", "femi"];

/// The brute force's target: a customer who does not log in while it runs.
const TARGET: &str = "bob";

/// The address of the credential-stuffing run.
const STUFFER: &str = "203.0.113.66";

/// Names from a leaked list, none of them a customer of this shop.
const LEAKED: [&str; 24] = [
    "admin",
    "root",
    "test",
    "guest",
    "info",
    "support",
    "sales",
    "webmaster",
    "oracle",
    "demo",
    "jsmith",
    "mjohnson",
    "dlee",
    "kwilliams",
    "pbrown",
    "swhite",
    "tmiller",
    "agarcia",
    "rmartin",
    "lthompson",
    "cclark",
    "hlewis",
    "ywalker",
    "ballen",
];

/// Successful logins, each followed by an order, per ordinary customer.
const VISITS: usize = 6;

/// A login form: the password never reaches a record.
#[derive(Redact)]
pub struct LoginRequest {
    /// The account's name.
    pub username: String,
    /// Recorded as `[REDACTED]`.
    #[redact]
    pub password: String,
}

/// Why a login failed.
#[derive(Redact, Debug)]
pub enum AuthError {
    /// The account exists; the password is wrong.
    BadCredentials,
    /// No such account.
    UnknownUser,
}

/// Why an order failed.
#[derive(Redact, Debug)]
pub enum OrderError {
    /// None left of the item.
    OutOfStock {
        /// The item.
        sku: String,
    },
}

/// The accounts: customer name → password.
struct Shop(HashMap<&'static str, String>);

/// A customer's password.
fn password_of(user: &str) -> String {
    format!("{user}-{}-secret", user.len() * 37)
}

impl Shop {
    fn new() -> Self {
        Shop(CUSTOMERS.iter().map(|c| (*c, password_of(c))).collect())
    }
}

#[security_logged(event = "authn_login", who = req.username)]
fn login(req: LoginRequest, #[skip] shop: &Shop) -> Result<u64, AuthError> {
    match shop.0.get(req.username.as_str()) {
        Some(pw) if *pw == req.password => Ok(req.username.len() as u64 * 7919),
        Some(_) => Err(AuthError::BadCredentials),
        None => Err(AuthError::UnknownUser),
    }
}

#[security_logged(event = "order.place", who = user)]
fn place_order(user: &str, sku: &str) -> Result<u64, OrderError> {
    if sku == "pen-7" {
        return Err(OrderError::OutOfStock { sku: sku.into() });
    }
    Ok(1999 + sku.len() as u64)
}

/// One process of the service: requests from stdin, records to wherever `SECLOG_*` says.
fn serve() -> Result<(), String> {
    let guard = seclog::init().map_err(|e| e.to_string())?;
    let shop = Shop::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let ip = |s: &str| -> Result<IpAddr, String> {
            s.parse().map_err(|_| format!("not an address: {s:?}"))
        };
        match words.as_slice() {
            ["login", user, password, addr] => {
                let caller = Caller::new().with_ip(ip(addr)?);
                context::scope_sync(caller, || {
                    let req = LoginRequest {
                        username: (*user).into(),
                        password: (*password).into(),
                    };
                    let _ = login(req, &shop);
                });
            }
            ["order", user, sku, addr] => {
                let caller = Caller::new().with_ip(ip(addr)?);
                context::scope_sync(caller, || {
                    let _ = place_order(user, sku);
                });
            }
            [] => {}
            _ => return Err(format!("not a request: {line:?}")),
        }
    }
    drop(guard);
    Ok(())
}

/// A customer's address: most from 192.0.2.0/24, some on IPv6 (2001:db8::/32).
fn home_of(i: usize) -> String {
    if i % 4 == 3 {
        format!("2001:db8:4:{i:x}::17")
    } else {
        format!("192.0.2.{}", 10 + i)
    }
}

/// The ordinary requests, in the order they arrive.
fn ordinary() -> Vec<String> {
    let mut out = Vec::new();
    let regulars: Vec<(usize, &str)> = CUSTOMERS
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| *c != TARGET && !MISTYPERS.contains(c))
        .collect();
    let skus = [
        "book-42", "mug-3", "lamp-9", "book-42", "pen-7", "mug-3", "tea-11",
    ];
    for visit in 0..VISITS {
        for (k, &(i, user)) in regulars.iter().enumerate() {
            // Some customers come from their phone on a second visit.
            let addr = if visit % 3 == 1 && k % 5 == 0 {
                format!("2001:db8:9::{:x}", 100 + i)
            } else {
                home_of(i)
            };
            out.push(format!("login {user} {} {addr}", password_of(user)));
            let sku = skus[(visit * 3 + k) % skus.len()];
            out.push(format!("order {user} {sku} {addr}"));
        }
        if let Some(user) = MISTYPERS.get(visit) {
            let i = CUSTOMERS.iter().position(|c| c == user).unwrap_or(0);
            for typo in ["x", "xx"] {
                out.push(format!(
                    "login {user} {}{typo} {}",
                    password_of(user),
                    home_of(i)
                ));
            }
            out.push(format!("login {user} {} {}", password_of(user), home_of(i)));
            out.push(format!("order {user} tea-11 {}", home_of(i)));
        }
    }
    out
}

/// The requests of each process, round robin: round `r` gives process `r mod n` a stuffing
/// attempt and process `(r + n/2) mod n` a guess at the target's password while they last, and
/// ordinary requests to every other slot.
fn spread(n: usize) -> Vec<Vec<String>> {
    let mut stuffing = LEAKED
        .iter()
        .map(|u| format!("login {u} Summer2024! {STUFFER}"));
    let mut guesses =
        (0..12).map(|k| format!("login {TARGET} guess-{k} 198.51.100.{}", 7 + 19 * k));
    let mut ordinary = ordinary().into_iter();
    let mut per = vec![Vec::new(); n];
    let mut round = 0;
    loop {
        let mut any = false;
        for (slot, lines) in per.iter_mut().enumerate() {
            let next = if slot == round % n {
                stuffing.next().or_else(|| ordinary.next())
            } else if slot == (round + n / 2) % n {
                guesses.next().or_else(|| ordinary.next())
            } else {
                ordinary.next()
            };
            if let Some(line) = next {
                lines.push(line);
                any = true;
            }
        }
        // With one process both attacks share its one slot: what is left goes last.
        if !any {
            let rest: Vec<String> = stuffing.by_ref().chain(guesses.by_ref()).collect();
            if rest.is_empty() {
                break;
            }
            per[0].extend(rest);
        }
        round += 1;
    }
    per
}

struct Args {
    out: PathBuf,
    processes: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("target/fleet"),
        processes: 8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--out" => args.out = it.next().ok_or("--out takes a directory")?.into(),
            "--processes" => {
                args.processes = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--processes takes a whole number above 0")?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

/// Removes the `*.log` files of `dir` (creating it when missing).
fn empty_logs(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "log") && path.is_file() {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

fn run(args: Args) -> Result<(), String> {
    let err = |what: &str, e: std::io::Error| format!("{what}: {e}");
    empty_logs(&args.out).map_err(|e| err(&args.out.display().to_string(), e))?;
    let exe = std::env::current_exe().map_err(|e| err("current_exe", e))?;
    let mut children: Vec<(PathBuf, Child)> = Vec::new();
    for i in 0..args.processes {
        let path = args.out.join(format!("shop-{i}.log"));
        let file = std::fs::File::create(&path).map_err(|e| err(&path.display().to_string(), e))?;
        let child = Command::new(&exe)
            .arg("--serve")
            .env("SECLOG_SERVICE", "shop")
            .env("SECLOG_OUTPUT", "stdout")
            .stdin(Stdio::piped())
            .stdout(file)
            .spawn()
            .map_err(|e| err("starting a process", e))?;
        children.push((path, child));
    }
    let per = spread(args.processes);
    let mut inputs: Vec<_> = children
        .iter_mut()
        .map(|(_, c)| c.stdin.take().expect("stdin is piped"))
        .collect();
    // As a load balancer forwards them: one request to each process in turn.
    let longest = per.iter().map(Vec::len).max().unwrap_or(0);
    for k in 0..longest {
        for (lines, input) in per.iter().zip(&mut inputs) {
            if let Some(line) = lines.get(k) {
                writeln!(input, "{line}").map_err(|e| err("writing a request", e))?;
            }
        }
    }
    drop(inputs);
    let mut failed = 0;
    for (i, (path, mut child)) in children.into_iter().enumerate() {
        let status = child.wait().map_err(|e| err("waiting", e))?;
        let file = std::fs::File::open(&path).map_err(|e| err(&path.display().to_string(), e))?;
        let lines = BufReader::new(file).lines().count();
        eprintln!(
            "fleet: process {i}: {} requests, {lines} lines in {} ({status})",
            per[i].len(),
            path.display()
        );
        if !status.success() {
            failed += 1;
        }
    }
    eprintln!(
        "fleet: the records of {} processes are in {}/shop-*.log",
        args.processes,
        args.out.display()
    );
    if failed > 0 {
        return Err(format!("{failed} processes failed"));
    }
    Ok(())
}

fn main() {
    let result = if std::env::args().nth(1).as_deref() == Some("--serve") {
        serve().map_err(|e| format!("shop: {e}"))
    } else {
        parse_args()
            .map_err(|e| format!("fleet: {e}; usage: fleet [--out DIR] [--processes N]"))
            .and_then(|args| run(args).map_err(|e| format!("fleet: {e}")))
    };
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
