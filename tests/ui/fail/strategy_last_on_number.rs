use seclog::security_logged;

#[security_logged]
fn charge(#[redact(last = 4)] amount_cents: u64) -> u64 {
    amount_cents
}

fn main() {}
