use seclog::Redact;

// An identity number identifies the person whatever its type.
#[derive(Redact)]
pub struct Citizen {
    pub national_id: u64,
    pub tax_id: u32,
}

fn main() {}
