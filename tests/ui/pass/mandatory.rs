//! `mandatory` on a handler and on an event: recorded whatever the level filter says.

#[seclog::security_logged(event = "authn_login_success", mandatory)]
fn login(user: &str) -> bool {
    !user.is_empty()
}

fn main() {
    seclog::set_level(None);
    let ((), records) = seclog::testing::capture(|| {
        assert!(login("alice"));
        seclog::event!(mandatory, "authz_admin", resource = "/admin");
        seclog::event!("authz_fail", resource = "/admin");
    });
    let events: Vec<String> = records.iter().map(|r| r["event"].to_string()).collect();
    assert_eq!(events, ["\"authn_login_success\"", "\"authz_admin\""]);
}
