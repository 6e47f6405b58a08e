use seclog::security_logged;

#[security_logged(event = "User Login")]
fn login(user: &str) -> bool {
    user.is_empty()
}

fn main() {}
