use seclog::security_logged;

#[security_logged(event = "user_updated")]
fn change_email(user_id: u64, email: &str) -> bool {
    user_id > 0 && email.contains('@')
}

fn main() {}
