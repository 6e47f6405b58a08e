use seclog::security_logged;

#[security_logged]
fn total(values: impl Iterator<Item = u32>) -> u32 {
    values.sum()
}

fn main() {}
