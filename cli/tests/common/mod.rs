//! What the CLI's test files share. Each test file uses part of it.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the `seclog` binary with `args`, writing `stdin` to it (from a thread of its own, so
/// that a large input and a large output do not wait on each other).
pub fn run(args: &[&str], stdin: Option<Vec<u8>>) -> Output {
    let mut child = command(env!("CARGO_BIN_EXE_seclog"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            // The binary may stop reading early on an error; a broken pipe is its answer.
            let _ = pipe.write_all(&bytes);
        })
    });
    let out = child.wait_with_output().unwrap();
    if let Some(w) = writer {
        w.join().unwrap();
    }
    out
}

/// `program` with none of the test's `SECLOG_*` settings passed on (they would change where
/// and how the binary writes).
pub fn command(program: &str) -> Command {
    let mut c = Command::new(program);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("SECLOG_") {
            c.env_remove(k);
        }
    }
    c
}

/// A small deterministic generator (xorshift64*), so that every run sees the same inputs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index below `n`.
    pub fn index(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
