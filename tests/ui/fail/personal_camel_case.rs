use seclog::security_logged;

#[allow(non_snake_case)]
#[security_logged]
fn register(userEmail: &str, mobileNumber: &str, billingAddress: &str) -> usize {
    userEmail.len() + mobileNumber.len() + billingAddress.len()
}

fn main() {}
