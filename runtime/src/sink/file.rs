//! Tamper-evident files: records sealed into a chain, append-only, rotated.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use seclog_macros::event;

use super::Sink;
use crate::integrity::{self, ChainWriter, Checkpoint, Seal};

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

/// Writes records to files in a directory, each record sealed into a forward-secure chain
/// (see [`crate::integrity`]).
///
/// Each time the sink is opened (each process start) it begins a chain of its own, whose
/// first record is `seclog.chain`; files are created with mode 0600 and opened append-only,
/// one record per line. A new file is started when the current one reaches
/// [`FileBuilder::max_bytes`] or is older than [`FileBuilder::rotate_every`]; with a public
/// seal it starts with a key note (the chain's current key, encrypted to the verifier), so
/// that what remains after retention still verifies. `seclog verify` reads the directory;
/// files written by earlier versions (which start with a `seclog_file` header) verify as
/// before.
///
/// The file sink seals its records itself: [`crate::Builder::seal`] does not seal them again.
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
    seal: Seal,
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
            .field("seal", &self.seal)
            .field("max_bytes", &self.max_bytes)
            .field("rotate_every", &self.rotate_every)
            .field("fsync", &self.fsync)
            .field("checkpoint_every", &self.checkpoint_every)
            .finish_non_exhaustive()
    }
}

struct State {
    dir: PathBuf,
    chain: ChainWriter,
    key_id: String,
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
    /// The `seq` and MAC of the last record written: the chain's head, for checkpoints.
    head: Option<(u64, [u8; 32])>,
    /// A failed write could not be undone: the next batch starts a new file, so that the
    /// torn line stays the last of its file.
    must_rotate: bool,
}

impl File {
    /// Settings for files in `dir` sealed with `seal` (a [`integrity::Seal`], a
    /// [`integrity::ChainKey`] or a [`integrity::VerifierKey`]): rotation at 64 MiB or after a
    /// day, `fsync` at most one second after a write.
    pub fn builder(dir: impl Into<PathBuf>, seal: impl Into<Seal>) -> FileBuilder {
        FileBuilder {
            dir: dir.into(),
            seal: seal.into(),
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

    /// How often a checkpoint is taken and handed to [`on_checkpoint`](Self::on_checkpoint)
    /// (also when nothing was written since the last). Default 15 minutes.
    pub fn checkpoint_every(mut self, every: Duration) -> Self {
        self.checkpoint_every = every.max(Duration::from_millis(10));
        self
    }

    /// Files older than this are deleted when a new file is started; the deletion is
    /// recorded (`seclog.retention`), and what remains still verifies (it "starts after
    /// retention"). Default: files are kept.
    pub fn retention(mut self, keep_for: Duration) -> Self {
        self.retention = Some(keep_for);
        self
    }

    /// Called with every checkpoint (the chain and the `seq` and MAC of its last record), to
    /// keep it off the host: `seclog verify --checkpoint` then catches a log cut after it.
    pub fn on_checkpoint(mut self, f: impl Fn(&Checkpoint) + Send + Sync + 'static) -> Self {
        self.on_checkpoint = Some(Box::new(f));
        self
    }

    /// Creates the directory if needed (mode 0700) and a new file, and starts a new chain.
    /// Files already there (an earlier run's) are left as they are.
    pub fn open(self) -> io::Result<File> {
        create_dir(&self.dir)?;
        let chain = ChainWriter::new(&self.seal).map_err(io::Error::other)?;
        let number = next_number(&self.dir)?;
        let (file, _) = new_file(&self.dir, number)?;
        let state = State {
            dir: self.dir,
            chain,
            key_id: self.seal.key_id().to_owned(),
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
            head: None,
            must_rotate: false,
        };
        let state = Arc::new(Mutex::new(state));
        spawn_checkpoints(
            Arc::downgrade(&state),
            self.checkpoint_every,
            self.on_checkpoint,
        )?;
        Ok(File { state })
    }
}

/// Takes a checkpoint every `every` until the sink is dropped.
fn spawn_checkpoints(
    state: Weak<Mutex<State>>,
    every: Duration,
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
                    s.checkpoint()
                };
                match (checkpoint, &on_checkpoint) {
                    (Ok(Some(cp)), Some(f)) => f(&cp),
                    (Ok(_), _) => {}
                    (Err(e), _) => eprintln!("seclog: cannot force the log to disk: {e}"),
                }
            }
        })
        .map(|_| ())
}

/// The number of the next file in `dir`: one past the highest there is.
fn next_number(dir: &Path) -> io::Result<u64> {
    let files = integrity::log_files(dir)?;
    Ok(files
        .iter()
        .filter_map(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("seclog-"))
                .and_then(|n| n.get(..8))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .max()
        .map_or(files.len() as u64, |n| n + 1))
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
    /// Forces what was written to disk, and the chain's head as a checkpoint (`None` before
    /// the first record).
    fn checkpoint(&mut self) -> io::Result<Option<Checkpoint>> {
        self.sync()?;
        Ok(self.head.map(|(seq, head)| Checkpoint {
            count: seq,
            head,
            key_id: self.key_id.clone(),
            ts: crate::record::time::rfc3339(SystemTime::now()),
            chain: Some(self.chain.id().to_owned()),
        }))
    }

    /// Seals a batch of record lines and appends it with one `write`. On failure the file
    /// and the chain are rolled back to where they were, so that the batch can be offered
    /// again as it is.
    fn append_batch(&mut self, records: &[u8]) -> io::Result<()> {
        let before = self.chain.clone();
        self.line.clear();
        self.chain.seal_batch(records, &mut self.line);
        if let Err(e) = self.file.write_all(&self.line) {
            self.chain = before;
            if self.file.set_len(self.bytes).is_err() {
                self.must_rotate = true;
            }
            return Err(e);
        }
        self.bytes += self.line.len() as u64;
        self.dirty = true;
        if let Some(last) = self.line[..self.line.len() - 1]
            .rsplit(|&b| b == b'\n')
            .next()
            && let Some((_, _, mac)) = integrity::split_sealed(last)
        {
            self.head = integrity::seq_of(last).map(|seq| (seq, mac));
        }
        // Kept between batches: memory touched once is cheap to write again, fresh pages are
        // not (on a VM, many times slower). Only an outsized batch's buffer is given back.
        if self.line.capacity() > 64 << 20 {
            self.line = Vec::new();
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
        if self.chain.started()
            && let Some(note) = self.chain.key_note()
        {
            self.file.write_all(&note)?;
            self.bytes += note.len() as u64;
            self.dirty = true;
        }
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
        if !deleted.is_empty() {
            // A record like any other: it reaches this file through the pipeline.
            event!(
                crate = crate,
                mandatory,
                "seclog.retention",
                dir = self.dir.display().to_string(),
                deleted = deleted,
                older_than_secs = keep_for.as_secs()
            );
        }
        Ok(())
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

    fn seals(&self) -> bool {
        true
    }
}
