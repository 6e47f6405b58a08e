use seclog::security_logged;

#[security_logged(skip(db))]
fn handler(user: &str, database: &str) -> usize {
    user.len() + database.len()
}

fn main() {}
