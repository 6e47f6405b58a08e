use seclog::security_logged;

pub struct Connection;

#[security_logged]
fn query(conn: Connection, sql: &str) -> usize {
    let _ = conn;
    sql.len()
}

fn main() {}
