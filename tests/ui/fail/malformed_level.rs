use seclog::security_logged;

#[security_logged(level = "loud")]
fn handler(user: &str) {
    let _ = user;
}

fn main() {}
