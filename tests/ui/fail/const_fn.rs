use seclog::security_logged;

#[security_logged]
const fn double(n: u32) -> u32 {
    n * 2
}

fn main() {}
