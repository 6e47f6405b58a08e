//! The reading side of the `seclog` command: `seclog stats` and `seclog report` summarise
//! records from files, the file sink's directories and standard input; `seclog verify`
//! checks their seals.
//!
//! - [`input`]: sources and the line splitter (large blocks, `memchr`, bounded lines).
//! - [`parse`]: one line into borrowed fields, seclog's JSON or its ECS mapping; [`fast`] is
//!   its single-pass scanner, with serde as the fallback and the reference.
//! - [`stats`]: the totals of one pass, in bounded memory, and the summary.
//! - [`report`]: the summary as a self-contained HTML page.
//! - [`detect`]: the watcher's rules over records merged from many processes.
//! - [`verify`]: what `seclog verify` reads, and its report as a table or JSON.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod detect;
pub mod fast;
pub mod input;
pub mod parse;
pub mod report;
pub mod stats;
pub mod time;
pub mod topk;
pub mod verify;
