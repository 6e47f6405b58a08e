use seclog::security_logged;

#[security_logged]
pub struct Handler {
    pub name: String,
}

fn main() {}
