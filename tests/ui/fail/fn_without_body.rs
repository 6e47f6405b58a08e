use seclog::security_logged;

pub trait Auth {
    #[security_logged]
    fn login(&self, user: &str) -> bool;
}

fn main() {}
