use seclog::Redact;

#[derive(Redact)]
pub struct Visit {
    #[redact(ip)]
    pub count: u32,
}

fn main() {}
