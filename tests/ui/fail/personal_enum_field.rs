use seclog::Redact;

#[derive(Redact)]
pub enum Channel {
    Push { device: u64 },
    Sms { msisdn: String },
}

fn main() {}
