pub struct Request;

fn main() {
    seclog::event!("authz_fail", request = Request);
}
