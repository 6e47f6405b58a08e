//! Tamper-evident files: records sealed into the integrity chain, append-only, rotated.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use super::Sink;
use crate::integrity::{self, ChainKey, Checkpoint, Sealer, hex};

/// When written records are forced to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// After every record: nothing acknowledged is lost, at the cost of one `fsync` each.
    Always,
    /// At most this long after a record is written (checked on each write and on flush).
    Interval(Duration),
    /// When the operating system decides (and on flush and rotation).
    Never,
}

/// Writes records to files in a directory, each record sealed into a forward-secure MAC
/// chain (see [`crate::integrity`]).
///
/// Files are created with mode 0600 and opened append-only; a file holds one record per line
/// and starts with a header line that carries the chain position (`index`) and the MAC it
/// continues from (`prev`), so files can be rotated and deleted by retention without breaking
/// what remains. A new file is started when the current one reaches [`FileBuilder::max_bytes`]
/// or is older than [`FileBuilder::rotate_every`].
///
/// ```no_run
/// use seclog::integrity::ChainKey;
///
/// let key = ChainKey::generate().expect("the OS has randomness");
/// let sink = seclog::sink::File::builder("/var/log/shop", key).open().expect("writable dir");
/// let _guard = seclog::builder().sink(sink).install().expect("installed once");
/// ```
pub struct File {
    state: Arc<Mutex<State>>,
}

/// Settings of a [`File`] sink.
pub struct FileBuilder {
    dir: PathBuf,
    key: ChainKey,
    max_bytes: u64,
    rotate_every: Duration,
    fsync: Fsync,
    checkpoint_every: Duration,
    on_checkpoint: Option<CheckpointFn>,
    retention: Option<Duration>,
}

type CheckpointFn = Box<dyn Fn(&Checkpoint) + Send + Sync>;

impl std::fmt::Debug for FileBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileBuilder")
            .field("dir", &self.dir)
            .field("key", &self.key)
            .field("max_bytes", &self.max_bytes)
            .field("rotate_every", &self.rotate_every)
            .field("fsync", &self.fsync)
            .field("checkpoint_every", &self.checkpoint_every)
            .finish_non_exhaustive()
    }
}

struct State {
    dir: PathBuf,
    sealer: Sealer,
    file: fs::File,
    bytes: u64,
    opened: Instant,
    last_sync: Instant,
    dirty: bool,
    next_file: u64,
    max_bytes: u64,
    rotate_every: Duration,
    fsync: Fsync,
    retention: Option<Duration>,
    line: Vec<u8>,
    /// A failed write could not be undone: the next batch starts a new file, so that what
    /// it holds stays a clean chain.
    must_rotate: bool,
}

impl File {
    /// Settings for files in `dir` sealed with `key`: rotation at 64 MiB or after a day,
    /// `fsync` at most one second after a write.
    pub fn builder(dir: impl Into<PathBuf>, key: ChainKey) -> FileBuilder {
        FileBuilder {
            dir: dir.into(),
            key,
            max_bytes: 64 * 1024 * 1024,
            rotate_every: Duration::from_secs(24 * 3600),
            fsync: Fsync::Interval(Duration::from_secs(1)),
            checkpoint_every: Duration::from_secs(15 * 60),
            on_checkpoint: None,
            retention: None,
        }
    }
}

