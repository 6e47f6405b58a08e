use seclog::security_logged;

#[security_logged(event = "authn_login_success", mandatory = true)]
fn login(user: &str) {
    let _ = user;
}

fn main() {}
