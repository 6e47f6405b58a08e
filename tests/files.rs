//! Tamper-evident files: the file sink's chain across rotated files, file modes, and the
//! verifier's verdicts on tampered directories.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use seclog::Sink;
use seclog::integrity::{ChainKey, TamperKind, log_files, verify_dir};
use seclog::sink::{File, Fsync};

fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "seclog-test-{}-{name}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn key(b: u8) -> ChainKey {
    ChainKey::from_bytes([b; 32])
}

/// Writes `n` records through a file sink that rotates every ~8 KiB.
fn write_log(dir: &PathBuf, k: &ChainKey, n: u64) {
    let sink = File::builder(dir, k.clone())
        .max_bytes(8 * 1024)
        .fsync(Fsync::Never)
        .open()
        .unwrap();
    for seq in 1..=n {
        let record = format!(
            "{{\"ts\":\"2026-11-23T00:00:00.000000000Z\",\"seq\":{seq},\"event\":\"order.place\",\"inputs\":{{\"n\":{seq}}}}}\n"
        );
        sink.write(record.as_bytes()).unwrap();
    }
    sink.flush().unwrap();
}

#[test]
fn a_rotated_log_verifies_and_files_are_private() {
    let dir = temp_dir("clean");
    let k = key(1);
    write_log(&dir, &k, 3000);
    let files = log_files(&dir).unwrap();
    assert!(files.len() > 10, "rotated into {} files", files.len());
    let report = verify_dir(&k, &dir).unwrap();
    assert_eq!(report.failure, None);
    assert!(!report.starts_after_retention);
    assert_eq!(
        report.valid,
        3000 + files.len() as u64,
        "records plus one header per file"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in &files {
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tampered_directories_are_caught_with_the_right_kind() {
    let k = key(2);
    let fresh = |name: &str| {
        let dir = temp_dir(name);
        write_log(&dir, &k, 1500);
        let files = log_files(&dir).unwrap();
        (dir, files)
    };

    // One flipped byte in a middle file.
    let (dir, files) = fresh("flip");
    let target = &files[files.len() / 2];
    let mut bytes = std::fs::read(target).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
    std::fs::write(target, bytes).unwrap();
    let f = verify_dir(&k, &dir).unwrap().failure.unwrap();
    assert_eq!((&f.file, f.kind), (target, TamperKind::Modified));
    std::fs::remove_dir_all(&dir).unwrap();

    // A whole middle file deleted.
    let (dir, files) = fresh("missing");
    std::fs::remove_file(&files[3]).unwrap();
    let f = verify_dir(&k, &dir).unwrap().failure.unwrap();
    assert_eq!(
        (&f.file, f.line, f.kind),
        (&files[4], 1, TamperKind::MissingFile)
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // The oldest files deleted (retention): what remains still verifies.
    let (dir, files) = fresh("retention");
    std::fs::remove_file(&files[0]).unwrap();
    std::fs::remove_file(&files[1]).unwrap();
    let report = verify_dir(&k, &dir).unwrap();
    assert_eq!(report.failure, None);
    assert!(report.starts_after_retention);

    // Another key: nothing verifies.
    let f = verify_dir(&key(3), &dir).unwrap().failure.unwrap();
    assert_eq!((f.line, f.kind), (1, TamperKind::BadKey));
    std::fs::remove_dir_all(&dir).unwrap();
}
