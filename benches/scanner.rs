//! The cost of the scanner on one string, side by side with the scanner it replaced
//! (`support/scanner_before.rs`, secrets only, a hand-written matcher per kind):
//!
//! - typical strings: an e-mail address, a browser user agent, a 1 KiB JSON body with no
//!   secret, a URL with a query string;
//! - adversarial strings of 1, 4, 16 and 64 KiB: many keyword hits, many digits, many `@`,
//!   long base64 runs. The new scanner must stay linear, and under 1 ms at 64 KiB.
//!
//! Run: `cargo bench --bench scanner`. Results: BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[allow(dead_code, unused_imports, clippy::all)]
#[path = "support/scanner_before.rs"]
mod before;

/// What the scanner before relied on in its crate.
mod strategy {
    pub(crate) fn luhn(digits: &[u8]) -> bool {
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| {
                let d = u32::from(d - b'0');
                if i % 2 == 1 {
                    let d2 = d * 2;
                    if d2 > 9 { d2 - 9 } else { d2 }
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    }
}

const EMAIL: &str = "alice.smith@example.org";
const AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const URL: &str = "https://shop.example.com/api/v2/orders?page=3&per_page=50&sort=-created_at&status=shipped&q=blue+shoes";

fn json_body() -> String {
    let mut s = String::from("{\"items\":[");
    let mut i = 0;
    while s.len() < 1000 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"sku\":\"SKU-{i:05}\",\"name\":\"Blue running shoe size {}\",\"qty\":{},\"price\":\"{}.99\",\"tags\":[\"sale\",\"outdoor\"]}}",
            38 + i % 9,
            1 + i % 3,
            20 + i
        ));
        i += 1;
    }
    s.push_str("],\"currency\":\"EUR\"}");
    s
}

/// `n` bytes built to hit every rule's keyword and every personal-data pre-check.
fn adversarial(n: usize) -> String {
    const PIECES: &[&str] = &[
        "password=",
        "token: ",
        "api_key ",
        "secret ",
        "Bearer ",
        "Authorization: ",
        "://",
        "user:@",
        "@@@",
        "a@b",
        "eyJ",
        "AKIA",
        "ghp_",
        "xoxb-",
        "sk-",
        "-----BEGIN ",
        "4111 1111 1111 ",
        "12345678901234567890",
        "+44 20 ",
        "DE89 3704 ",
        "123-45-",
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU2Nzg5YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=",
        " == \"",
        "--password ",
        "MTAy.",
    ];
    let mut s = String::with_capacity(n + 128);
    let mut i = 0;
    while s.len() < n {
        s.push_str(PIECES[i % PIECES.len()]);
        i += 1;
    }
    s.truncate(n);
    s
}

fn scanner(c: &mut Criterion) {
    let json = json_body();
    let typical: [(&str, &str); 4] = [
        ("email", EMAIL),
        ("user_agent", AGENT),
        ("json_1k", &json),
        ("url_query", URL),
    ];
    let mut g = c.benchmark_group("scanner");
    for (name, s) in typical {
        g.bench_with_input(BenchmarkId::new("before", name), s, |b, s| {
            b.iter(|| before::scrub(black_box(s)))
        });
        g.bench_with_input(BenchmarkId::new("after", name), s, |b, s| {
            b.iter(|| seclog::redact::scanner::scrub(black_box(s)))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("scanner_adversarial");
    for kib in [1, 4, 16, 64] {
        let s = adversarial(kib * 1024);
        g.throughput(Throughput::Bytes(s.len() as u64));
        g.bench_with_input(BenchmarkId::new("before", kib), &s, |b, s| {
            b.iter(|| before::scrub(black_box(s)))
        });
        g.bench_with_input(BenchmarkId::new("after", kib), &s, |b, s| {
            b.iter(|| seclog::redact::scanner::scrub(black_box(s)))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = scanner
}
criterion_main!(benches);
