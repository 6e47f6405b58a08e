use seclog::Redact;

#[derive(Redact)]
pub struct User {
    #[seclog(hidden)]
    pub email: String,
}

fn main() {}
