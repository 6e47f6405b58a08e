use seclog::security_logged;

#[security_logged(fields(region = "eu", region = "us"))]
fn handler(user: &str) {
    let _ = user;
}

fn main() {}
