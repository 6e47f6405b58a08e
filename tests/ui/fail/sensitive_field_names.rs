use seclog::Redact;

#[derive(Redact)]
pub struct Payment {
    pub amount: u64,
    pub card_number: String,
    pub cvv: String,
    #[redact]
    pub pin: String,
}

fn main() {}
