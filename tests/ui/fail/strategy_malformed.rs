use seclog::Redact;

#[derive(Redact)]
pub struct Card {
    #[redact(last)]
    pub number: String,
    #[redact(first = 0)]
    pub holder: String,
}

fn main() {}
