//! Where records come from: files, the file sink's directories (its files in chain order) and
//! standard input, read in large blocks and split into lines with `memchr`.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use seclog_runtime::integrity;

/// One input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Source {
    /// How the source is named in messages.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "-".to_owned(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// The sources named by the command line's paths: `-` is standard input, a directory is the
/// file sink's `seclog-*.log` files in chain order (or, when it holds none, its `*.log`,
/// `*.json` and `*.jsonl` files by name), anything else a file.
pub fn sources(paths: &[PathBuf]) -> io::Result<Vec<Source>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Source::Stdin);
        } else if p.is_dir() {
            let mut files = integrity::log_files(p)?;
            if files.is_empty() {
                files = other_logs(p)?;
            }
            if files.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "{} holds no log files (seclog-*.log, *.log, *.json, *.jsonl)",
                        p.display()
                    ),
                ));
            }
            out.extend(files.into_iter().map(Source::File));
        } else if p.is_file() {
            out.push(Source::File(p.clone()));
        } else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is neither a file, a directory nor -", p.display()),
            ));
        }
    }
    Ok(out)
}

/// The `*.log`, `*.json` and `*.jsonl` files of `dir`, by name.
pub(crate) fn other_logs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "log" | "json" | "jsonl"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The block size of reads; also the longest line kept whole. A longer line is handed on cut
/// to this size (it then fails to parse and is counted as not a record), and the rest of it is
/// skipped, so memory stays bounded whatever the input.
pub const BLOCK: usize = 4 << 20;

/// Calls `f(line, number)` for every non-empty line of `source` (without `\n` or `\r\n`),
/// numbering lines from 1.
pub fn for_each_line(source: &Source, f: impl FnMut(&[u8], u64)) -> io::Result<()> {
    match source {
        Source::Stdin => lines(io::stdin().lock(), BLOCK, f),
        Source::File(p) => {
            let file = fs::File::open(p).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot open {}: {e}", p.display()))
            })?;
            lines(file, BLOCK, f)
        }
    }
}

/// The line splitter of [`for_each_line`], over any reader, with a given block size.
pub fn lines(mut r: impl Read, block: usize, mut f: impl FnMut(&[u8], u64)) -> io::Result<()> {
    let mut buf = vec![0u8; block.max(16)];
    let (mut start, mut end) = (0usize, 0usize);
    let mut number = 0u64;
    // Inside a line longer than the buffer, whose start was already handed on.
    let mut skipping = false;
    loop {
        if start == end {
            start = 0;
            end = 0;
        } else if end == buf.len() {
            if start > 0 {
                buf.copy_within(start..end, 0);
                end -= start;
                start = 0;
            } else {
                // A full buffer without a newline.
                if !skipping {
                    number += 1;
                    emit(&buf[..end], number, &mut f);
                    skipping = true;
                }
                start = 0;
                end = 0;
            }
        }
        let n = match r.read(&mut buf[end..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let scan_from = end;
        end += n;
        for nl in memchr::memchr_iter(b'\n', &buf[scan_from..end]) {
            let at = scan_from + nl;
            if skipping {
                skipping = false;
            } else {
                number += 1;
                emit(&buf[start..at], number, &mut f);
            }
            start = at + 1;
        }
    }
    if start < end && !skipping {
        number += 1;
        emit(&buf[start..end], number, &mut f);
    }
    Ok(())
}

fn emit(line: &[u8], number: u64, f: &mut impl FnMut(&[u8], u64)) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    f(line, number);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], block: usize) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        lines(input, block, |l, n| {
            out.push((String::from_utf8_lossy(l).into_owned(), n))
        })
        .unwrap();
        out
    }

    #[test]
    fn splits_lines_across_blocks() {
        let input = b"{\"a\":1}\r\n\n  \n{\"b\":22}\nlast";
        for block in [16, 17, 20, 64, 4096] {
            assert_eq!(
                collect(input, block),
                vec![
                    ("{\"a\":1}".into(), 1),
                    ("{\"b\":22}".into(), 4),
                    ("last".into(), 5)
                ],
                "block {block}"
            );
        }
    }

    #[test]
    fn a_line_longer_than_a_block_is_cut_and_the_rest_skipped() {
        let long = "x".repeat(100);
        let input = format!("a\n{long}\nb\n{long}");
        let got = collect(input.as_bytes(), 16);
        assert_eq!(got[0], ("a".into(), 1));
        assert_eq!(got[1].1, 2);
        assert!(got[1].0.len() <= 16);
        assert_eq!(got[2], ("b".into(), 3));
        assert_eq!(got[3].1, 4);
        assert_eq!(got.len(), 4);
    }
}
