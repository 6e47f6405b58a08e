//! What the watcher reads of a record, handed over beside its bytes.
//!
//! The writer thread watches every record (see `watch`). Reading the few facts it needs from
//! the record's JSON would cost a parse per record and pull every record's bytes to the
//! writer's core; the invocation knows them already, so it hands them over as they are.

use super::invocation::{Callsite, Outcome};

/// The facts of one record: its call site, how the call ended, how long it took, and the
/// record's length in the batch it is queued in. Copied into the queue beside the bytes.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    /// The call site: `where.fn`, the event per outcome, the budget and the usage name.
    pub callsite: &'static Callsite,
    pub outcome: Outcome,
    pub over_budget: bool,
    pub duration_ns: u64,
    /// Units of the call site's usage (1 unless `units = ..` says otherwise).
    pub units: u64,
    /// The record's length in its batch, `seq` and the final newline included (set by the
    /// queue).
    pub len: usize,
}
