//! Upload checks: does a file's content match what the client said it is?
//!
//! [`check`] compares the declared content type or file name with the file's signature (its
//! first bytes) and its size with a [`Policy`], and records the verdict as the OWASP
//! `upload_validation` event: INFO when all is well, WARN for a size outlier, CRITICAL when
//! the content is not what was declared — an executable sent as `image/png` is the classic
//! attack. The file's content is never recorded.
//!
//! ```
//! use seclog::upload::{self, Kind};
//!
//! let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
//! let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0";
//! let (verdicts, records) = seclog::testing::capture(|| {
//!     (upload::check("image/png", png), upload::check("image/png", exe))
//! });
//! assert!(verdicts.0.is_ok());
//! assert_eq!(verdicts.1.detected, Kind::Pe);
//! assert!(!verdicts.1.is_ok());
//! assert_eq!(records[1]["event"], "upload_validation");
//! assert_eq!(records[1]["level"], "CRITICAL");
//! assert_eq!(records[1]["fields"]["verdict"], "executable");
//! ```

use std::fmt;

use seclog_macros::event;

use crate::record::{Encoder, Loggable};

/// A kind of file, as declared or as detected from its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// GIF image.
    Gif,
    /// PDF document.
    Pdf,
    /// ZIP archive, including Office Open XML documents (`.docx`, `.xlsx`, `.pptx`) and JARs.
    Zip,
    /// gzip stream.
    Gzip,
    /// ELF executable or library (Linux).
    Elf,
    /// PE executable or library (Windows `MZ`).
    Pe,
    /// A script: `#!` interpreter line or PHP.
    Script,
    /// HTML, which a browser runs.
    Html,
    /// Plain text (declared only).
    Text,
    /// No known signature / not a known declaration.
    Unknown,
}

impl Kind {
    /// The name written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Png => "png",
            Kind::Jpeg => "jpeg",
            Kind::Gif => "gif",
            Kind::Pdf => "pdf",
            Kind::Zip => "zip",
            Kind::Gzip => "gzip",
            Kind::Elf => "elf",
            Kind::Pe => "pe",
            Kind::Script => "script",
            Kind::Html => "html",
            Kind::Text => "text",
            Kind::Unknown => "unknown",
        }
    }

    /// Content a machine or browser runs.
    pub fn is_active(self) -> bool {
        matches!(self, Kind::Elf | Kind::Pe | Kind::Script | Kind::Html)
    }

    /// The kind a content type (`image/png`, parameters ignored) or a file name / extension
    /// (`photo.PNG`, `.png`, `png`) declares.
    pub fn from_declared(declared: &str) -> Kind {
        let d = declared.trim().to_ascii_lowercase();
        let mime = d.split(';').next().unwrap_or("").trim();
        let by_mime = match mime {
            "image/png" => Some(Kind::Png),
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Kind::Jpeg),
            "image/gif" => Some(Kind::Gif),
            "application/pdf" => Some(Kind::Pdf),
            "application/zip" | "application/x-zip-compressed" | "application/java-archive" => {
                Some(Kind::Zip)
            }
            m if m.starts_with("application/vnd.openxmlformats-officedocument.") => Some(Kind::Zip),
            "application/gzip" | "application/x-gzip" => Some(Kind::Gzip),
            "application/x-executable" | "application/x-elf" | "application/x-sharedlib" => {
                Some(Kind::Elf)
            }
            "application/x-msdownload" | "application/vnd.microsoft.portable-executable" => {
                Some(Kind::Pe)
            }
            "application/x-sh"
            | "text/x-shellscript"
            | "application/x-httpd-php"
            | "text/x-python" => Some(Kind::Script),
            "text/html" | "application/xhtml+xml" => Some(Kind::Html),
            "text/plain" | "text/csv" => Some(Kind::Text),
            _ => None,
        };
        if let Some(kind) = by_mime {
            return kind;
        }
        if mime.contains('/') {
            return Kind::Unknown;
        }
        let ext = d.rsplit('.').next().unwrap_or("");
        match ext {
            "png" => Kind::Png,
            "jpg" | "jpeg" | "jpe" => Kind::Jpeg,
            "gif" => Kind::Gif,
            "pdf" => Kind::Pdf,
            "zip" | "docx" | "xlsx" | "pptx" | "jar" | "odt" | "ods" => Kind::Zip,
            "gz" | "tgz" => Kind::Gzip,
            "elf" | "so" => Kind::Elf,
            "exe" | "dll" | "scr" | "sys" => Kind::Pe,
            "sh" | "bash" | "py" | "pl" | "rb" | "php" => Kind::Script,
            "html" | "htm" | "xhtml" | "svg" => Kind::Html,
            "txt" | "csv" | "log" => Kind::Text,
            _ => Kind::Unknown,
        }
    }

    /// The kind a file's first bytes show.
    pub fn detect(bytes: &[u8]) -> Kind {
        let starts = |sig: &[u8]| bytes.starts_with(sig);
        if starts(b"\x89PNG\r\n\x1a\n") {
            Kind::Png
        } else if starts(b"\xff\xd8\xff") {
            Kind::Jpeg
        } else if starts(b"GIF87a") || starts(b"GIF89a") {
            Kind::Gif
        } else if starts(b"%PDF-") {
            Kind::Pdf
        } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
            Kind::Zip
        } else if starts(b"\x1f\x8b") {
            Kind::Gzip
        } else if starts(b"\x7fELF") {
            Kind::Elf
        } else if starts(b"MZ") {
            Kind::Pe
        } else if starts(b"#!") || starts(b"<?php") {
            Kind::Script
        } else if looks_like_html(bytes) {
            Kind::Html
        } else {
            Kind::Unknown
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let lower = head[start..].to_ascii_lowercase();
    [
        &b"<!doctype html"[..],
        b"<html",
        b"<script",
        b"<svg",
        b"<iframe",
    ]
    .iter()
    .any(|tag| lower.starts_with(tag))
}

