use seclog::security_logged;

#[security_logged(event = "authn_token")]
fn issue(user: &str) -> bool {
    user.is_empty()
}

fn main() {}
