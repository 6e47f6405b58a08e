fn main() {
    seclog::event!(always, "authz_admin", resource = "/admin");
}
