use seclog::security_logged;

#[security_logged(fields(auth_token = "abc"))]
fn handler(path: &str) -> usize {
    path.len()
}

fn main() {}
