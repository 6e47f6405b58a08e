use seclog::security_logged;

pub struct Session {
    pub id: u64,
}

#[security_logged]
fn open_session(user: &str) -> Session {
    let _ = user;
    Session { id: 1 }
}

fn main() {}
