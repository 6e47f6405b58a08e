use seclog::Redact;

#[derive(Redact)]
pub union Bits {
    pub int: u32,
    pub float: f32,
}

fn main() {}
