use seclog::security_logged;

#[security_logged(evnt = "login")]
fn login(user: &str) {
    let _ = user;
}

fn main() {}
