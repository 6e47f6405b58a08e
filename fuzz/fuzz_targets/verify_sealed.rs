//! Genuine sealed logs of the earlier file sink's format (one chain across files, each file
//! opening with a sealed `seclog_file` header), written with `Sealer` and a known key, then
//! mutated as the fuzzer input says (bit flips, overwritten bytes, cuts, lines duplicated, swapped, deleted or moved,
//! files deleted or reordered). Whatever the mutation, the verifier accepts only a contiguous
//! run of the genuine chain: unless the mutation left every record in place (a no-op), it
//! reports a break, or what it accepts is the genuine log cut at a line (without a checkpoint)
//! or started after whole files (retention). With the final checkpoint, a cut is a break too.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use seclog::integrity::{
    ChainKey, Checkpoint, Report, Sealer, Verifier, verify_files, verify_files_against,
};

const KEY: [u8; 32] = [7; 32];
const RECORDS: u64 = 24;
/// Records a file, after its header.
const PER_FILE: u64 = 6;

/// One file's lines, as the verifier sees them: the non-empty `\n`-separated pieces.
type Lines = Vec<Vec<u8>>;

struct Genuine {
    /// Each file's bytes, in chain order.
    files: Vec<Vec<u8>>,
    checkpoint: Checkpoint,
    /// Every line of the chain, file after file.
    flat: Lines,
    scratch: PathBuf,
}

fn scratch_base() -> PathBuf {
    if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    }
}

fn lines(bytes: &[u8]) -> Lines {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A log of `RECORDS` records over several files, as the earlier file sink wrote it: each
/// file opens with a header naming where in the chain it starts.
fn genuine() -> &'static Genuine {
    static G: OnceLock<Genuine> = OnceLock::new();
    G.get_or_init(|| {
        let pid = std::process::id();
        let key = ChainKey::from_bytes(KEY);
        let mut sealer = Sealer::new(&key, [0; 32]);
        let mut files: Vec<Vec<u8>> = Vec::new();
        for seq in 1..=RECORDS {
            if (seq - 1) % PER_FILE == 0 {
                let header = format!(
                    "{{\"seclog_file\":{{\"index\":{},\"prev\":\"{}\"}}}}",
                    sealer.count(),
                    hex(&sealer.head())
                );
                files.push(Vec::new());
                sealer.seal(header.as_bytes(), files.last_mut().expect("a file"));
            }
            let record = format!(
                "{{\"ts\":\"2026-11-30T12:00:00.{seq:09}Z\",\"seq\":{seq},\"event\":\"authn_login_success\",\"who\":{{\"user\":\"u{seq}\"}}}}"
            );
            sealer.seal(record.as_bytes(), files.last_mut().expect("a file"));
        }
        assert!(files.len() >= 3, "the log spans several files");

        let flat: Lines = files.iter().flat_map(|f| lines(f)).collect();
        let mut v = Verifier::new(&key, [0; 32]);
        for l in &flat {
            v.check(l).expect("the genuine log verifies");
        }
        let checkpoint = Checkpoint {
            count: v.count(),
            head: v.head(),
            key_id: key.id().to_owned(),
            ts: "2026-11-30T12:00:01.000000000Z".into(),
            chain: None,
        };
        let scratch = scratch_base().join(format!("seclog-fuzz-sealed-{pid}"));
        std::fs::create_dir_all(&scratch).expect("scratch directory");
        Genuine {
            files,
            checkpoint,
            flat,
            scratch,
        }
    })
}

