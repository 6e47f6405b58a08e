//! The log reader and verifier on arbitrary bytes as a log file: never panics, and what it
//! reports stays within the file (counts, line numbers). The key is the one the seeds are
//! sealed with, so the fuzzer can splice genuine records into its inputs.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use seclog::integrity::{ChainKey, Checkpoint, Verifier, verify_files, verify_files_against};

/// The key of the seed logs (see fuzz/README.md).
const KEY: [u8; 32] = [7; 32];

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("seclog-fuzz-verify-bytes-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("a scratch directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let key = ChainKey::from_bytes(KEY);
    let lines = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    let segments = data.split(|&b| b == b'\n').count() as u64;

    match Verifier::check_all(&key, [0; 32], data) {
        Ok(n) => assert!(n <= lines, "{n} valid of {lines} lines"),
        Err(t) => assert!(
            t.line >= 1 && t.line <= segments,
            "break at line {}",
            t.line
        ),
    }

    // A checkpoint kept elsewhere is read from text too: the first line, if it is one.
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let checkpoint = Checkpoint::from_json(&String::from_utf8_lossy(first));
    if let Some(cp) = &checkpoint {
        let again = Checkpoint::from_json(&cp.to_json()).expect("a checkpoint reads back");
        assert_eq!(&again, cp);
    }

    let path = dir().join("seclog-00000000-0.log");
    std::fs::write(&path, data).expect("scratch file written");
    let files = [path];
    for report in [
        verify_files(&key, &files).expect("readable"),
        verify_files_against(&key, &files, checkpoint.as_ref()).expect("readable"),
    ] {
        assert!(
            report.valid <= lines,
            "{} valid of {lines} lines",
            report.valid
        );
        if let Some(f) = &report.failure {
            assert!(
                f.line <= segments,
                "failure at line {} of {segments}",
                f.line
            );
        }
        assert!(report.incomplete_tails.len() <= 1);
    }
});
