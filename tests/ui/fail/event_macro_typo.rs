fn main() {
    let path = "/admin";
    seclog::event!("authz_fial", resource = path);
}
