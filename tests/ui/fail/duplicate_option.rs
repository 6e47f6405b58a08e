use seclog::security_logged;

#[security_logged(event = "a", level = "info", event = "b")]
fn handler(user: &str) {
    let _ = user;
}

fn main() {}
