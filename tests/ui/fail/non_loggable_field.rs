use seclog::Redact;

pub struct Handle;

#[derive(Redact)]
pub struct Request {
    pub path: String,
    pub handle: Handle,
}

fn main() {}
