use seclog::security_logged;

#[security_logged(err = display)]
fn handler(user: &str) -> usize {
    user.len()
}

fn main() {}
