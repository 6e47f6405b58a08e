use seclog::security_logged;

// `sesion_` is not a vocabulary prefix, but it is one letter from `session_`: a typo of an
// OWASP name must not silently become a free-form event.
#[security_logged(event = "sesion_created")]
fn start_session(user: &str) -> bool {
    user.is_empty()
}

fn main() {}
