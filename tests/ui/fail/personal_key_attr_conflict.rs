fn main() {
    let email = "ann@example.com";
    seclog::event!("user_updated", #[public] #[redact] email = email);
}