/// Splits a file into lines, each with its newline if it had one.
fn split_keep(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn pick(n: usize, x: u8) -> Option<usize> {
    (n > 0).then(|| usize::from(x) % n)
}

/// Applies the mutations the input describes, four bytes each.
fn mutate(files: &mut Vec<Vec<u8>>, data: &[u8]) {
    for op in data.chunks_exact(4).take(8) {
        let (kind, a, b, c) = (op[0], op[1], op[2], op[3]);
        let Some(f) = pick(files.len(), a) else {
            return;
        };
        let at = usize::from(b) << 8 | usize::from(c);
        match kind % 10 {
            // Flip one bit.
            0 => {
                let file = &mut files[f];
                if let Some(i) = pick(file.len(), 0).map(|_| at % file.len()) {
                    file[i] ^= 1 << (kind / 10 % 8);
                }
            }
            // Overwrite one byte.
            1 => {
                let file = &mut files[f];
                if !file.is_empty() {
                    let i = usize::from(b) * 7 % file.len();
                    file[i] = c;
                }
            }
            // Cut the file.
            2 => {
                let len = files[f].len();
                files[f].truncate(at % (len + 1));
            }
            // Duplicate a line after another, swap two lines, delete a line.
            3..=5 => {
                let mut ls = split_keep(&files[f]);
                let (Some(i), Some(j)) = (pick(ls.len(), b), pick(ls.len(), c)) else {
                    continue;
                };
                match kind % 10 {
                    3 => {
                        let line = ls[i].clone();
                        ls.insert(j + 1, line);
                    }
                    4 => ls.swap(i, j),
                    _ => {
                        ls.remove(i);
                    }
                }
                files[f] = ls.concat();
            }
            // Move a line to another file.
            6 => {
                let mut from = split_keep(&files[f]);
                let Some(i) = pick(from.len(), b) else {
                    continue;
                };
                let line = from.remove(i);
                files[f] = from.concat();
                let g = usize::from(c) % files.len();
                let mut to = split_keep(&files[g]);
                let j = usize::from(kind / 10) % (to.len() + 1);
                to.insert(j, line);
                files[g] = to.concat();
            }
            // Delete a file.
            7 => {
                files.remove(f);
            }
            // Swap two files.
            8 => {
                let g = usize::from(b) % files.len();
                files.swap(f, g);
            }
            // Insert bytes.
            _ => {
                let file = &mut files[f];
                let i = at % (file.len() + 1);
                let bytes: Vec<u8> =
                    std::iter::repeat_n(c, usize::from(kind / 10 % 4) + 1).collect();
                file.splice(i..i, bytes);
            }
        }
    }
}

/// Whether `part` is a contiguous run of `whole`.
fn is_run(part: &[Vec<u8>], whole: &[Vec<u8>]) -> bool {
    part.is_empty() || whole.windows(part.len()).any(|w| w == part)
}

/// The lines the verifier accepted: every file's lines but a torn last line it reported.
fn accepted(files: &[Vec<u8>], report: &Report, paths: &[PathBuf]) -> Lines {
    let mut out = Lines::new();
    for (bytes, path) in files.iter().zip(paths) {
        let mut ls = lines(bytes);
        if report.incomplete_tails.contains(path) && bytes.last() != Some(&b'\n') {
            ls.pop();
        }
        out.extend(ls);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let g = genuine();
    let key = ChainKey::from_bytes(KEY);
    let mut files = g.files.clone();
    mutate(&mut files, data);

    for entry in std::fs::read_dir(&g.scratch).expect("scratch listed") {
        let _ = std::fs::remove_file(entry.expect("entry").path());
    }
    let paths: Vec<PathBuf> = (0..files.len())
        .map(|i| g.scratch.join(format!("seclog-{i:08}-0.log")))
        .collect();
    for (p, bytes) in paths.iter().zip(&files) {
        std::fs::write(p, bytes).expect("scratch file written");
    }

    let now: Vec<Lines> = files.iter().map(|f| lines(f)).collect();
    let before: Vec<Lines> = g.files.iter().map(|f| lines(f)).collect();
    let no_op = now == before;

    // Without a checkpoint: a contiguous run of the genuine chain, starting at a file's
    // header unless the report says the log starts after retention.
    let report = verify_files(&key, &paths).expect("readable");
    if no_op {
        assert_eq!(report.failure, None, "an untouched log fails");
        assert_eq!(report.valid, g.flat.len() as u64);
        assert!(report.incomplete_tails.is_empty());
    }
    if report.failure.is_none() {
        let ok = accepted(&files, &report, &paths);
        assert!(
            is_run(&ok, &g.flat),
            "accepted lines that are not the genuine chain"
        );
        assert_eq!(report.valid, ok.len() as u64);
        if ok.first() != g.flat.first() && !ok.is_empty() {
            assert!(report.starts_after_retention, "a cut start not reported");
        }
    }

    // With the final checkpoint: everything up to it must be there.
    let report = verify_files_against(&key, &paths, Some(&g.checkpoint)).expect("readable");
    if no_op {
        assert_eq!(
            report.failure, None,
            "an untouched log fails its checkpoint"
        );
    }
    if report.failure.is_none() {
        let ok = accepted(&files, &report, &paths);
        assert!(
            ok.ends_with(&g.flat[g.flat.len() - ok.len().min(g.flat.len())..])
                && is_run(&ok, &g.flat)
                && ok.last() == g.flat.last(),
            "accepted a log that does not reach its checkpoint"
        );
        if ok.len() < g.flat.len() {
            assert!(report.starts_after_retention, "a cut start not reported");
        }
    }

    // The plain chain check of all files as one stream.
    let stream: Vec<u8> = files.concat();
    if let Ok(n) = Verifier::check_all(&key, [0; 32], &stream) {
        let ls = lines(&stream);
        assert_eq!(n, ls.len() as u64);
        assert!(
            g.flat.starts_with(&ls),
            "check_all accepted lines off the chain"
        );
    }
});
