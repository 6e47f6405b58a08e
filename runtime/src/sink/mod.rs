//! Where records go. A [`Sink`] receives each record as the exact bytes of one JSON line.

mod file;

use std::io::{self, Write};

pub use file::{File, FileBuilder, Fsync};

/// A destination for records.
///
/// `write` receives one complete record, ending in `\n`, and is called with records in `seq`
/// order. An error is reported (once per run of failures, on stderr) and never reaches the
/// function being logged.
///
/// ```
/// use std::io;
/// use std::sync::Mutex;
///
/// #[derive(Default)]
/// struct Memory(Mutex<Vec<u8>>);
///
/// impl seclog::Sink for Memory {
///     fn write(&self, record: &[u8]) -> io::Result<()> {
///         self.0.lock().unwrap().extend_from_slice(record);
///         Ok(())
///     }
/// }
/// ```
pub trait Sink: Send + Sync + 'static {
    /// Writes one record (a JSON line, `\n` included).
    fn write(&self, record: &[u8]) -> io::Result<()>;

    /// Makes everything written so far durable or visible. Default: nothing to do.
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

/// Standard output, one JSON line per record: the convention of containers, AWS Lambda and
/// log shippers. The default sink.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdout;

impl Sink for Stdout {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        // One `write_all` under the lock: records from threads never interleave.
        io::stdout().lock().write_all(record)
    }

    fn flush(&self) -> io::Result<()> {
        io::stdout().lock().flush()
    }
}

/// Standard error, one JSON line per record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stderr;

impl Sink for Stderr {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        io::stderr().lock().write_all(record)
    }
}

/// Drops every record: for benchmarks, and for switching logging off (`SECLOG_OUTPUT=none`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Discard;

impl Sink for Discard {
    fn write(&self, _record: &[u8]) -> io::Result<()> {
        Ok(())
    }
}
