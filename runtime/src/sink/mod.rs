//! Where records go. A [`Sink`] receives records as the exact bytes of JSON lines, in
//! batches, from the background writer (see [`crate::delivery`]).

mod file;
#[cfg(feature = "syslog")]
pub mod syslog;
mod writer;

use std::io::{self, Write};

pub use file::{File, FileBuilder, Fsync};
#[cfg(feature = "syslog")]
pub use syslog::Syslog;
pub use writer::Writer;

/// Writes `bytes` with `write` calls, counting what was accepted in `written`.
pub(crate) fn write_counted(
    w: &mut impl Write,
    bytes: &[u8],
    written: &mut usize,
) -> io::Result<()> {
    while *written < bytes.len() {
        match w.write(&bytes[*written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => *written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A destination for records.
///
/// `write` receives one complete record, ending in `\n`, and is called with records in `seq`
/// order, from one thread at a time. An error never reaches the function being logged: it is
/// reported (once per run of failures, on stderr, and as a `sys_monitor_enabled` record when
/// the sink accepts records again) and the records are offered again later.
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

    /// Writes a batch of records: complete JSON lines, in `seq` order. The default calls
    /// [`write`](Self::write) per record; sinks that can write many records at once (a file,
    /// a socket) override it.
    ///
    /// `written` starts at 0; advance it past the bytes accepted as you go. On an error (or
    /// a panic), the writer offers `records[*written..]` again later, so nothing is written
    /// twice or lost.
    fn write_batch(&self, records: &[u8], written: &mut usize) -> io::Result<()> {
        for record in records[*written..].split_inclusive(|&b| b == b'\n') {
            self.write(record)?;
            *written += record.len();
        }
        Ok(())
    }

    /// A name for messages about this sink. Default: its type name.
    fn name(&self) -> String {
        std::any::type_name::<Self>().to_owned()
    }

    /// Makes everything written so far durable or visible. Default: nothing to do.
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }

    /// Whether this sink seals records into a chain of its own, as [`File`] does: it then
    /// receives records as they are made, not sealed by [`crate::Builder::seal`]. Default:
    /// `false`.
    fn seals(&self) -> bool {
        false
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

    fn write_batch(&self, records: &[u8], written: &mut usize) -> io::Result<()> {
        write_counted(&mut io::stdout().lock(), records, written)
    }

    fn name(&self) -> String {
        "stdout".into()
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

    fn write_batch(&self, records: &[u8], written: &mut usize) -> io::Result<()> {
        write_counted(&mut io::stderr().lock(), records, written)
    }

    fn name(&self) -> String {
        "stderr".into()
    }
}

/// Drops every record: for benchmarks, and for switching logging off (`SECLOG_OUTPUT=none`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Discard;

impl Sink for Discard {
    fn write(&self, _record: &[u8]) -> io::Result<()> {
        Ok(())
    }

    fn write_batch(&self, records: &[u8], written: &mut usize) -> io::Result<()> {
        *written = records.len();
        Ok(())
    }

    fn name(&self) -> String {
        "discard".into()
    }
}
