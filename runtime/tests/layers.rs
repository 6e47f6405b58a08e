//! The runtime's layers (the module map in `src/lib.rs`): a module uses only its own layer and
//! the layers below it, except for the upward paths the map names.

use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer, lowest first.
const LAYERS: &[(&str, u8)] = &[
    ("hex", 0),
    ("testing", 0),
    ("redact", 1),
    ("record", 2),
    ("who", 3),
    ("what", 4),
    ("format", 5),
    ("integrity", 5),
    ("watch", 6),
    ("sink", 6),
    ("delivery", 7),
    ("setup", 8),
];

/// The upward paths the module map names: (file, path used).
const UPWARD: &[(&str, &str)] = &[
    ("record/invocation.rs", "crate::setup"),
    ("record/pending.rs", "crate::setup"),
    ("delivery/mod.rs", "crate::setup"),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|&(_, l)| l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module names that `line` refers to as `crate::<name>`.
fn crate_paths(line: &str) -> Vec<&str> {
    line.match_indices("crate::")
        .map(|(i, _)| {
            let rest = &line[i + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn modules_use_only_their_layer_and_those_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "lib.rs" {
            continue; // the top: re-exports every layer
        }
        let own_module = rel.split(['/', '.']).next().unwrap();
        let own = layer(own_module).unwrap_or_else(|| panic!("{rel}: not in LAYERS"));
        for (n, line) in fs::read_to_string(file).unwrap().lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue; // docs and comments link anywhere
            }
            for used in crate_paths(line) {
                let ok = match layer(used) {
                    Some(l) => {
                        l <= own
                            || UPWARD
                                .iter()
                                .any(|&(f, p)| f == rel && p == format!("crate::{used}"))
                    }
                    // `crate::__private` is what `event!` expands to inside the runtime.
                    None => used == "__private",
                };
                if !ok {
                    problems.push(format!("{rel}:{}: uses crate::{used}", n + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "imports against the layer order:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_top_of_src_stays_small() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let entries = fs::read_dir(&src).unwrap().count();
    assert!(entries <= 14, "{entries} entries at the top of runtime/src");
    for entry in fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let module = name.trim_end_matches(".rs");
        assert!(
            module == "lib" || layer(module).is_some(),
            "{name} is in no layer of the module map"
        );
    }
}
