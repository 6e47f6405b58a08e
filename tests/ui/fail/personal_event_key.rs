fn main() {
    let new_email = String::from("ann@example.com");
    seclog::event!("user_updated", user = "ann", email = new_email);
}
