fn main() {
    let name = "authz_fail";
    seclog::event!(name, resource = "/admin");
}
