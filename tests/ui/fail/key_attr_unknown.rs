use seclog::security_logged;

#[security_logged(fields(#[skip] region = "eu", #[sensitive] plan = "pro"))]
fn handler(user: &str) {
    let _ = user;
}

fn main() {
    seclog::event!("user_updated", #[hidden] user = "ann");
}