impl FileBuilder {
    /// The size at which a new file is started. Default 64 MiB.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes.max(1);
        self
    }

    /// The age at which a new file is started. Default one day.
    pub fn rotate_every(mut self, every: Duration) -> Self {
        self.rotate_every = every;
        self
    }

    /// When records are forced to disk. Default: at most one second after a write.
    pub fn fsync(mut self, fsync: Fsync) -> Self {
        self.fsync = fsync;
        self
    }

    /// How often a checkpoint is written (also when nothing else is). Default 15 minutes.
    pub fn checkpoint_every(mut self, every: Duration) -> Self {
        self.checkpoint_every = every.max(Duration::from_millis(10));
        self
    }

    /// Files older than this are deleted when a new file is started; the deletion is
    /// recorded in the new file, and what remains still verifies (it "starts after
    /// retention"). Default: files are kept.
    pub fn retention(mut self, keep_for: Duration) -> Self {
        self.retention = Some(keep_for);
        self
    }

    /// Called with every checkpoint written, to keep it off the host.
    pub fn on_checkpoint(mut self, f: impl Fn(&Checkpoint) + Send + Sync + 'static) -> Self {
        self.on_checkpoint = Some(Box::new(f));
        self
    }

    /// Creates the directory if needed (mode 0700) and a new file. When the directory holds
    /// a log already (a restart), the chain goes on from its last complete record: a line a
    /// crash cut short stays where it is and the verifier reports it as an incomplete tail.
    pub fn open(self) -> io::Result<File> {
        create_dir(&self.dir)?;
        let (sealer, number) = match resume_point(&self.dir)? {
            Some((anchor, index, number)) => (Sealer::resume(&self.key, anchor, index), number),
            None => (Sealer::new(&self.key, [0; 32]), 0),
        };
        let (file, _) = new_file(&self.dir, number)?;
        let mut state = State {
            dir: self.dir,
            sealer,
            file,
            bytes: 0,
            opened: Instant::now(),
            last_sync: Instant::now(),
            dirty: false,
            next_file: number + 1,
            max_bytes: self.max_bytes,
            rotate_every: self.rotate_every,
            fsync: self.fsync,
            retention: self.retention,
            line: Vec::with_capacity(1024),
            must_rotate: false,
        };
        state.write_header()?;
        let state = Arc::new(Mutex::new(state));
        spawn_checkpoints(
            Arc::downgrade(&state),
            self.checkpoint_every,
            self.key.id().to_owned(),
            self.on_checkpoint,
        )?;
        Ok(File { state })
    }
}

/// Writes a checkpoint every `every` until the sink is dropped.
fn spawn_checkpoints(
    state: Weak<Mutex<State>>,
    every: Duration,
    key_id: String,
    on_checkpoint: Option<CheckpointFn>,
) -> io::Result<()> {
    std::thread::Builder::new()
        .name("seclog-checkpoints".into())
        .spawn(move || {
            let tick = every.min(Duration::from_millis(200));
            let mut next = Instant::now() + every;
            loop {
                std::thread::sleep(tick);
                let Some(state) = state.upgrade() else { return };
                if Instant::now() < next {
                    continue;
                }
                next += every;
                let checkpoint = {
                    let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
                    s.write_checkpoint(&key_id)
                };
                match (checkpoint, &on_checkpoint) {
                    (Ok(cp), Some(f)) => f(&cp),
                    (Ok(_), None) => {}
                    (Err(e), _) => eprintln!("seclog: cannot write a checkpoint: {e}"),
                }
            }
        })
        .map(|_| ())
}

/// Where a log in `dir` ends: the last complete record's MAC, how many records the chain
/// holds, and the number of the next file. `None` for an empty directory.
fn resume_point(dir: &Path) -> io::Result<Option<([u8; 32], u64, u64)>> {
    let files = integrity::log_files(dir)?;
    let Some(last) = files.last() else {
        return Ok(None);
    };
    let number = last
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("seclog-"))
        .and_then(|n| n.get(..8))
        .and_then(|n| n.parse::<u64>().ok())
        .map_or(files.len() as u64, |n| n + 1);
    let bytes = fs::read(last)?;
    let mut complete: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    complete.pop(); // after the last newline: empty, or a line cut short
    let header = complete.first().and_then(|h| integrity::parse_header(h));
    let Some((index, prev)) = header else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} does not start with a seclog file header",
                last.display()
            ),
        ));
    };
    let anchor = match complete.last() {
        Some(line) => integrity::mac_of(line).unwrap_or(prev),
        None => prev,
    };
    Ok(Some((anchor, index + complete.len() as u64, number)))
}

