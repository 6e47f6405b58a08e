//! Helpers shared by test binaries that run each case in a child process (a configuration
//! is installed once per process).

#![allow(dead_code)]

use std::io;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// Names the `*_child` test a child process runs.
pub const CHILD: &str = "SECLOG_TEST_CHILD";

/// Whether this process is the child running `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(name)
}

/// Runs the test `name` of this binary in a child process (through `wrap`, a command and its
/// arguments, if not empty) and checks that it passed; a child that hangs fails the test.
pub fn run_child(name: &str, envs: &[(&str, &str)], wrap: &[&str]) -> Output {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = match wrap.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let child = cmd
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A child that hangs is a failure, not a stuck test run.
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let out = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{name} hung");
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed: {}\n--- stdout\n{}\n--- stderr\n{stderr}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
    );
    out
}

/// How many of seclog's own stderr messages contain `containing`.
pub fn stderr_lines(out: &Output, containing: &str) -> usize {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("seclog:") && l.contains(containing))
        .count()
}

/// JSON lines into values.
pub fn parse(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// A sink that keeps every record in memory, for tests that read back what was written.
#[derive(Clone, Default)]
pub struct Memory(Arc<Mutex<Vec<u8>>>);

impl seclog::Sink for Memory {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        self.0.lock().unwrap().extend_from_slice(record);
        Ok(())
    }
}

impl Memory {
    /// Every byte written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }

    /// Every record written so far, parsed.
    pub fn records(&self) -> Vec<Value> {
        parse(&self.0.lock().unwrap())
    }

    /// The records of `event`.
    pub fn of(&self, event: &str) -> Vec<Value> {
        self.records()
            .into_iter()
            .filter(|r| r["event"] == event)
            .collect()
    }
}

/// Whether the child ran exactly one test and it passed: the `*_child` test it was asked for
/// exists.
pub fn ran_one(out: &Output) -> bool {
    String::from_utf8_lossy(&out.stdout).contains("test result: ok. 1 passed;")
}

/// The files of a file sink's directory, oldest first, as verifier inputs.
pub fn log_sources(dir: &std::path::Path) -> Vec<seclog::integrity::Source> {
    seclog::integrity::log_files(dir)
        .unwrap()
        .iter()
        .map(|f| seclog::integrity::Source::read(f).unwrap())
        .collect()
}

/// Verifies a file sink's directory as `seclog verify` reads one.
pub fn verify_log_dir(
    keys: &seclog::integrity::Keys,
    dir: &std::path::Path,
) -> seclog::integrity::ArchiveReport {
    seclog::integrity::verify_archive(
        keys,
        &log_sources(dir),
        seclog::integrity::ArchiveOptions::file_sink(),
    )
}

/// The name a file has in a verifier's report (`Source::read` names a source by its path).
pub fn source_name(file: &std::path::Path) -> String {
    file.display().to_string()
}
