use seclog::security_logged;

#[security_logged(event = "report.export", units = 3)]
fn export() {}

fn main() {}
