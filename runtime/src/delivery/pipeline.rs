//! The queue between handlers and sinks, and the writer that drains it.

use std::cell::Cell;
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_utils::CachePadded;
use seclog_macros::event;

use super::{Backpressure, Fallback, Stats};
use crate::format::Format;
use crate::integrity::ChainWriter;
use crate::record::pending::{self, HEADER_LEN, Header};
use crate::record::{Facts, Outcome};
use crate::sink::Sink;
use crate::watch::{self, Watcher};

/// The next `seq`, shared by every pipeline and by capture: one counter per process.
pub(crate) static SEQ: AtomicU64 = AtomicU64::new(1);

/// Retries of a failing sink start this soon and double up to [`RETRY_MAX`].
const RETRY_MIN: Duration = Duration::from_millis(10);
const RETRY_MAX: Duration = Duration::from_secs(1);
/// The writer polls this often while records keep coming, so that producers need not wake it.
const POLL: Duration = Duration::from_millis(1);
/// After this long without records, the writer sleeps until a producer wakes it.
const IDLE: Duration = Duration::from_millis(20);
/// Once records are queued, the writer lets more gather for this long before it takes them:
/// the queue's lock and cache lines then change hands once per batch, not every few records.
/// A flush, a producer waiting for room, a half-full queue or shutdown ends the wait.
const GATHER: Duration = Duration::from_millis(1);
/// A batch larger than this says the writer is behind: records came faster than it finished
/// them (see [`Pipeline::settles_short_strings`]).
const BEHIND: usize = 64 * 1024;
/// A sink that panics this many times in a row on the same batch loses that batch (counted
/// as dropped): retrying a deterministic bug would stall the pipeline forever.
const MAX_PANICS: u32 = 3;

