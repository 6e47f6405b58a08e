use seclog::{Caller, security_logged};

#[security_logged]
fn handler(#[caller] a: &Caller, #[caller] b: &Caller) -> bool {
    a == b
}

fn main() {}
