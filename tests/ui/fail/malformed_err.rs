use seclog::security_logged;

#[security_logged(err = loud)]
fn handler(user: &str) -> Result<usize, String> {
    Ok(user.len())
}

fn main() {}
