use seclog::security_logged;

#[security_logged]
fn contact((id, phone): (u64, String)) -> u64 {
    id + phone.len() as u64
}

fn main() {}
