use seclog::security_logged;

#[security_logged(event = "authz_denied")]
fn check(user: &str) -> bool {
    user.is_empty()
}

fn main() {}
