use seclog::Redact;

/// A type the macro cannot see into counts: a date of birth is personal data as a struct too.
pub struct Date {
    pub y: u16,
}

#[derive(Redact)]
pub struct Patient {
    pub dob: String,
    pub birthdate: Date,
    pub age: u8,
}

fn main() {}
