use seclog::Redact;

#[derive(Redact)]
pub enum Identity {
    Anonymous,
    Citizen { name: String, ssn: String },
}

fn main() {}
