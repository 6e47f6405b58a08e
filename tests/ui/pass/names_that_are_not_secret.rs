use seclog::{Redact, security_logged};

// Short sensitive terms (`pin`, `pan`, `otp`, ...) only count as whole words.
#[derive(Redact)]
pub struct Ui {
    pub spinner: bool,
    pub company: String,
    pub hotpath: u32,
    pub pinned: bool,
    pub expand: bool,
    pub topping: String,
    pub author: String,
}

#[security_logged]
fn render(spinner: bool, company: &str, hotpath: u32, span: u32) -> usize {
    usize::from(spinner) + company.len() + hotpath as usize + span as usize
}

// A sensitive-looking name whose value is not secret, declared so.
#[derive(Redact)]
pub struct Usage {
    #[seclog(public)]
    pub token_count: u32,
}

#[security_logged]
fn count(#[public] token_count: u32, #[redact] password: &str, #[skip] api_key: &str) -> u32 {
    token_count + password.len() as u32 + api_key.len() as u32
}

#[security_logged(skip(session_id))]
fn resume(session_id: &str) -> bool {
    !session_id.is_empty()
}

fn main() {
    let (_, records) = seclog::testing::capture(|| {
        render(true, "acme", 3, 4);
        count(Usage { token_count: 5 }.token_count, "pw", "key");
        resume("s-1");
    });
    assert_eq!(records.len(), 3);
    assert_eq!(records[1]["inputs"]["password"], "[REDACTED]");
    assert!(records[1]["inputs"].get("api_key").is_none());
    assert!(records[2].get("inputs").is_none());
    let _ = Ui {
        spinner: true,
        company: String::new(),
        hotpath: 0,
        pinned: false,
        expand: false,
        topping: String::new(),
        author: String::new(),
    };
}
