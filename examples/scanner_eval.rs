//! Measures the scanner against a corpus of secret-bearing and benign lines written by other
//! projects (gitleaks, detect-secrets, trufflehog and libdatadog tests).
//!
//! ```text
//! cargo run --release --example scanner_eval -- ../shared/reference/secrets_corpus.json [--verbose]
//! ```
//!
//! A secret counts as caught when its text no longer appears in the scrubbed line. A strict
//! negative (`scope: "global"`, not `debatable`) counts as a false positive when the scrubbed
//! line differs at all. Exits 1 when a threshold is missed: core ≥ 97 %, extended ≥ 90 %,
//! other ≥ 70 % caught, ≤ 2 % of the strict negatives changed.

use std::process::ExitCode;

use seclog::redact::scanner::scan;
use serde_json::Value;

const THRESHOLDS: [(&str, f64); 3] = [("core", 97.0), ("extended", 90.0), ("other", 70.0)];
const MAX_FALSE_POSITIVES: f64 = 2.0;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--verbose" || a == "-v");
    let Some(path) = args.iter().find(|a| !a.starts_with('-')) else {
        eprintln!("usage: scanner_eval <secrets_corpus.json> [--verbose]");
        return ExitCode::from(2);
    };
    let corpus: Value = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let str_of = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut ok = true;
    let positives = corpus["positives"].as_array().cloned().unwrap_or_default();
    for (tier, min) in THRESHOLDS {
        let cases: Vec<&Value> = positives.iter().filter(|p| p["tier"] == tier).collect();
        let mut missed = Vec::new();
        for p in &cases {
            let (text, secret) = (str_of(p, "text"), str_of(p, "secret"));
            if scan(&text).contains(secret.as_str()) {
                missed.push((str_of(p, "rule"), text));
            }
        }
        let caught = cases.len() - missed.len();
        let pct = percent(caught, cases.len());
        let pass = pct >= min;
        ok &= pass;
        println!(
            "{tier:<9} caught {caught}/{} = {pct:.1} % (threshold {min} %) {}",
            cases.len(),
            if pass { "ok" } else { "MISSED" }
        );
        if verbose {
            for (rule, text) in missed {
                println!("  miss [{rule}] {:?}", clip(&text));
            }
        }
    }
    let strict: Vec<Value> = corpus["negatives"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n["scope"] == "global" && n["debatable"] != true)
        .collect();
    let mut changed = Vec::new();
    for n in &strict {
        let text = str_of(n, "text");
        let clean = scan(&text);
        if clean != text {
            changed.push((str_of(n, "rule"), text.clone(), clean.into_owned()));
        }
    }
    let pct = percent(changed.len(), strict.len());
    let pass = pct <= MAX_FALSE_POSITIVES;
    ok &= pass;
    println!(
        "strict negatives changed {}/{} = {pct:.1} % (at most {MAX_FALSE_POSITIVES} %) {}",
        changed.len(),
        strict.len(),
        if pass { "ok" } else { "MISSED" }
    );
    if verbose {
        for (rule, text, clean) in changed {
            println!(
                "  changed [{rule}] {:?}\n       -> {:?}",
                clip(&text),
                clip(&clean)
            );
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn percent(n: usize, of: usize) -> f64 {
    if of == 0 {
        100.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

fn clip(s: &str) -> String {
    s.chars().take(160).collect()
}
