use seclog::security_logged;

#[security_logged(fields(region))]
fn handler(user: &str) {
    let _ = user;
}

fn main() {}
