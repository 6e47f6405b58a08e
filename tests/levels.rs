//! The level filter: records below the threshold are not made (their inputs are not even
//! looked at), mandatory events pass whatever the threshold, and a `min_level_*` feature sets
//! a floor the run-time threshold cannot go below.
//!
//! The threshold is process-wide, so this file is its own test binary with one test.

use std::sync::atomic::{AtomicUsize, Ordering};

use seclog::testing::capture;
use seclog::{Encoder, Level, Loggable, security_logged};

/// Counts how often it is encoded.
struct Counted;

static ENCODED: AtomicUsize = AtomicUsize::new(0);

impl Loggable for Counted {
    fn log(&self, out: &mut Encoder<'_>) {
        ENCODED.fetch_add(1, Ordering::SeqCst);
        out.str("counted");
    }
}

#[security_logged(event = "data_read")]
fn read(item: Counted) -> u32 {
    let _ = item;
    1
}

#[security_logged(event = "data_delete", level = "warn")]
fn delete(item: Counted) -> u32 {
    let _ = item;
    2
}

#[security_logged(event = "authn_login_success", mandatory)]
fn login(user: &str) -> bool {
    !user.is_empty()
}

/// Success at INFO, failure at WARN.
#[security_logged(event = "authn_login")]
fn check(valid: bool) -> Result<(), String> {
    if valid { Ok(()) } else { Err("expired".into()) }
}

fn events(f: impl FnOnce()) -> Vec<String> {
    let ((), records) = capture(f);
    records
        .iter()
        .map(|r| r["event"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn level_filter() {
    // The static floor: trace unless a `min_level_*` feature raised it.
    let floor = if cfg!(feature = "min_level_warn") {
        Some(Level::Warn)
    } else {
        Some(Level::Trace)
    };
    assert_eq!(seclog::STATIC_MIN_LEVEL, floor);

    seclog::set_level(Some(Level::Trace));
    assert_eq!(seclog::level(), floor);
    let all = events(|| {
        read(Counted);
        delete(Counted);
        login("alice");
        check(true).unwrap();
        check(false).unwrap_err();
        seclog::event!("upload_complete", file = "report.pdf");
    });
    if floor == Some(Level::Warn) {
        // Compiled out below WARN: as if the threshold were WARN.
        assert_eq!(
            all,
            ["data_delete", "authn_login_success", "authn_login_fail"]
        );
        return;
    }
    assert_eq!(
        all,
        [
            "data_read",
            "data_delete",
            "authn_login_success",
            "authn_login_success",
            "authn_login_fail",
            "upload_complete"
        ]
    );

    // At WARN: INFO records are not made and their inputs are not encoded; a `Result`
    // handler records its WARN failure but not its INFO success; mandatory ones pass.
    seclog::set_level(Some(Level::Warn));
    assert_eq!(seclog::level(), Some(Level::Warn));
    let before = ENCODED.load(Ordering::SeqCst);
    let warn = events(|| {
        assert_eq!(read(Counted), 1);
        assert_eq!(delete(Counted), 2);
        assert!(login("alice"));
        check(true).unwrap();
        check(false).unwrap_err();
        seclog::event!("upload_complete", file = "report.pdf");
        seclog::event!("authz_fail", resource = "/admin");
        seclog::event!(mandatory, "user_created", user = "bob");
    });
    assert_eq!(
        warn,
        [
            "data_delete",
            "authn_login_success",
            "authn_login_fail",
            "authz_fail",
            "user_created"
        ]
    );
    assert_eq!(
        ENCODED.load(Ordering::SeqCst) - before,
        1,
        "only `delete` encoded"
    );

    // Off: only what is mandatory.
    seclog::set_level(None);
    assert_eq!(seclog::level(), None);
    let off = events(|| {
        read(Counted);
        delete(Counted);
        login("alice");
        check(false).unwrap_err();
        seclog::event!(level = "critical", "malicious_attack_tool", tool = "sqlmap");
        seclog::event!(mandatory, "user_created", user = "bob");
    });
    assert_eq!(off, ["authn_login_success", "user_created"]);

    // Back on: everything again.
    seclog::set_level(Some(Level::Trace));
    assert_eq!(
        events(|| {
            read(Counted);
        }),
        ["data_read"]
    );
}