thread_local! {
    /// Set on the writer thread, and on a thread draining the queue itself: records emitted
    /// there (a sink that logs, the writer's own reports) never wait for room.
    static DRAINING: Cell<bool> = const { Cell::new(false) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cv` for at most `timeout`; like [`lock`], a poisoned lock is taken as it is.
fn wait<'a, T>(cv: &Condvar, guard: MutexGuard<'a, T>, timeout: Duration) -> MutexGuard<'a, T> {
    cv.wait_timeout(guard, timeout)
        .unwrap_or_else(PoisonError::into_inner)
        .0
}

/// A configured destination: the sink, its format, and its state in the current batch.
pub(crate) struct Slot {
    sink: Box<dyn Sink>,
    format: Format,
    /// The current batch in this sink's format (empty for JSON: the batch itself is used).
    converted: Vec<u8>,
    /// Bytes of the current batch the sink has accepted; `None` once it has all of it.
    offset: Option<usize>,
    panics: u32,
    /// Records of the current batch given up on (a sink that keeps panicking on one).
    lost: u64,
    failing: Option<Episode>,
}

impl Slot {
    pub(crate) fn new(sink: Box<dyn Sink>, format: Format) -> Self {
        Slot {
            sink,
            format,
            converted: Vec::new(),
            offset: Some(0),
            panics: 0,
            lost: 0,
            failing: None,
        }
    }
}

/// A run of failed writes to one sink.
struct Episode {
    since: SystemTime,
    started: Instant,
    error: String,
    attempts: u64,
}

struct Queue {
    /// Records in `seq` order, each framed: a tag, the length of what follows, then a
    /// finished record with its facts ([`DONE`]) or a record's header and body for the
    /// writer to finish ([`PENDING`]). Nothing leaves the queue unfinished: see
    /// [`unframe`].
    buf: Vec<u8>,
    count: u64,
    /// Records ever queued, and those the writer is done with: `flush` waits for the one to
    /// catch up with the other.
    accepted: u64,
    done: u64,
    /// Records queued by the writer itself while it works (its reports, the watcher's alerts,
    /// records a sink logs): `flush` waits for these too.
    own: u64,
    /// Records dropped since the last `sys_monitor_disabled` report, and when that began.
    drops: u64,
    drops_since: Option<SystemTime>,
    /// Records written to stderr instead (`Fallback::Stderr`) since the last report: they
    /// hold `seq` numbers the sinks never see, so the sinks' stream says where they went.
    diverted: Option<Diverted>,
    /// A bounded wait timed out: until the writer makes room, records do not wait again.
    overflow: bool,
    /// Producers waiting for room.
    waiting: usize,
    /// Calls of `flush` waiting for the writer.
    flushing: usize,
    writer_asleep: bool,
    stop: bool,
}

/// A queued record that is finished: its facts (12 bytes), then its bytes.
const DONE: u8 = 1;
/// A queued record for the writer to finish: its [`Header`], then its body.
const PENDING: u8 = 2;
/// A frame's tag and length.
const FRAME_HEAD: usize = 5;
const FACTS_LEN: usize = 12;

/// Appends a frame tagged `tag` whose payload `write` appends.
fn frame(buf: &mut Vec<u8>, tag: u8, write: impl FnOnce(&mut Vec<u8>)) {
    buf.push(tag);
    let at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    write(buf);
    let len = u32::try_from(buf.len() - at - 4).unwrap_or(u32::MAX);
    buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

fn frame_done(buf: &mut Vec<u8>, record: &[u8], seq_at: usize, seq: u64, facts: &Facts) {
    frame(buf, DONE, |buf| {
        buf.extend_from_slice(&facts.duration_ns.to_le_bytes());
        buf.extend_from_slice(&facts.site.to_le_bytes());
        buf.push(facts.outcome as u8);
        buf.push(u8::from(facts.over_budget));
        insert_seq(buf, record, seq_at, seq);
    });
}

fn frame_pending(buf: &mut Vec<u8>, header: &Header, body: &[u8], seq: u64) {
    frame(buf, PENDING, |buf| {
        header.write(buf, seq);
        buf.extend_from_slice(body);
    });
}

/// Queued frames as the finished records they hold: for stderr, at shutdown.
fn finished(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 2);
    unframe(raw, &mut out, &mut Vec::new());
    out
}

/// Turns queued frames into finished records, appended to `out`, and their facts: the one
/// way records leave the queue. Returns how many could not be read back (none, unless the
/// queue was written by something else than its own framing).
fn unframe(raw: &[u8], out: &mut Vec<u8>, facts: &mut Vec<Facts>) -> u64 {
    let mut lost = 0;
    let mut rest = raw;
    while rest.len() >= FRAME_HEAD {
        let tag = rest[0];
        let len = u32::from_le_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let Some(payload) = rest.get(FRAME_HEAD..FRAME_HEAD + len) else {
            lost += 1;
            break;
        };
        rest = &rest[FRAME_HEAD + len..];
        if tag == DONE && len >= FACTS_LEN {
            let p = payload;
            let record = &p[FACTS_LEN..];
            out.extend_from_slice(record);
            facts.push(Facts {
                duration_ns: u64::from_le_bytes(p[..8].try_into().unwrap_or_default()),
                len: u32::try_from(record.len()).unwrap_or(u32::MAX),
                site: u16::from_le_bytes([p[8], p[9]]),
                outcome: Outcome::ALL[usize::from(p[10] & 3)],
                over_budget: p[11] != 0,
            });
        } else if let Some(f) = (tag == PENDING)
            .then(|| pending::finish_queued(out, payload))
            .flatten()
        {
            facts.push(f);
        } else {
            lost += 1;
        }
    }
    lost
}

struct Writer {
    slots: Vec<Slot>,
    /// The queue's frames last taken, finished into `batch` by [`prepare`](Self::prepare).
    raw: Vec<u8>,
    /// The batch being delivered (held while a sink fails) and its record count.
    batch: Vec<u8>,
    facts: Vec<Facts>,
    batch_count: u64,
    /// The chain the sinks' records are sealed into (see [`crate::integrity`]), and the
    /// current batch sealed: sealed once when taken, so a batch held for a failing sink is
    /// offered again with the same seals.
    chain: Option<ChainWriter>,
    sealed: Vec<u8>,
}

impl Writer {
    /// Takes the queued records as the current batch (then [`prepare`](Self::prepare) it,
    /// with the queue's lock released).
    fn take(&mut self, q: &mut Queue) {
        std::mem::swap(&mut q.buf, &mut self.raw);
        self.batch_count = std::mem::take(&mut q.count);
        q.overflow = false;
    }

    /// Finishes the records taken and seals them, off the queue's lock: producers go on
    /// meanwhile. Returns how many could not be read back.
    fn prepare(&mut self) -> u64 {
        self.batch.clear();
        self.facts.clear();
        let lost = unframe(&self.raw, &mut self.batch, &mut self.facts);
        self.raw.clear();
        self.batch_count -= lost.min(self.batch_count);
        if let Some(chain) = &mut self.chain {
            self.sealed.clear();
            chain.seal_batch(&self.batch, &mut self.sealed);
        }
        lost
    }

    /// What the sinks receive: the batch sealed, when there is a chain.
    fn outgoing(&self) -> &[u8] {
        if self.chain.is_some() {
            &self.sealed
        } else {
            &self.batch
        }
    }
}

pub(crate) struct Pipeline {
    /// Alone on its cache lines: handlers write to it on every record, so nothing the writer
    /// reads may share them.
    queue: CachePadded<Mutex<Queue>>,
    /// The writer waits here for records (and between retries).
    ready: Condvar,
    /// Producers wait here for room, and `flush` for the writer to catch up.
    progress: Condvar,
    writer: Mutex<Writer>,
    thread: Mutex<Option<JoinHandle<()>>>,
    background: AtomicBool,
    /// The last batch the writer took was more than [`BEHIND`]: records come faster than it
    /// finishes them, so handlers scan their short strings themselves (see
    /// [`settles_short_strings`](Self::settles_short_strings)).
    behind: AtomicBool,
    capacity: usize,
    policy: Backpressure,
    flush_timeout: Duration,
    written: AtomicU64,
    dropped: AtomicU64,
    fallback: AtomicU64,
    failing: AtomicU32,
    /// Watches every batch before the sinks get it (see [`crate::watch`]). Apart, for the
    /// same reason as the queue: the writer thread works in it on every record.
    watch: Option<CachePadded<Mutex<Watcher>>>,
}

/// Records a full queue sent to stderr, between two reports.
struct Diverted {
    count: u64,
    first_seq: u64,
    last_seq: u64,
    since: SystemTime,
}

impl Diverted {
    fn add(&mut self, seq: u64) {
        self.count += 1;
        self.first_seq = self.first_seq.min(seq);
        self.last_seq = self.last_seq.max(seq);
    }
}

impl Pipeline {
    pub(crate) fn new(
        slots: Vec<Slot>,
        capacity: usize,
        policy: Backpressure,
        flush_timeout: Duration,
        watcher: Option<Watcher>,
        chain: Option<ChainWriter>,
    ) -> Self {
        Pipeline {
            queue: CachePadded::new(Mutex::new(Queue {
                buf: Vec::with_capacity(capacity.min(64 * 1024)),
                count: 0,
                accepted: 0,
                done: 0,
                own: 0,
                drops: 0,
                drops_since: None,
                diverted: None,
                overflow: false,
                waiting: 0,
                flushing: 0,
                writer_asleep: false,
                stop: false,
            })),
            ready: Condvar::new(),
            progress: Condvar::new(),
            writer: Mutex::new(Writer {
                slots,
                raw: Vec::new(),
                batch: Vec::new(),
                facts: Vec::new(),
                batch_count: 0,
                chain,
                sealed: Vec::new(),
            }),
            thread: Mutex::new(None),
            background: AtomicBool::new(false),
            behind: AtomicBool::new(false),
            capacity: capacity.max(1),
            policy,
            flush_timeout,
            written: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            fallback: AtomicU64::new(0),
            failing: AtomicU32::new(0),
            watch: watcher.map(|w| CachePadded::new(Mutex::new(w))),
        }
    }

    /// Hands a batch taken from the queue to the watcher, then writes what it found (as
    /// records, through the queue: on the writer thread, and on a thread draining the queue
    /// itself, pushes never wait) and calls the alert callbacks. Not under the watcher's lock.
    fn watch_batch(&self, batch: &[u8], facts: &[Facts]) {
        let Some(m) = &self.watch else { return };
        let now = Instant::now();
        let (out, hooks) = {
            let mut w = lock(m);
            w.observe_records(batch, facts, now);
            w.tick(now);
            // Most batches find nothing: no callbacks to share then.
            if !w.has_output() {
                return;
            }
            w.take_output()
        };
        if !out.is_empty() {
            watch::emit(out, &hooks);
        }
    }

    /// The watcher's last summaries, once it has seen every record accepted before the call:
    /// at shutdown, before `sys_shutdown`.
    pub(crate) fn finish_watch(&self) {
        if self.watch.is_some() {
            self.flush(self.flush_timeout);
            self.watch_tick(true);
        }
    }

    /// Writes the summaries if they are due (`finish`: now, at shutdown).
    fn watch_tick(&self, finish: bool) {
        let Some(m) = &self.watch else { return };
        let now = Instant::now();
        let (out, hooks) = {
            let mut w = lock(m);
            if finish {
                w.summarise(now);
            } else {
                w.tick(now);
            }
            if !w.has_output() {
                return;
            }
            w.take_output()
        };
        if !out.is_empty() {
            watch::emit(out, &hooks);
        }
    }

    /// Starts the background writer.
    pub(crate) fn start(&'static self) -> io::Result<()> {
        let handle = std::thread::Builder::new()
            .name("seclog-writer".into())
            .spawn(move || self.run())?;
        *lock(&self.thread) = Some(handle);
        self.background.store(true, Ordering::Release);
        Ok(())
    }

    /// Whether a record's short strings are better scanned by the handler's thread than
    /// left to the writer: with no writer thread (the emitting thread finishes records
    /// anyway, and scanning in place saves marking), or while the writer falls behind (the
    /// work then moves to where there is time for it).
    pub(crate) fn settles_short_strings(&self) -> bool {
        !self.background.load(Ordering::Relaxed) || self.behind.load(Ordering::Relaxed)
    }

    /// Appends a finished record given as its bytes without `seq`, where the digits go, and
    /// its facts for the watcher. Returns the `seq` it was given, unless it was dropped.
    pub(crate) fn push(&self, record: &[u8], seq_at: usize, facts: Facts) -> Option<u64> {
        self.enqueue(
            record.len(),
            |buf, seq| frame_done(buf, record, seq_at, seq, &facts),
            |line, seq| insert_seq(line, record, seq_at, seq),
        )
    }

    /// Appends a record for the writer to finish (see [`pending`]). Returns the `seq` it was
    /// given, unless it was dropped.
    pub(crate) fn push_pending(&self, header: &Header, body: &[u8]) -> Option<u64> {
        self.enqueue(
            HEADER_LEN + body.len(),
            |buf, seq| frame_pending(buf, header, body, seq),
            |line, seq| {
                let mut entry = Vec::with_capacity(HEADER_LEN + body.len());
                header.write(&mut entry, seq);
                entry.extend_from_slice(body);
                pending::finish_queued(line, &entry);
            },
        )
    }

    /// Queues a record of about `len` bytes: `frame` appends it to the queue with the `seq`
    /// it is given; `line` writes it finished, for stderr, when the queue has no room.
    fn enqueue(
        &self,
        len: usize,
        frame: impl FnOnce(&mut Vec<u8>, u64),
        line: impl FnOnce(&mut Vec<u8>, u64),
    ) -> Option<u64> {
        let background = self.background.load(Ordering::Acquire);
        let draining = DRAINING.try_with(Cell::get).unwrap_or(true);
        let mut q = lock(&self.queue);
        if !draining && q.buf.len() + len > self.capacity && !q.buf.is_empty() {
            let fallback = match self.policy {
                Backpressure::DropNewest => Fallback::Drop,
                Backpressure::Block { max_wait, fallback } => {
                    if background && !q.overflow {
                        q = self.wait_for_room(q, len, max_wait);
                    } else if !background {
                        drop(q);
                        self.drain();
                        q = lock(&self.queue);
                    }
                    fallback
                }
            };
            if q.buf.len() + len > self.capacity && !q.buf.is_empty() {
                match fallback {
                    Fallback::Drop => {
                        q.drops += 1;
                        q.drops_since.get_or_insert_with(SystemTime::now);
                        self.dropped.fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    Fallback::Stderr => {
                        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
                        q.diverted
                            .get_or_insert_with(|| Diverted {
                                count: 0,
                                first_seq: seq,
                                last_seq: seq,
                                since: SystemTime::now(),
                            })
                            .add(seq);
                        drop(q);
                        self.fallback.fetch_add(1, Ordering::Relaxed);
                        let mut out = Vec::with_capacity(len + 320);
                        line(&mut out, seq);
                        let _ = io::stderr().lock().write_all(&out);
                        return Some(seq);
                    }
                }
            }
        }
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        frame(&mut q.buf, seq);
        q.count += 1;
        q.accepted += 1;
        q.own += u64::from(draining);
        let wake = q.writer_asleep || q.buf.len() > self.capacity / 2;
        drop(q);
        if wake {
            self.ready.notify_one();
        }
        if !background && !draining {
            self.drain();
        }
        Some(seq)
    }

    fn wait_for_room<'a>(
        &'a self,
        mut q: MutexGuard<'a, Queue>,
        len: usize,
        max_wait: Duration,
    ) -> MutexGuard<'a, Queue> {
        let deadline = Instant::now() + max_wait;
        q.waiting += 1;
        self.ready.notify_one();
        while q.buf.len() + len > self.capacity && !q.buf.is_empty() && !q.overflow {
            let now = Instant::now();
            if now >= deadline {
                q.overflow = true;
                break;
            }
            q = wait(&self.progress, q, deadline - now);
        }
        q.waiting -= 1;
        q
    }

    /// The writer thread. It holds the writer lock only while delivering, so that `flush`
    /// and `shutdown` can reach the sinks between batches.
    fn run(&'static self) {
        let _ = DRAINING.try_with(|d| d.set(true));
        loop {
            let due = self.watch.as_ref().map(|m| lock(m).next_summary());
            if !self.wait_for_records(due) {
                return;
            }
            self.watch_tick(false);
            let mut w = lock(&self.writer);
            if w.batch_count == 0 {
                {
                    let mut q = lock(&self.queue);
                    w.take(&mut q);
                    if q.waiting > 0 {
                        self.progress.notify_all();
                    }
                }
                self.behind.store(w.raw.len() >= BEHIND, Ordering::Relaxed);
                self.count_lost(w.prepare());
                self.watch_batch(&w.batch, &w.facts);
            }
            if w.batch_count == 0 {
                continue;
            }
            // Deliver it, retrying while a sink fails.
            let mut retry = RETRY_MIN;
            loop {
                let delivered = self.deliver(&mut w);
                if delivered.done {
                    self.finish_batch(&mut w, delivered);
                    break;
                }
                if delivered.progress {
                    // A sink that takes part of a batch is not down: go on at once.
                    retry = RETRY_MIN;
                    continue;
                }
                drop(w);
                let deadline = Instant::now() + retry;
                let mut q = lock(&self.queue);
                loop {
                    if q.stop {
                        // Shutting down: the batch stays held for `shutdown` to settle.
                        return;
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    q = wait(&self.ready, q, deadline - now);
                }
                drop(q);
                w = lock(&self.writer);
                retry = (retry * 2).min(RETRY_MAX);
            }
        }
    }

    /// Waits until records are queued, or the watcher's summaries are `due`: polling while
    /// records keep coming, asleep (woken by a producer or the summary time) once idle; then
    /// lets records gather for [`GATHER`]. `false` when the pipeline stops.
    fn wait_for_records(&self, due: Option<Instant>) -> bool {
        let mut q = lock(&self.queue);
        let idle_since = Instant::now();
        while q.buf.is_empty() {
            if q.stop {
                return false;
            }
            let now = Instant::now();
            if due.is_some_and(|d| now >= d) {
                return true;
            }
            if idle_since.elapsed() >= IDLE {
                q.writer_asleep = true;
                q = match due {
                    Some(d) => wait(&self.ready, q, d - now),
                    None => self.ready.wait(q).unwrap_or_else(PoisonError::into_inner),
                };
                q.writer_asleep = false;
            } else {
                q = wait(&self.ready, q, POLL);
            }
        }
        let until = Instant::now() + GATHER;
        loop {
            if q.stop || q.flushing > 0 || q.waiting > 0 || q.buf.len() > self.capacity / 2 {
                break;
            }
            let now = Instant::now();
            if now >= until || due.is_some_and(|d| now >= d) {
                break;
            }
            q = wait(&self.ready, q, until - now);
        }
        true
    }

    /// Writes queued records on this thread (no writer thread is running): one attempt per
    /// sink, records a sink refuses stay held for the next call.
    fn drain(&self) {
        // A sink that logs re-enters here while its thread holds the writer lock.
        if DRAINING.try_with(|d| d.replace(true)).unwrap_or(true) {
            return;
        }
        let mut w = lock(&self.writer);
        // Watching a batch ticks the summaries too; with none to watch, they tick here.
        let mut watched = false;
        loop {
            if w.batch_count == 0 {
                {
                    let mut q = lock(&self.queue);
                    if q.buf.is_empty() {
                        break;
                    }
                    w.take(&mut q);
                }
                self.count_lost(w.prepare());
                self.watch_batch(&w.batch, &w.facts);
                watched = true;
            }
            let delivered = self.deliver(&mut w);
            if !delivered.done {
                if delivered.progress {
                    continue;
                }
                break;
            }
            self.finish_batch(&mut w, delivered);
        }
        drop(w);
        let _ = DRAINING.try_with(|d| d.set(false));
        if !watched {
            // What it writes comes back through `push`, and is drained then.
            self.watch_tick(false);
        }
    }

    /// Offers the current batch to every sink that does not have all of it yet.
    fn deliver(&self, w: &mut Writer) -> Delivered {
        let sealing = w.chain.is_some();
        let Writer {
            slots,
            batch,
            sealed,
            ..
        } = w;
        let mut out = Delivered {
            done: true,
            progress: false,
            recovered: Vec::new(),
        };
        for slot in slots.iter_mut() {
            let Some(offset) = slot.offset else { continue };
            // A sink that seals records itself (the file sink) gets them unsealed.
            let source: &[u8] = if sealing && !slot.sink.seals() {
                sealed
            } else {
                batch
            };
            if slot.format != Format::Json && slot.converted.is_empty() {
                slot.format.convert(source, &mut slot.converted);
            }
            let bytes: &[u8] = if slot.format == Format::Json {
                source
            } else {
                &slot.converted
            };
            let sink = &slot.sink;
            let rest = &bytes[offset..];
            let mut written = 0;
            let result = catch_unwind(AssertUnwindSafe(|| sink.write_batch(rest, &mut written)));
            let written = written.min(rest.len());
            out.progress |= written > 0;
            let error = match result {
                Ok(Ok(())) => {
                    slot.offset = None;
                    slot.panics = 0;
                    if let Some(e) = slot.failing.take() {
                        out.recovered.push((slot.sink.name(), e));
                    }
                    continue;
                }
                Ok(Err(error)) => {
                    slot.panics = 0;
                    slot.offset = Some(offset + written);
                    error
                }
                Err(_) => {
                    // What the sink counted before panicking is kept; the rest is retried.
                    if written > 0 {
                        slot.panics = 0;
                    }
                    slot.panics += 1;
                    let offset = offset + written;
                    slot.offset = Some(offset);
                    if slot.panics >= MAX_PANICS {
                        // Give up on the record it keeps panicking on.
                        let rest = &bytes[offset..];
                        let len = rest
                            .iter()
                            .position(|&b| b == b'\n')
                            .map_or(rest.len(), |i| i + 1);
                        slot.offset = Some(offset + len);
                        slot.panics = 0;
                        slot.lost += 1;
                        eprintln!(
                            "seclog: the sink {} panicked {MAX_PANICS} times on the same record; that record is dropped for it",
                            slot.sink.name(),
                        );
                        if offset + len >= bytes.len() {
                            slot.offset = None;
                            continue;
                        }
                    }
                    io::Error::other("the sink panicked")
                }
            };
            out.done = false;
            match &mut slot.failing {
                Some(e) => e.attempts += 1,
                None => {
                    eprintln!(
                        "seclog: the sink {} failed to write: {error}; its records are held and retried",
                        slot.sink.name()
                    );
                    slot.failing = Some(Episode {
                        since: SystemTime::now(),
                        started: Instant::now(),
                        error: error.to_string(),
                        attempts: 1,
                    });
                }
            }
        }
        let failing = slots.iter().filter(|s| s.failing.is_some()).count();
        self.failing.store(
            u32::try_from(failing).unwrap_or(u32::MAX),
            Ordering::Relaxed,
        );
        out
    }

    /// Settles a batch every sink has, and reports what happened meanwhile.
    fn finish_batch(&self, w: &mut Writer, delivered: Delivered) {
        let n = std::mem::take(&mut w.batch_count);
        w.batch.clear();
        w.facts.clear();
        w.sealed.clear();
        let mut lost = 0;
        for slot in &mut w.slots {
            slot.offset = Some(0);
            slot.converted.clear();
            lost = lost.max(std::mem::take(&mut slot.lost));
        }
        if w.batch.capacity() > 4 * self.capacity.max(1 << 20) {
            w.batch = Vec::new();
            w.facts = Vec::new();
            w.sealed = Vec::new();
        }
        self.written.fetch_add(n - lost.min(n), Ordering::Relaxed);
        self.dropped.fetch_add(lost.min(n), Ordering::Relaxed);
        let (drops, since, diverted) = {
            let mut q = lock(&self.queue);
            let taken = (
                std::mem::take(&mut q.drops),
                q.drops_since.take(),
                q.diverted.take(),
            );
            if taken.0 == 0 && taken.2.is_none() && delivered.recovered.is_empty() {
                // Nothing to report (the usual case): done under the same lock.
                self.count_done(&mut q, n);
                return;
            }
            taken
        };
        for (sink, e) in delivered.recovered {
            eprintln!(
                "seclog: the sink {sink} accepts records again (failing since {}, {} failed attempts)",
                crate::record::time::rfc3339(e.since),
                e.attempts
            );
            event!(
                crate = crate,
                mandatory,
                "sys_monitor_enabled",
                reason = "sink_recovered",
                sink = sink,
                error = e.error,
                since = crate::record::time::rfc3339(e.since),
                failed_for_ms = u64::try_from(e.started.elapsed().as_millis()).unwrap_or(u64::MAX),
                failed_attempts = e.attempts
            );
        }
        if drops > 0 {
            let since = since.map(crate::record::time::rfc3339).unwrap_or_default();
            event!(
                crate = crate,
                mandatory,
                "sys_monitor_disabled",
                reason = "records_dropped",
                dropped = drops,
                since = since,
                until = crate::record::time::rfc3339(SystemTime::now())
            );
        }
        if let Some(d) = diverted {
            event!(
                crate = crate,
                mandatory,
                "sys_monitor_disabled",
                reason = "records_to_stderr",
                diverted = d.count,
                from_seq = d.first_seq,
                to_seq = d.last_seq,
                since = crate::record::time::rfc3339(d.since),
                until = crate::record::time::rfc3339(SystemTime::now())
            );
        }
        // Counted done only now, with the reports above queued: `flush` then waits for them.
        self.count_done(&mut lock(&self.queue), n);
    }

    /// Counts records that could not be read back from the queue (none unless its framing
    /// is broken) as dropped and done, so that `flush` does not wait for them.
    fn count_lost(&self, lost: u64) {
        if lost > 0 {
            self.dropped.fetch_add(lost, Ordering::Relaxed);
            self.count_done(&mut lock(&self.queue), lost);
        }
    }

    /// Counts `n` records written and wakes whoever waits for that. A notification is a
    /// system call even with no one waiting, and with no writer thread every record ends a
    /// batch: the waiters are counted under the queue's lock, so none is missed.
    fn count_done(&self, q: &mut Queue, n: u64) {
        q.done += n;
        if q.flushing > 0 || q.waiting > 0 {
            self.progress.notify_all();
        }
    }

    /// Waits until every record accepted before the call is written, with what the writer
    /// queued meanwhile (at most the flush bound), then flushes the sinks. `false` if records
    /// are still pending.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let complete = if self.background.load(Ordering::Acquire) {
            let deadline = Instant::now() + timeout;
            let mut q = lock(&self.queue);
            let mut target = q.accepted;
            let mut own = q.own;
            q.flushing += 1;
            self.ready.notify_one();
            loop {
                while q.done < target {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    q = wait(
                        &self.progress,
                        q,
                        (deadline - now).min(Duration::from_millis(50)),
                    );
                    self.ready.notify_one();
                }
                // What the writer queued while writing those (a sink's recovery, an alert, a
                // record a sink logs) is part of them: it is queued before they count as done.
                if q.done < target || q.own == own {
                    break;
                }
                own = q.own;
                target = q.accepted;
            }
            q.flushing -= 1;
            q.done >= target
        } else {
            self.drain();
            let q = lock(&self.queue);
            q.done >= q.accepted
        };
        // The writer may be inside a sink that hangs: wait for it no longer than the bound.
        let deadline = Instant::now() + timeout;
        let w = loop {
            match self.writer.try_lock() {
                Ok(w) => break w,
                Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(std::sync::TryLockError::WouldBlock) => return false,
            }
        };
        for slot in &w.slots {
            let sink = &slot.sink;
            match catch_unwind(AssertUnwindSafe(|| sink.flush())) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("seclog: the sink {} failed to flush: {e}", sink.name()),
                Err(_) => eprintln!("seclog: the sink {} panicked while flushing", sink.name()),
            }
        }
        complete
    }

    /// How long a flush waits for the writer.
    pub(crate) fn flush_timeout(&self) -> Duration {
        self.flush_timeout
    }

    /// Where records that cannot be written at shutdown go: the policy's fallback.
    fn fallback_at_exit(&self) -> Fallback {
        match self.policy {
            Backpressure::Block { fallback, .. } => fallback,
            Backpressure::DropNewest => Fallback::Drop,
        }
    }

    /// Flushes, stops the writer thread, and settles what a failing sink still holds: from
    /// now on, records are written by the threads that emit them.
    pub(crate) fn shutdown(&self) {
        let complete = self.flush(self.flush_timeout);
        let handle = lock(&self.thread).take();
        if let Some(handle) = handle {
            lock(&self.queue).stop = true;
            self.ready.notify_all();
            // A writer stuck inside a sink cannot be stopped: leave it rather than hang.
            let deadline = Instant::now() + self.flush_timeout.min(Duration::from_secs(1));
            while !handle.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            if !handle.is_finished() {
                // The writer keeps its batch (and the chain) inside the sink; what is still
                // queued goes where the back-pressure policy sends records that find no room.
                let (raw, queued) = {
                    let mut q = lock(&self.queue);
                    (std::mem::take(&mut q.buf), std::mem::take(&mut q.count))
                };
                let rest = finished(&raw);
                let in_sink = self.stats().pending.saturating_sub(queued);
                match self.fallback_at_exit() {
                    Fallback::Stderr => {
                        eprintln!(
                            "seclog: the writer thread is stuck in a sink; the {in_sink} records it holds are not written, the {queued} queued follow on stderr"
                        );
                        let _ = io::stderr().lock().write_all(&rest);
                        self.fallback.fetch_add(queued, Ordering::Relaxed);
                    }
                    Fallback::Drop => {
                        eprintln!(
                            "seclog: the writer thread is stuck in a sink; {} records are not written and are lost",
                            in_sink + queued
                        );
                        self.dropped.fetch_add(queued, Ordering::Relaxed);
                    }
                }
                return;
            }
            let _ = handle.join();
            lock(&self.queue).stop = false;
            self.background.store(false, Ordering::Release);
        }
        // What came in during the flush (the writer's own reports), and one more attempt at
        // what a failing sink held; then the fallback for what is left.
        self.drain();
        if complete && lock(&self.queue).count == 0 && lock(&self.writer).batch_count == 0 {
            return;
        }
        let mut w = lock(&self.writer);
        let mut q = lock(&self.queue);
        let held = w.batch_count + q.count;
        if held == 0 {
            return;
        }
        match self.fallback_at_exit() {
            Fallback::Stderr => {
                eprintln!(
                    "seclog: {held} records could not be written at shutdown; they follow on stderr"
                );
                let mut err = io::stderr().lock();
                let _ = err.write_all(w.outgoing());
                let rest = finished(&std::mem::take(&mut q.buf));
                match &mut w.chain {
                    Some(chain) => {
                        let mut sealed = Vec::with_capacity(rest.len() + rest.len() / 4);
                        chain.seal_batch(&rest, &mut sealed);
                        let _ = err.write_all(&sealed);
                    }
                    None => {
                        let _ = err.write_all(&rest);
                    }
                }
                self.fallback.fetch_add(held, Ordering::Relaxed);
            }
            Fallback::Drop => {
                eprintln!("seclog: {held} records could not be written at shutdown and are lost");
                self.dropped.fetch_add(held, Ordering::Relaxed);
            }
        }
        w.batch.clear();
        w.facts.clear();
        w.sealed.clear();
        w.batch_count = 0;
        for slot in &mut w.slots {
            slot.offset = Some(0);
            slot.converted.clear();
            slot.lost = 0;
        }
        q.buf.clear();
        q.count = 0;
        q.done += held;
    }

    pub(crate) fn stats(&self) -> Stats {
        let q = lock(&self.queue);
        Stats {
            accepted: q.accepted,
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            fallback: self.fallback.load(Ordering::Relaxed),
            pending: q.accepted - q.done,
            failing_sinks: self.failing.load(Ordering::Relaxed),
        }
    }
}

struct Delivered {
    /// Every sink has the whole batch.
    done: bool,
    /// Some sink accepted more of the batch than before.
    progress: bool,
    /// Sinks that failed before and accepted this time.
    recovered: Vec<(String, Episode)>,
}

/// Appends `record` with `seq` written at `at`.
pub(crate) fn insert_seq(out: &mut Vec<u8>, record: &[u8], at: usize, seq: u64) {
    let (head, tail) = record.split_at(at.min(record.len()));
    out.extend_from_slice(head);
    out.extend_from_slice(itoa::Buffer::new().format(seq).as_bytes());
    out.extend_from_slice(tail);
}
