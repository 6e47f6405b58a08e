fn main() {
    let user = "alice";
    seclog::event!("session_logut", user = user);
}
