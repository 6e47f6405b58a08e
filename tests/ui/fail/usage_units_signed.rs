use seclog::security_logged;

#[security_logged(usage = "reports.export", units = rows)]
fn export(rows: i64) -> i64 {
    rows
}

fn main() {}
