fn main() {
    let secret = "x";
    seclog::event!("authn_token_created", access_token = secret);
}
