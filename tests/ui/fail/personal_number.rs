use seclog::{Redact, security_logged};

// A phone number or a postcode held as a number is still the person's.
#[derive(Redact)]
pub struct Subscriber {
    pub msisdn: u64,
    pub zip_code: Option<u32>,
    // A flag and a count under such names are not the datum.
    pub phone_verified: bool,
    pub phone_count: u32,
}

#[security_logged(event = "user_updated")]
fn set_phone(phone: u64) -> u64 {
    phone
}

fn main() {
    let _ = set_phone(447_700_900_123);
}
