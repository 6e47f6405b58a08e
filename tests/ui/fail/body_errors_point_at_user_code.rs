use seclog::security_logged;

#[security_logged]
fn handler(user: &str) -> usize {
    let n: usize = user;
    n
}

fn main() {}
