use seclog::security_logged;

#[security_logged(event = login)]
fn handler(user: &str) {
    let _ = user;
}

fn main() {}
