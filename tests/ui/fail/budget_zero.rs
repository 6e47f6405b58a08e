use seclog::security_logged;

#[security_logged(event = "report.export", budget = "0ms")]
fn export() {}

fn main() {}
