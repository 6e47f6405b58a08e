use std::time::{Duration, Instant};
use seclog::delivery::{Backpressure, Fallback};
#[derive(Debug, Clone, seclog::Redact)]
pub struct Receipt { order_id: u64, total_cents: u64, status: &'static str }
#[inline(never)]
#[seclog::security_logged(event = "order.place")]
fn place_order(user: &str, qty: u32) -> Receipt {
    Receipt { order_id: 1_000 + user.len() as u64, total_cents: u64::from(qty) * 1999, status: "accepted" }
}
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let n: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let key = seclog::integrity::ChainKey::from_bytes([7; 32]);
    let sink = seclog::sink::File::builder(&dir, key).max_bytes(64 << 20).fsync(match std::env::var("FS").as_deref() { Ok("never") => seclog::sink::Fsync::Never, _ => seclog::sink::Fsync::Interval(Duration::from_secs(1)) }).open().unwrap();
    let _g = seclog::builder().sink(sink).backpressure(Backpressure::Block { max_wait: Duration::from_secs(30), fallback: Fallback::Stderr }).install().unwrap();
    let start = Instant::now();
    std::thread::scope(|s| { for t in 0..2 { s.spawn(move || { for i in 0..n/2 { std::hint::black_box(place_order(if t == 0 {"alice"} else {"bob"}, (i % 7) as u32)); } }); } });
    assert!(seclog::flush());
    let el = start.elapsed();
    eprintln!("{} records in {:?}: {:.0}/s {:?}", n, el, n as f64 / el.as_secs_f64(), seclog::delivery::stats());
}
