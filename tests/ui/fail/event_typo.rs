use seclog::security_logged;

#[security_logged(event = "authn_login_fial")]
fn login(user: &str) -> bool {
    user.is_empty()
}

fn main() {}
