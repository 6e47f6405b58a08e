//! Delivery: how records get from the handler's thread to the sinks.
//!
//! The handler's thread only writes a record's body (its values) and appends it to a bounded
//! in-memory queue. A background writer thread (started by [`crate::Builder::install`])
//! takes everything queued at once, finishes each record (its head, the scan of its strings
//! for secrets and personal data, its list of redactions: no record leaves the queue
//! unfinished) and hands the batch to each sink, so a burst of records costs a few `write`
//! calls, and neither the scanner nor the sinks' work (sealing into the integrity chain,
//! formatting, network I/O) runs on the handler's thread. While the writer falls behind,
//! handlers scan their short strings themselves, so that the work is shared between the
//! threads. Records gather for up to a millisecond before the
//! writer takes them (less when the queue is half full, a flush waits or the program shuts
//! down): the queue's lock and cache lines then pass between the threads once per batch
//! rather than every few records, which the handler's thread would pay for. The writer gives
//! records their order: `seq` is taken when a record enters the queue, and batches leave in
//! that order.
//!
//! # When the sink is slow or failing
//!
//! A sink that returns an error keeps its batch: the writer retries it (10 ms, doubling up to
//! one second) until the sink accepts it, so a disk that fills up or a syslog server that
//! restarts loses nothing. The failure is reported once on stderr when it starts, and a
//! `sys_monitor_enabled` record says when it ended, how long it lasted and what the error was.
//! Meanwhile the queue fills, and the [`Backpressure`] policy decides what a handler does when
//! it is full:
//!
//! - [`Backpressure::Block`] (the default: an audit log should not lose records) waits up to
//!   `max_wait` for room, then applies its [`Fallback`]. After one wait has timed out, later
//!   records do not wait again until the writer makes room, so a stuck sink costs each handler
//!   at most one bounded wait per episode.
//! - [`Backpressure::DropNewest`] never waits: a record that finds the queue full is dropped
//!   and counted.
//!
//! Dropped records are never silent: [`stats`] counts them exactly, and as soon as the writer
//! has made room again it emits a `sys_monitor_disabled` record with how many were dropped
//! and since when.
//!
//! # Flushing and exit
//!
//! [`crate::flush`] waits (up to the configured bound) until everything accepted before it
//! was written, then flushes the sinks. The guard returned by `install` flushes on drop and
//! then stops the writer thread; records emitted after that are written by the emitting
//! thread itself. Without any set-up (no guard), there is no writer thread: the emitting
//! thread writes each record before the handler returns, so nothing accepted can be lost when
//! the process exits normally. Keep the guard alive for the whole of `main`; call
//! [`crate::flush`] before `std::process::exit`, which skips destructors.

#[cfg(feature = "tracing")]
pub mod bridge;
pub(crate) mod pipeline;

use std::time::Duration;

pub(crate) use pipeline::Pipeline;

/// What a handler does when the queue to the writer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backpressure {
    /// Wait up to `max_wait` for room, then apply `fallback`. The default, with 100 ms and
    /// [`Fallback::Stderr`].
    Block {
        /// The longest a handler waits for room.
        max_wait: Duration,
        /// What happens to a record that still finds no room.
        fallback: Fallback,
    },
    /// Drop the record and count it ([`Stats::dropped`]).
    DropNewest,
}

impl Default for Backpressure {
    fn default() -> Self {
        Backpressure::Block {
            max_wait: Duration::from_millis(100),
            fallback: Fallback::Stderr,
        }
    }
}

/// Where a record goes when [`Backpressure::Block`] waited in vain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fallback {
    /// Written to stderr, as the JSON line it is, by the handler's thread: kept, if not in
    /// the sink ([`Stats::fallback`] counts them).
    Stderr,
    /// Dropped and counted, as with [`Backpressure::DropNewest`].
    Drop,
}

/// How the pipeline is doing; see [`stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Records that entered the queue.
    pub accepted: u64,
    /// Records every sink accepted.
    pub written: u64,
    /// Records dropped: by [`Backpressure::DropNewest`] or [`Fallback::Drop`], or held by a
    /// failing sink when the process shut down with [`Fallback::Drop`].
    pub dropped: u64,
    /// Records written to stderr by [`Fallback::Stderr`] instead of the sinks.
    pub fallback: u64,
    /// Records accepted but not yet written (queued, or held by a failing sink).
    pub pending: u64,
    /// Sinks failing now: their last write returned an error (a health check can alert on
    /// it before the queue fills).
    pub failing_sinks: u32,
}

/// Counters of the current configuration's pipeline, since it was installed (or since the
/// first record, without set-up).
///
/// ```
/// let before = seclog::delivery::stats();
/// seclog::event!("sys_monitor_enabled", reason = "example");
/// seclog::flush();
/// let after = seclog::delivery::stats();
/// assert_eq!(after.accepted, before.accepted + 1);
/// assert_eq!(after.pending, 0);
/// ```
pub fn stats() -> Stats {
    // Up through the set-up's one accessor: which pipeline is current is a set-up fact.
    crate::setup::current().pipeline().stats()
}
