use seclog::security_logged;

#[security_logged(event = "report.export", budget = "fast")]
fn export() {}

#[security_logged(event = "report.render", budget = "250")]
fn render() {}

#[security_logged(event = "report.print", budget = 250)]
fn print() {}

fn main() {}
