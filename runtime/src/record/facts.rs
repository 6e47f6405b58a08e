//! What the watcher reads of a record, handed over beside its bytes.
//!
//! The writer thread watches every record (see `watch`). Reading the few facts it needs from
//! the record's JSON would cost a parse per record, and would pull every record's bytes to the
//! writer's core, which the handler's thread then pays to take back when it writes the next
//! records. The invocation knows the facts already: they travel in the queued record's header
//! (see `pending`), and whoever finishes the record gives them to the watcher in 16 bytes.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};

use super::invocation::{Callsite, Outcome};

/// The facts of one record, queued beside its bytes.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    pub duration_ns: u64,
    /// The record's length in its batch, `seq` and the final newline included (set when it
    /// is finished); `u32::MAX` for a longer record, whose end is then found in its bytes.
    pub len: u32,
    /// The call site's number ([`Callsite::id`]); 0 for none, and the record is read from
    /// its bytes.
    pub site: u16,
    pub outcome: Outcome,
    pub over_budget: bool,
}

/// Call sites numbered at most; a program has far fewer.
const MAX_IDS: usize = u16::MAX as usize;

/// Every call site that has emitted a record, numbered from 1 in order of first emission.
static SITES: Mutex<Vec<&'static Callsite>> = Mutex::new(Vec::new());

impl Callsite {
    /// The call site's number, given on its first record; 0 once [`u16::MAX`] are given.
    #[inline]
    pub fn id(&'static self) -> u16 {
        match self.id.load(Ordering::Relaxed) {
            0 => register(self),
            id => id,
        }
    }
}

#[cold]
fn register(callsite: &'static Callsite) -> u16 {
    let mut sites = SITES.lock().unwrap_or_else(PoisonError::into_inner);
    let id = callsite.id.load(Ordering::Relaxed);
    if id != 0 || sites.len() >= MAX_IDS {
        return id;
    }
    sites.push(callsite);
    let id = u16::try_from(sites.len()).unwrap_or(0);
    callsite.id.store(id, Ordering::Relaxed);
    id
}

/// The call site numbered `id`.
pub(crate) fn callsite(id: u16) -> Option<&'static Callsite> {
    let sites = SITES.lock().unwrap_or_else(PoisonError::into_inner);
    sites.get(usize::from(id).checked_sub(1)?).copied()
}

// Four to a cache line: what the handler's thread pays per record for the watcher.
const _: () = assert!(size_of::<Facts>() == 16);
