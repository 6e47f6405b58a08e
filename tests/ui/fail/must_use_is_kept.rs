#![deny(unused_must_use)]

use seclog::security_logged;

#[must_use]
#[security_logged]
fn token_count(user: &str) -> usize {
    user.len()
}

fn main() {
    token_count("ann");
}
