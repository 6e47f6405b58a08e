use seclog::security_logged;

#[security_logged(ret = hide)]
fn handler(user: &str) -> usize {
    user.len()
}

fn main() {}
