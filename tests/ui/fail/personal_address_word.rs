use seclog::security_logged;

// `ip_address`, `remote_addr` and `address_id` are not where a person lives; the others are.
#[security_logged]
fn move_in(
    ip_address: &str,
    remote_addr: &str,
    address_id: u64,
    home_address: &str,
    address_line1: String,
) -> usize {
    ip_address.len() + remote_addr.len() + address_id as usize + home_address.len() + address_line1.len()
}

fn main() {}