/// Size bounds for uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Fewer bytes is an outlier. Default 1.
    pub min_bytes: usize,
    /// More bytes is an outlier. Default 25 MiB.
    pub max_bytes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_bytes: 1,
            max_bytes: 25 * 1024 * 1024,
        }
    }
}

/// What is wrong with an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The content is active (an executable, a script, HTML) and was not declared as such.
    Executable,
    /// The content's signature is not the declared kind's.
    Mismatch,
    /// Larger than the policy allows.
    TooLarge,
    /// Smaller than the policy allows.
    TooSmall,
}

impl Problem {
    fn as_str(self) -> &'static str {
        match self {
            Problem::Executable => "executable",
            Problem::Mismatch => "mismatch",
            Problem::TooLarge => "too_large",
            Problem::TooSmall => "too_small",
        }
    }
}

impl Loggable for Problem {
    fn log(&self, out: &mut Encoder<'_>) {
        out.str(self.as_str())
    }
}

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// What the client declared.
    pub declared: Kind,
    /// What the signature shows.
    pub detected: Kind,
    /// The upload's size in bytes.
    pub size: usize,
    /// Everything wrong, most serious first; empty when the upload is fine.
    pub problems: Vec<Problem>,
}

impl Verdict {
    /// Whether nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// A content mismatch or active content: the cases recorded as CRITICAL.
    pub fn is_critical(&self) -> bool {
        self.problems
            .iter()
            .any(|p| matches!(p, Problem::Executable | Problem::Mismatch))
    }

    /// `"ok"`, or the most serious problem.
    pub fn summary(&self) -> &'static str {
        self.problems.first().map_or("ok", |p| p.as_str())
    }
}

/// Checks an upload with the default [`Policy`] and records the verdict.
#[track_caller]
pub fn check(declared: &str, bytes: &[u8]) -> Verdict {
    check_with(&Policy::default(), declared, bytes)
}

/// Checks an upload against `policy` and records the verdict as `upload_validation`.
#[track_caller]
pub fn check_with(policy: &Policy, declared_as: &str, bytes: &[u8]) -> Verdict {
    let verdict = judge(policy, declared_as, bytes);
    let (declared, detected, size) = (
        verdict.declared.as_str(),
        verdict.detected.as_str(),
        verdict.size,
    );
    let (summary, problems) = (verdict.summary(), &verdict.problems);
    // One call site per level: a record's level is fixed where it is made.
    macro_rules! record {
        ($($options:tt)*) => {
            event!(crate = crate, $($options)* "upload_validation",
                declared_as = declared_as, declared = declared, detected = detected,
                size = size, verdict = summary, problems = problems)
        };
    }
    if verdict.is_critical() {
        record!(level = "critical", outcome = "failure",);
    } else if !verdict.is_ok() {
        record!(level = "warn", outcome = "failure",);
    } else {
        record!();
    }
    verdict
}

fn judge(policy: &Policy, declared_as: &str, bytes: &[u8]) -> Verdict {
    let declared = Kind::from_declared(declared_as);
    let detected = Kind::detect(bytes);
    let mut problems = Vec::new();
    if detected.is_active() && detected != declared {
        problems.push(Problem::Executable);
    } else {
        let binary_declared = !matches!(declared, Kind::Text | Kind::Unknown);
        let mismatch = match (declared, detected) {
            (d, k) if d == k => false,
            // A declared binary format must show its signature.
            (_, _) if binary_declared => true,
            // Declared as text or not declared: only active content is a problem.
            _ => false,
        };
        if mismatch {
            problems.push(Problem::Mismatch);
        }
    }
    if bytes.len() > policy.max_bytes {
        problems.push(Problem::TooLarge);
    } else if bytes.len() < policy.min_bytes {
        problems.push(Problem::TooSmall);
    }
    Verdict {
        declared,
        detected,
        size: bytes.len(),
        problems,
    }
}