fn create_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Creates `seclog-<number>-<unix seconds>.log`, 0600, append-only, failing if it exists.
fn new_file(dir: &Path, number: u64) -> io::Result<(fs::File, PathBuf)> {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let path = dir.join(format!("seclog-{number:08}-{secs}.log"));
    let mut o = OpenOptions::new();
    o.append(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    Ok((o.open(&path)?, path))
}

impl State {
    /// The first line of a file: where in the chain it starts.
    fn write_header(&mut self) -> io::Result<()> {
        let header = format!(
            "{{\"seclog_file\":{{\"index\":{},\"prev\":\"{}\"}}}}",
            self.sealer.count(),
            hex(&self.sealer.head())
        );
        self.append(header.as_bytes())
    }

    /// Seals a checkpoint record stating the chain's count and head before it.
    fn write_checkpoint(&mut self, key_id: &str) -> io::Result<Checkpoint> {
        let mut ts = Vec::with_capacity(30);
        crate::record::time::write_rfc3339(&mut ts, SystemTime::now());
        let checkpoint = Checkpoint {
            count: self.sealer.count(),
            head: self.sealer.head(),
            key_id: key_id.to_owned(),
            ts: String::from_utf8_lossy(&ts).into_owned(),
        };
        let record = format!(
            "{{\"ts\":\"{}\",\"seclog_checkpoint\":{}}}",
            checkpoint.ts,
            checkpoint.to_json()
        );
        self.append(record.as_bytes())?;
        self.sync()?;
        Ok(checkpoint)
    }

    fn append(&mut self, record: &[u8]) -> io::Result<()> {
        self.line.clear();
        self.sealer.seal(record, &mut self.line);
        self.file.write_all(&self.line)?;
        self.bytes += self.line.len() as u64;
        self.dirty = true;
        match self.fsync {
            Fsync::Always => self.sync()?,
            Fsync::Interval(d) if self.last_sync.elapsed() >= d => self.sync()?,
            _ => {}
        }
        Ok(())
    }

    /// Seals a batch of record lines and appends it with one `write`. On failure the file
    /// and the chain are rolled back to where they were, so that the batch can be offered
    /// again as it is.
    fn append_batch(&mut self, records: &[u8]) -> io::Result<()> {
        let before = self.sealer.clone();
        self.line.clear();
        self.line.reserve(records.len() + records.len() / 4);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', records).chain([records.len()]) {
            if end > start {
                self.sealer.seal(&records[start..end], &mut self.line);
            }
            start = end + 1;
        }
        if let Err(e) = self.file.write_all(&self.line) {
            self.sealer = before;
            if self.file.set_len(self.bytes).is_err() {
                self.must_rotate = true;
            }
            return Err(e);
        }
        self.bytes += self.line.len() as u64;
        self.dirty = true;
        if self.line.capacity() > 1 << 20 {
            self.line = Vec::with_capacity(1024);
        }
        let due = match self.fsync {
            Fsync::Always => true,
            Fsync::Interval(d) => self.last_sync.elapsed() >= d,
            Fsync::Never => false,
        };
        // The batch is written: failing to force it to disk must not make it be written again.
        if due && let Err(e) = self.sync() {
            eprintln!("seclog: cannot fsync {}: {e}", self.dir.display());
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        if self.dirty {
            self.file.sync_data()?;
            self.dirty = false;
        }
        self.last_sync = Instant::now();
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.sync()?;
        let (file, path) = new_file(&self.dir, self.next_file)?;
        self.next_file += 1;
        self.file = file;
        self.bytes = 0;
        self.opened = Instant::now();
        self.write_header()?;
        self.apply_retention(&path)
    }

    /// Deletes files older than the retention period (never `current`) and records it.
    fn apply_retention(&mut self, current: &Path) -> io::Result<()> {
        let Some(keep_for) = self.retention else {
            return Ok(());
        };
        let now = SystemTime::now();
        let mut deleted = Vec::new();
        for f in integrity::log_files(&self.dir)? {
            if f == current {
                continue;
            }
            let age = fs::metadata(&f)?
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            if age >= keep_for {
                fs::remove_file(&f)?;
                deleted.push(
                    f.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
        }
        if deleted.is_empty() {
            return Ok(());
        }
        let mut ts = Vec::with_capacity(30);
        crate::record::time::write_rfc3339(&mut ts, now);
        let record = serde_json::json!({
            "ts": String::from_utf8_lossy(&ts),
            "seclog_retention": { "deleted": deleted, "older_than_secs": keep_for.as_secs() },
        });
        self.append(record.to_string().as_bytes())
    }
}

impl Sink for File {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        self.write_batch(record, &mut 0)
    }

    /// A batch is sealed and appended whole, or not at all. Rotation is checked once per
    /// batch: a file may pass `max_bytes` by one batch.
    fn write_batch(&self, records: &[u8], written: &mut usize) -> io::Result<()> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if s.must_rotate || s.bytes >= s.max_bytes || s.opened.elapsed() >= s.rotate_every {
            s.rotate()?;
            s.must_rotate = false;
        }
        s.append_batch(records)?;
        *written = records.len();
        Ok(())
    }

    fn name(&self) -> String {
        let s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        format!("file:{}", s.dir.display())
    }

    fn flush(&self) -> io::Result<()> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sync()
    }
}
