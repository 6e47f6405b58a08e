//! Cold start: what seclog adds to a new process before its first record is written, and
//! what the first call of a handler records as its duration.
//!
//! ```sh
//! cargo run --release --example cold_start
//! ```
//!
//! The parent starts copies of its own binary, 25 of each kind (the kinds in turn), and times
//! each from `spawn` to the first byte on the child's standard output:
//! - `plain`: writes a hand-written record at once, no seclog (the cost of a process);
//! - `no_setup`: calls a 1 µs handler (a user's address and a number) twice with no set-up (the Lambda path: the first record
//!   makes the default set-up from `SECLOG_*` and is written on the calling thread);
//! - `init`: `seclog::init()`, then the handler twice (a writer thread);
//! - `scanner_off`: `no_setup` with `SECLOG_SECRET_SCANNER=off SECLOG_PII=off`.
//!
//! Each child also says what its two records give as `duration_ns`, how long `init()` took in
//! it, and its resident memory (VmRSS) after the calls. The figures printed are medians.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seclog::security_logged;

const RUNS: usize = 25;

/// About a microsecond of work, for a user: a string to scan and a number.
#[security_logged(event = "work.step")]
fn step(user: &str, n: u64) -> u64 {
    let t = Instant::now();
    let mut x = n;
    while t.elapsed() < Duration::from_micros(1) {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    x
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn child(kind: &str) {
    let mut init_ns = 0;
    let _guard = match kind {
        "plain" => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(
                br#"{"ts":"2026-12-03T00:00:00.000000000Z","seq":1,"event":"work.step","level":"INFO","outcome":"success","duration_ns":1000}
"#,
            );
            let _ = out.flush();
            eprintln!("child 0 0 0 {}", rss_kib());
            return;
        }
        "init" => {
            let t = Instant::now();
            let g = seclog::init().expect("a valid SECLOG_* environment");
            init_ns = t.elapsed().as_nanos();
            Some(g)
        }
        _ => None,
    };
    step("alice@example.com", 1);
    step("bob@example.com", 2);
    seclog::flush();
    eprintln!("child {init_ns} 0 0 {}", rss_kib());
}

struct Run {
    first_byte: Duration,
    durations: Vec<u64>,
    init_ns: u64,
    rss_kib: u64,
}

fn run(kind: &str) -> Run {
    let exe = std::env::current_exe().expect("the example's own path");
    let mut cmd = Command::new(exe);
    cmd.arg("--child")
        .arg(kind)
        .env("SECLOG_SERVICE", "cold")
        .env_remove("SECLOG_OUTPUT")
        .env_remove("SECLOG_SEAL_TO")
        .env_remove("SECLOG_KEY_FILE")
        .env_remove("SECLOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if kind == "scanner_off" {
        cmd.env("SECLOG_SECRET_SCANNER", "off")
            .env("SECLOG_PII", "off");
    }
    let t = Instant::now();
    let mut child = cmd.spawn().expect("the example can start itself");
    let mut out = child.stdout.take().expect("piped");
    let mut first = [0u8; 1];
    out.read_exact(&mut first).expect("a record");
    let first_byte = t.elapsed();
    let mut rest = Vec::new();
    out.read_to_end(&mut rest).expect("the records");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut err)
        .expect("its report");
    assert!(child.wait().expect("it ends").success(), "{kind}: {err}");
    let text = [&first[..], &rest].concat();
    let durations = BufReader::new(&text[..])
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .filter(|r| r["event"] == "work.step")
        .filter_map(|r| r["duration_ns"].as_u64())
        .collect();
    let report: Vec<u64> = err
        .lines()
        .find_map(|l| l.strip_prefix("child "))
        .expect("the child's report")
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    Run {
        first_byte,
        durations,
        init_ns: report[0],
        rss_kib: report[3],
    }
}

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        return child(args.get(2).map_or("no_setup", String::as_str));
    }
    println!(
        "{:<12} {:>14} {:>14} {:>14} {:>14} {:>12} {:>10}",
        "kind", "first record", "over plain", "1st call", "2nd call", "init()", "RSS"
    );
    let kinds = ["plain", "no_setup", "init", "scanner_off"];
    // One run first, so that the binary's pages are in the page cache for all; then the kinds
    // in turn, so that a change in the machine's load falls on all of them alike.
    for kind in kinds {
        let _ = run(kind);
    }
    let mut all: Vec<Vec<Run>> = kinds.iter().map(|_| Vec::new()).collect();
    for _ in 0..RUNS {
        for (kind, runs) in kinds.iter().zip(&mut all) {
            runs.push(run(kind));
        }
    }
    let mut plain = Duration::ZERO;
    for (kind, runs) in kinds.into_iter().zip(all) {
        let first = median(runs.iter().map(|r| r.first_byte).collect());
        if kind == "plain" {
            plain = first;
        }
        let nth = |i: usize| {
            median(
                runs.iter()
                    .map(|r| r.durations.get(i).copied().unwrap_or(0))
                    .collect(),
            )
        };
        let init = median(runs.iter().map(|r| r.init_ns).collect());
        let rss = median(runs.iter().map(|r| r.rss_kib).collect());
        let calls = if kind == "plain" {
            format!("{:>14} {:>14}", "-", "-")
        } else {
            format!(
                "{:>11.1} µs {:>11.1} µs",
                nth(0) as f64 / 1e3,
                nth(1) as f64 / 1e3
            )
        };
        let init = if kind == "init" {
            format!("{:>9.3} ms", init as f64 / 1e6)
        } else {
            format!("{:>12}", "-")
        };
        println!(
            "{:<12} {:>11.3} ms {:>11.3} ms {calls} {init} {:>6} KiB",
            kind,
            first.as_secs_f64() * 1e3,
            first.saturating_sub(plain).as_secs_f64() * 1e3,
            rss,
        );
    }
}
