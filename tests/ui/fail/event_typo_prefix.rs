fn main() {
    let path = "/admin";
    // `authnz_` is neither `authn_` nor `authz_`.
    seclog::event!("authnz_fail", resource = path);
}
