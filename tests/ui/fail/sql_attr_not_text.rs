use seclog::security_logged;

#[security_logged]
fn run(#[sql] statement: u64) -> u64 {
    statement
}

fn main() {}
