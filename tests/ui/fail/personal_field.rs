use seclog::Redact;

#[derive(Redact)]
pub struct Contact {
    pub name_shown: String,
    pub phone_number: String,
    pub date_of_birth: Option<String>,
}

fn main() {}
