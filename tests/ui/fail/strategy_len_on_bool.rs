use seclog::Redact;

#[derive(Redact)]
pub struct Flags {
    #[redact(len)]
    pub admin: bool,
}

fn main() {}
