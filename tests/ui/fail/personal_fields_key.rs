use seclog::security_logged;

#[security_logged(event = "orders.ship", fields(shipping_address = "1 Main St"))]
fn ship(order_id: u64) -> u64 {
    order_id
}

fn main() {}
