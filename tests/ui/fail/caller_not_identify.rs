use seclog::security_logged;

pub struct Token(pub String);

#[security_logged]
fn handler(#[caller] who: &Token, path: &str) -> usize {
    who.0.len() + path.len()
}

fn main() {}
