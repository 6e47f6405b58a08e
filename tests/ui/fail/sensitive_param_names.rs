use seclog::security_logged;

#[security_logged]
fn call_api(api_key: &str, userToken: &str, session_id: &str, url: &str) -> usize {
    api_key.len() + userToken.len() + session_id.len() + url.len()
}

fn main() {}
