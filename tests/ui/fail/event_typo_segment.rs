use seclog::security_logged;

// The first segment is one letter from the `session_` prefix.
#[security_logged(event = "sesion.refresh")]
fn refresh(user: &str) -> bool {
    user.is_empty()
}

fn main() {}
