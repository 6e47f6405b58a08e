use seclog::security_logged;

#[derive(Debug)]
pub struct DbError;

#[security_logged]
fn load(id: u64) -> Result<String, DbError> {
    if id == 0 { Err(DbError) } else { Ok(String::new()) }
}

fn main() {}
