use seclog::security_logged;

#[security_logged]
fn handler(#[skip] #[redact] note: &str) -> usize {
    note.len()
}

fn main() {}
