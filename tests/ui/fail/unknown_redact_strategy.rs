use seclog::Redact;

#[derive(Redact)]
pub struct User {
    #[redact(rot13)]
    pub email: String,
}

fn main() {}
