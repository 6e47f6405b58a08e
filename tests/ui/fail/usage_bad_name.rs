use seclog::security_logged;

#[security_logged(usage = "Reports Export")]
fn export() {}

fn main() {}
