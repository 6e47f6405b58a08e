use seclog::security_logged;

#[security_logged]
fn pay((amount, cvv): (u64, u16)) -> u64 {
    amount + u64::from(cvv)
}

fn main() {}
