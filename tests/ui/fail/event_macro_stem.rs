fn main() {
    seclog::event!("authn_login", user = "ann");
}
