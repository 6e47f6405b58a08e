//! Any `io::Write` as a sink.

use std::io::{self, Write};
use std::sync::Mutex;

use super::{Sink, write_counted};

/// Writes records to any [`Write`]: an open file, a pipe, a socket, a device.
///
/// A batch goes out in as few `write` calls as the writer takes; a failed write keeps its
/// place, so what the writer did not take is offered again.
///
/// ```no_run
/// let file = std::fs::OpenOptions::new().append(true).create(true).open("audit.jsonl")?;
/// let _guard = seclog::builder()
///     .sink(seclog::sink::Writer::new(file))
///     .install()
///     .expect("installed once");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Writer<W> {
    inner: Mutex<W>,
    name: String,
}

impl<W: Write + Send + 'static> Writer<W> {
    /// Records go to `w`.
    pub fn new(w: W) -> Self {
        Writer {
            inner: Mutex::new(w),
            name: std::any::type_name::<W>().to_owned(),
        }
    }

    /// The name used in messages about this sink (default: the writer's type).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

impl<W> std::fmt::Debug for Writer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send + 'static> Sink for Writer<W> {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        self.write_batch(record, &mut 0)
    }

    fn write_batch(&self, records: &[u8], written: &mut usize) -> io::Result<()> {
        let mut w = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        write_counted(&mut *w, records, written)
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn flush(&self) -> io::Result<()> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .flush()
    }
}
